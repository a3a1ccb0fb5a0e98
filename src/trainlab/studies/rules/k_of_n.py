"""The claim holds in at least k of the n seeds, run by run (a per-seed criterion, not a mean)."""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import Field

from trainlab.studies.registries import VERDICT_RULES
from trainlab.studies.table import MeasurementTable
from trainlab.studies.verdict import Direction, Verdict, format_number, sign_of


@VERDICT_RULES.register(
    "k_of_n",
    reference="Clopper & Pearson 1934, The Use of Confidence or Fiducial Limits Illustrated in the "
    "Case of the Binomial (Biometrika 26): the exact binomial test and interval of the hit rate",
)
class KOfN:
    """The claim holds in at least ``k`` seeds: ``arm`` beyond ``threshold``, or beyond ``versus`` by ``delta``.

    With ``versus`` unset the criterion is the arm's own value against ``threshold``; with it set,
    the paired difference ``arm - versus`` (oriented by ``direction``) against ``delta``.
    Supported when at least ``k`` seeds hold; not supported when the opposite holds in at least
    ``k`` seeds; otherwise inconclusive. The effect is the fraction of seeds that hold, with its
    Clopper-Pearson interval and the one-sided binomial p-value against a coin flip.
    """

    def __init__(
        self,
        arm: str,
        k: Annotated[int, Field(ge=1)],
        direction: Direction = "higher",
        threshold: float | None = None,
        versus: str | None = None,
        delta: Annotated[float, Field(ge=0.0)] = 0.0,
    ):
        """Options of the rule.

        Args:
            arm: The arm the claim is about.
            k: Seeds in which the claim must hold (at most the study's seeds).
            direction: ``higher``: the claim says the value (or the difference) is above; ``lower``: below.
            threshold: Without ``versus``: the value the arm's measure must pass in each seed.
            versus: Another arm: the claim is then about the paired difference in each seed.
            delta: With ``versus``: the margin the difference must pass (0: any).
        """
        self.arm, self.k, self.direction = arm, k, direction
        self.threshold, self.versus, self.delta = threshold, versus, delta
        if (threshold is None) == (versus is None):
            raise ValueError("k_of_n needs exactly one of `threshold` (one arm) or `versus` (two arms)")

    def arms_used(self) -> list[str]:
        return [self.arm] if self.versus is None else [self.arm, self.versus]

    def __call__(self, table: MeasurementTable) -> Verdict:
        from scipy import stats

        seeds = table.shared_seeds(self.arms_used())
        sign = sign_of(self.direction)
        if self.versus is None:
            assert self.threshold is not None  # __init__ requires one of the two
            scores = [sign * (v - self.threshold) for v in table.column(self.arm, seeds)]
            what = f"{self.arm} {'above' if sign > 0 else 'below'} {format_number(self.threshold)}"
            margin = 0.0
        else:
            scores = [
                sign * (a - b)
                for a, b in zip(table.column(self.arm, seeds), table.column(self.versus, seeds), strict=True)
            ]
            what = f"{self.arm} {self.direction} than {self.versus}" + (
                f" by more than {format_number(self.delta)}" if self.delta else ""
            )
            margin = self.delta
        n = len(seeds)
        holds = sum(score > margin for score in scores)
        fails = sum(score < 0 for score in scores)
        if holds >= self.k:
            outcome = "supported"
        elif fails >= self.k:
            outcome = "not supported"
        else:
            outcome = "inconclusive"
        test = stats.binomtest(holds, n, 0.5, alternative="greater")
        # The interval of the hit rate is two-sided whatever the test's alternative.
        interval = stats.binomtest(holds, n).proportion_ci(confidence_level=0.95, method="exact")
        reading = f"{what} in {holds} of {n} seeds (needed: {self.k}; the opposite in {fails})"
        return Verdict(
            outcome=outcome,  # type: ignore[arg-type]  # one of the three literals above
            rule="k_of_n",
            effect=holds / n,
            ci=(float(interval.low), float(interval.high)),
            p_value=float(test.pvalue) if math.isfinite(test.pvalue) else math.nan,
            seeds=seeds,
            confidence=0.95,
            reading=reading,
            test="count of seeds; exact binomial test against 1/2",
            details={"holds": holds, "fails": fails, "k": self.k},
        )
