"""The measure rises (or falls) across ordered arms, tested with Page's trend test over seeds."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from trainlab.studies.registries import VERDICT_RULES
from trainlab.studies.rules._tests import mean, t_interval
from trainlab.studies.table import MeasurementTable
from trainlab.studies.verdict import Verdict, decide, format_number


@VERDICT_RULES.register(
    "monotone_trend",
    reference="Page 1963, Ordered Hypotheses for Multiple Treatments: A Significance Test for Linear "
    "Ranks (JASA 58); Spearman 1904, The Proof and Measurement of Association between Two Things",
)
class MonotoneTrend:
    """The measure is monotone across ``arms`` in the order given: Page's L test, seeds as blocks.

    The effect is the mean over seeds of Spearman's rank correlation between arm order and
    measure (+1: perfectly in the claimed direction), with its (1 - 2 alpha) t-interval over seeds.
    """

    def __init__(
        self,
        arms: Annotated[list[str], Field(min_length=3)],
        direction: Literal["increasing", "decreasing"] = "increasing",
        alpha: Annotated[float, Field(gt=0.0, lt=0.5)] = 0.05,
    ):
        """Options of the rule.

        Args:
            arms: Three or more arms, in the order of the swept variable.
            direction: ``increasing`` or ``decreasing``: how the claim says the measure moves along ``arms``.
            alpha: Significance level of Page's one-sided test.
        """
        self.arms, self.direction, self.alpha = list(arms), direction, alpha

    def arms_used(self) -> list[str]:
        return list(self.arms)

    def __call__(self, table: MeasurementTable) -> Verdict:
        from scipy import stats

        seeds = table.shared_seeds(self.arms)
        rows = [[table.values[arm][seed] for arm in self.arms] for seed in seeds]
        ranks = list(range(1, len(self.arms) + 1))
        claimed = ranks if self.direction == "increasing" else ranks[::-1]
        p_claim = float(stats.page_trend_test(rows, predicted_ranks=claimed).pvalue)
        p_opposite = float(stats.page_trend_test(rows, predicted_ranks=claimed[::-1]).pvalue)
        outcome = decide(p_claim, p_opposite, self.alpha)
        correlations = [_spearman(claimed, row) for row in rows]
        effect = mean(correlations)
        low, high = t_interval(correlations, 1.0 - 2.0 * self.alpha)  # one-sided test at alpha
        ci = (max(low, -1.0), min(high, 1.0))
        reading = (
            f"{self.direction} across {' < '.join(self.arms)}: mean Spearman rho {format_number(effect)} "
            f"[{format_number(ci[0])}, {format_number(ci[1])}] over {len(seeds)} seeds"
        )
        return Verdict(
            outcome=outcome,
            rule="monotone_trend",
            effect=effect,
            ci=ci,
            p_value=p_opposite if outcome == "not supported" else p_claim,
            seeds=seeds,
            confidence=1.0 - 2.0 * self.alpha,
            reading=reading,
            test="Page's L trend test (seeds as blocks)",
        )


def _spearman(order: list[int], values: list[float]) -> float:
    from scipy import stats

    if max(values) == min(values):
        return 0.0  # no ordering at all: neither with nor against the claim
    return float(stats.spearmanr(order, values).statistic)
