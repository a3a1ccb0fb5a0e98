"""The two registry kinds studies add: measurements taken from a run, and the rules that judge a claim."""

from __future__ import annotations

from trainlab.registry import new_registry

# A measurement: a class whose __init__ takes its options and whose __call__(run_dir) returns one number.
MEASURES = new_registry("measure")
# A verdict rule: a class whose __init__ takes its options and whose __call__(table) returns a Verdict.
VERDICT_RULES = new_registry("verdict_rule")
