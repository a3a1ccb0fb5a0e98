"""A verdict: supported, not supported or inconclusive, with the effect, its CI, the p-value and the seeds."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

from trainlab.experiment.statistics import MIN_SEEDS
from trainlab.studies.table import MeasurementTable

Outcome = Literal["supported", "not supported", "inconclusive"]
Direction = Literal["higher", "lower"]


@dataclass(frozen=True)
class Verdict:
    """What one rule concluded from a measurement table.

    Attributes:
        outcome: ``supported``; ``not supported`` (the opposite effect is significant); ``inconclusive``.
        rule: The verdict rule's name.
        effect: The effect the rule tests, oriented so that positive favours the claim where it has a direction.
        ci: Its confidence interval (low, high).
        p_value: The p-value of the test behind the outcome.
        seeds: The seeds the rule used.
        reading: One line in plain words.
        test: The statistical test, e.g. ``one-sided paired t-test``.
        confidence: The CI's coverage (0.9 for a one-sided test at alpha 0.05).
        measure: The label of the measure judged (a study's rules may judge different measures).
        details: Rule-specific counts (k_of_n's holds and fails).
    """

    outcome: Outcome
    rule: str
    effect: float
    ci: tuple[float, float]
    p_value: float
    seeds: list[int]
    reading: str
    test: str = ""
    confidence: float = math.nan
    measure: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ci"] = list(self.ci)
        return {key: _json_number(value) for key, value in data.items()}


class VerdictRule(Protocol):
    """What a registered verdict rule provides beside its options."""

    def arms_used(self) -> list[str]: ...

    def __call__(self, table: MeasurementTable) -> Verdict: ...


def judge(rule: VerdictRule, table: MeasurementTable, name: str) -> Verdict:
    """``rule`` on ``table``, except that fewer than MIN_SEEDS shared seeds can only be inconclusive."""
    seeds = table.shared_seeds(rule.arms_used())
    if len(seeds) < MIN_SEEDS:
        return Verdict(
            outcome="inconclusive",
            rule=name,
            effect=math.nan,
            ci=(math.nan, math.nan),
            p_value=math.nan,
            seeds=seeds,
            reading=f"only {len(seeds)} seed(s) with a value in every arm; {MIN_SEEDS} are needed for a verdict",
        )
    return rule(table)


def combine(verdicts: Sequence[Verdict]) -> Outcome:
    """A claim made of several parts: supported when every part is, not supported when any part is refuted."""
    outcomes = {v.outcome for v in verdicts}
    if "not supported" in outcomes:
        return "not supported"
    if outcomes == {"supported"}:
        return "supported"
    return "inconclusive"


def sign_of(direction: Direction) -> float:
    return 1.0 if direction == "higher" else -1.0


def decide(p_claim: float, p_opposite: float, alpha: float) -> Outcome:
    """Supported when the claim's test rejects at ``alpha``; not supported when the opposite's does."""
    if p_claim < alpha:
        return "supported"
    if p_opposite < alpha:
        return "not supported"
    return "inconclusive"


def format_number(value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    return f"{value:.3g}"


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_json_number(item) for item in value]
    return value
