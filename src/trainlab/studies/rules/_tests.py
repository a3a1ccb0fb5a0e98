"""The one-sample tests the rules share, on scipy, with the zero-variance case made explicit."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

Alternative = Literal["greater", "less"]


def t_test_p(values: Sequence[float], popmean: float, alternative: Alternative, test: str = "t") -> float:
    """One-sided p-value that the values' mean (t) or median (Wilcoxon) exceeds/undercuts ``popmean``.

    Identical values have no spread for a t statistic: the p-value is then 0 when every value lies
    strictly on the alternative's side of ``popmean`` and 1 otherwise (scipy would return NaN).
    """
    from scipy import stats

    shifted = [v - popmean for v in values]
    if test == "wilcoxon":
        if all(s == 0 for s in shifted):
            return 1.0
        return float(stats.wilcoxon(shifted, alternative=alternative, zero_method="zsplit").pvalue)
    if max(values) == min(values):
        beyond = shifted[0] > 0 if alternative == "greater" else shifted[0] < 0
        return 0.0 if beyond else 1.0
    return float(stats.ttest_1samp(shifted, 0.0, alternative=alternative).pvalue)


def t_interval(values: Sequence[float], confidence: float) -> tuple[float, float]:
    """The experiments' Student-t interval of the mean; a point when the values are identical."""
    import numpy as np

    from trainlab.experiment.statistics import t_interval as experiment_t_interval

    if max(values) == min(values):
        return (values[0], values[0])
    return experiment_t_interval(np.asarray(values, dtype=float), confidence)


def mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)
