"""Arm A beats arm B by at least delta, paired over seeds, with a one-sided test at level alpha."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from trainlab.studies.registries import VERDICT_RULES
from trainlab.studies.rules._tests import mean, t_interval, t_test_p
from trainlab.studies.table import MeasurementTable
from trainlab.studies.verdict import Direction, Verdict, decide, format_number, sign_of


@VERDICT_RULES.register(
    "better_by_delta",
    reference="Student 1908, The Probable Error of a Mean (paired t-test); Wilcoxon 1945, Individual "
    "Comparisons by Ranking Methods; Demsar 2006, Statistical Comparisons of Classifiers over Multiple "
    "Data Sets (JMLR 7)",
)
class BetterByDelta:
    """Arm ``better`` beats arm ``worse`` by at least ``delta``: a one-sided paired test over seeds.

    Supported when the paired difference exceeds ``delta`` at level ``alpha``; not supported when
    the opposite (``better`` significantly worse than ``worse``) holds at that level. The CI is the
    (1 - 2 alpha) t-interval of the mean difference, the one the one-sided test corresponds to.
    """

    def __init__(
        self,
        better: str,
        worse: str,
        direction: Direction = "higher",
        delta: Annotated[float, Field(ge=0.0)] = 0.0,
        alpha: Annotated[float, Field(gt=0.0, lt=0.5)] = 0.05,
        test: Literal["t", "wilcoxon"] = "t",
    ):
        """Options of the rule.

        Args:
            better: The arm the claim says is better.
            worse: The arm it says is worse.
            direction: ``higher`` when a higher measure is better, ``lower`` when lower is better.
            delta: The smallest margin that counts, in the measure's units (0: any improvement).
            alpha: Significance level of each one-sided test.
            test: ``t`` (paired t-test on the differences) or ``wilcoxon`` (signed-rank).
        """
        self.better, self.worse = better, worse
        self.direction, self.delta, self.alpha, self.test = direction, delta, alpha, test

    def arms_used(self) -> list[str]:
        return [self.better, self.worse]

    def __call__(self, table: MeasurementTable) -> Verdict:
        seeds = table.shared_seeds(self.arms_used())
        sign = sign_of(self.direction)
        differences = [
            sign * (a - b)
            for a, b in zip(table.column(self.better, seeds), table.column(self.worse, seeds), strict=True)
        ]
        p_claim = t_test_p(differences, self.delta, "greater", self.test)
        p_opposite = t_test_p(differences, 0.0, "less", self.test)
        outcome = decide(p_claim, p_opposite, self.alpha)
        effect = mean(differences)
        # The (1 - 2 alpha) interval is the one a one-sided test at alpha corresponds to.
        ci = t_interval(differences, 1.0 - 2.0 * self.alpha)
        margin = f"; needed more than {format_number(self.delta)}" if self.delta else ""
        reading = (
            f"{self.better}'s advantage over {self.worse} ({self.direction} is better): {format_number(effect)} "
            f"[{format_number(ci[0])}, {format_number(ci[1])}]{margin}, over {len(seeds)} seeds"
        )
        return Verdict(
            outcome=outcome,
            rule="better_by_delta",
            effect=effect,
            ci=ci,
            p_value=p_opposite if outcome == "not supported" else p_claim,
            seeds=seeds,
            confidence=1.0 - 2.0 * self.alpha,
            reading=reading,
            test=f"one-sided paired {'t-test' if self.test == 't' else 'Wilcoxon signed-rank test'}",
        )
