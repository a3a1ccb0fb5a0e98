"""Experiments: a grid of recipe variants over seeds, run in parallel and resumably, compared with statistics.

Modules: ``spec`` (the experiment.yaml), ``runner`` and ``workers`` (parallel, resumable runs coordinated through
Optuna storage), ``results`` (what ran and what it measured), ``statistics`` (seed statistics and verdicts).
"""
