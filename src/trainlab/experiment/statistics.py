"""Seed statistics for experiments: per-variant CIs, paired tests against a baseline, Holm, plain-words verdicts.

Pure functions on numbers (no torch). A value that is NaN or infinite is a diverged run: it is counted
and reported, never silently dropped, and left out of the means and tests. Paired comparisons use only
the seeds both variants share with a finite value, because seed noise (data order, initialisation) is
shared between the two runs of one seed and pairing removes it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Outcome = Literal["better", "worse", "equivalent", "unresolved", "too few seeds", "diverged", "identical"]

# Below this many shared seeds a paired test has almost no power (df = 1) and a verdict would be a guess.
MIN_SEEDS = 3
# The power a seed count must reach to resolve an effect of the observed size (the usual 80%).
TARGET_POWER = 0.8
# Seed counts past this are not worth suggesting; the effect is then too small for seeds to settle.
MAX_SUGGESTED_SEEDS = 1000


@dataclass(frozen=True)
class Description:
    """One variant's values: count, mean, sample std (ddof=1) and two confidence intervals of the mean.

    ``bootstrap_method`` says which bootstrap interval was computed: ``BCa`` (bias-corrected and
    accelerated, Efron 1987) normally, ``percentile`` where BCa is undefined (e.g. tied resamples).
    """

    n: int
    n_nonfinite: int
    mean: float
    std: float
    confidence: float
    t_ci: tuple[float, float]
    bootstrap_ci: tuple[float, float]
    bootstrap_method: str


@dataclass(frozen=True)
class PairedComparison:
    """``other`` against ``baseline`` over the seeds both have with finite values.

    ``mean_difference`` and ``ci`` are ``other - baseline`` in the metric's units (positive means higher);
    ``improvement`` flips the sign for lower-is-better metrics. ``cohens_dz`` is Cohen's d for paired
    data, d_z = mean(difference) / std(difference) (Cohen 1988, §2.3.5; Lakens 2013), signed like
    ``mean_difference``. ``seeds_needed`` is the seed count at which a paired t-test would detect the
    observed d_z with 80% power at ``alpha`` (noncentral t), or None when it cannot be estimated.
    """

    n: int
    seeds: tuple[object, ...]
    higher_is_better: bool
    mean_difference: float
    std_difference: float
    ci: tuple[float, float]
    confidence: float
    t_statistic: float
    t_pvalue: float
    wilcoxon_pvalue: float
    cohens_dz: float
    seeds_needed: int | None
    nonfinite_baseline: tuple[object, ...] = ()
    nonfinite_other: tuple[object, ...] = ()
    unpaired_seeds: tuple[object, ...] = ()

    @property
    def improvement(self) -> float:
        return self.mean_difference if self.higher_is_better else -self.mean_difference

    @property
    def improvement_ci(self) -> tuple[float, float]:
        low, high = self.ci
        return (low, high) if self.higher_is_better else (-high, -low)


@dataclass(frozen=True)
class Comparison:
    """One variant against the baseline: the paired statistics, the Holm-adjusted p and the verdict."""

    variant: str
    baseline: str
    paired: PairedComparison
    holm_pvalue: float
    outcome: Outcome
    verdict: str
    comparisons: int = 1
    notes: tuple[str, ...] = field(default_factory=tuple)


def _finite(values: Sequence[float] | np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return array[np.isfinite(array)]


def t_interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """The Student-t confidence interval of the mean of ``values`` (NaN below two values)."""
    from scipy import stats

    n = len(values)
    if n < 2:
        return (math.nan, math.nan)
    mean = float(np.mean(values))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * np.std(values, ddof=1) / math.sqrt(n))
    return (mean - half, mean + half)


def bootstrap_interval(
    values: np.ndarray, confidence: float, n_boot: int, seed: int
) -> tuple[tuple[float, float], str]:
    """A bootstrap CI of the mean: BCa, or percentile where BCa is undefined; returns the method used."""
    from scipy import stats

    if len(values) < 2:
        return (math.nan, math.nan), "none"
    if np.all(values == values[0]):  # every resample has the same mean: the interval is that point
        return (float(values[0]), float(values[0])), "percentile"
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DegenerateDataWarning: handled by the fallback below
            result = stats.bootstrap(
                (values,),
                np.mean,
                confidence_level=confidence,
                n_resamples=n_boot,
                method=method,
                random_state=np.random.default_rng(seed),
            )
        low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
        if math.isfinite(low) and math.isfinite(high):
            return (low, high), method
    return (math.nan, math.nan), "none"


def describe(
    values: Sequence[float], confidence: float = 0.95, n_boot: int = 9999, seed: int = 0
) -> Description:
    """Count, mean, std (ddof=1), t CI and bootstrap CI of the finite values; non-finite ones are counted.

    Args:
        values: One value per seed; NaN or inf marks a diverged run.
        confidence: The intervals' coverage.
        n_boot: Bootstrap resamples.
        seed: The bootstrap's random seed (the same seed gives the same interval).

    Returns:
        A Description; its statistics are NaN where there are too few finite values.
    """
    all_values = np.asarray(values, dtype=float)
    finite = _finite(all_values)
    n = len(finite)
    mean = float(np.mean(finite)) if n else math.nan
    std = float(np.std(finite, ddof=1)) if n >= 2 else math.nan
    boot_ci, method = bootstrap_interval(finite, confidence, n_boot, seed)
    return Description(
        n=n,
        n_nonfinite=len(all_values) - n,
        mean=mean,
        std=std,
        confidence=confidence,
        t_ci=t_interval(finite, confidence),
        bootstrap_ci=boot_ci,
        bootstrap_method=method,
    )


def seeds_for_power(effect_size: float, alpha: float = 0.05, power: float = TARGET_POWER) -> int | None:
    """The fewest seeds at which a two-sided paired t-test detects d_z = ``effect_size`` with ``power``.

    Power at n seeds is P(|T| > t_crit) for T ~ noncentral t(n - 1, d_z·√n). None when the effect is
    zero or undefined, or when more than MAX_SUGGESTED_SEEDS seeds would be needed.
    """
    from scipy import stats

    if not math.isfinite(effect_size) or effect_size == 0:
        return None
    # The normal approximation never overshoots the t-test's answer, so the search can start there.
    normal_estimate = ((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) / effect_size) ** 2
    for n in range(max(2, math.floor(normal_estimate)), MAX_SUGGESTED_SEEDS + 1):
        critical = stats.t.ppf(1 - alpha / 2, n - 1)
        noncentrality = abs(effect_size) * math.sqrt(n)
        reached = stats.nct.sf(critical, n - 1, noncentrality) + stats.nct.cdf(
            -critical, n - 1, noncentrality
        )
        if reached >= power:
            return n
    return None


def _without_rounding_noise(differences: np.ndarray) -> np.ndarray:
    """``differences`` with float rounding noise removed: 0.9 - 0.8 and 0.8 - 0.7 are the same shift.

    Differences that agree to 1e-9 of their size are set equal, so that a constant shift is seen as
    one (zero spread) instead of as a tiny variance that makes the t statistic meaningless.
    """
    scale = max(float(np.max(np.abs(differences))), 1e-300)
    if np.ptp(differences) <= 1e-9 * scale:
        return np.full_like(differences, float(np.round(np.mean(differences), 12)))
    return differences


def _paired_tests(differences: np.ndarray) -> tuple[float, float, float]:
    """Paired t statistic, its p, and the Wilcoxon signed-rank p of ``differences`` (n >= 2)."""
    from scipy import stats

    if np.all(differences == 0):  # both tests are undefined; the samples are identical
        return 0.0, 1.0, 1.0
    if np.all(differences == differences[0]):  # zero spread, nonzero shift: as certain as data gets
        return math.copysign(math.inf, differences[0]), 0.0, float(stats.wilcoxon(differences).pvalue)
    t_result = stats.ttest_1samp(differences, 0.0)
    wilcoxon_p = float(stats.wilcoxon(differences).pvalue)
    return float(t_result.statistic), float(t_result.pvalue), wilcoxon_p


def paired_comparison(
    baseline: Mapping[Any, float],
    other: Mapping[Any, float],
    higher_is_better: bool,
    confidence: float = 0.95,
    alpha: float = 0.05,
) -> PairedComparison:
    """``other`` against ``baseline`` over their shared seeds: mean difference, t CI, paired t, Wilcoxon, d_z.

    Args:
        baseline: Seed -> value of the baseline variant.
        other: Seed -> value of the compared variant.
        higher_is_better: The metric's direction (accuracy: True; loss: False).
        confidence: Coverage of the difference's CI.
        alpha: The test level ``seeds_needed`` is computed for.

    Returns:
        A PairedComparison; the seeds where either value is NaN/inf are listed, not used.
    """
    shared = [seed for seed in baseline if seed in other]
    unpaired = tuple(seed for seed in [*baseline, *other] if seed not in shared)
    nonfinite_baseline = tuple(seed for seed in shared if not math.isfinite(baseline[seed]))
    nonfinite_other = tuple(seed for seed in shared if not math.isfinite(other[seed]))
    used = [seed for seed in shared if seed not in nonfinite_baseline and seed not in nonfinite_other]
    differences = np.array([other[seed] - baseline[seed] for seed in used], dtype=float)
    n = len(differences)
    if n >= 2:
        differences = _without_rounding_noise(differences)
        mean = float(np.mean(differences))
        # np.std of equal values can come out as 1e-17 (the mean's rounding); equal values have no spread.
        std = 0.0 if np.all(differences == differences[0]) else float(np.std(differences, ddof=1))
        statistic, t_p, wilcoxon_p = _paired_tests(differences)
        ci = t_interval(differences, confidence) if std > 0 else (mean, mean)
        dz = mean / std if std > 0 else (0.0 if mean == 0 else math.copysign(math.inf, mean))
    else:
        mean = float(differences[0]) if n else math.nan
        std = statistic = t_p = wilcoxon_p = dz = math.nan
        ci = (math.nan, math.nan)
    return PairedComparison(
        n=n,
        seeds=tuple(used),
        higher_is_better=higher_is_better,
        mean_difference=mean,
        std_difference=std,
        ci=ci,
        confidence=confidence,
        t_statistic=statistic,
        t_pvalue=t_p,
        wilcoxon_pvalue=wilcoxon_p,
        cohens_dz=dz,
        seeds_needed=seeds_for_power(dz, alpha) if n >= 2 else None,
        nonfinite_baseline=nonfinite_baseline,
        nonfinite_other=nonfinite_other,
        unpaired_seeds=unpaired,
    )


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (Holm 1979), in the input's order; NaN entries stay NaN.

    The i-th smallest of m p-values is multiplied by (m - i + 1); the running maximum keeps the
    adjusted values monotone, and they are capped at 1.
    """
    indexed = sorted((p, i) for i, p in enumerate(pvalues) if math.isfinite(p))
    adjusted = [math.nan] * len(pvalues)
    running = 0.0
    for rank, (p, i) in enumerate(indexed):
        running = max(running, min(1.0, p * (len(indexed) - rank)))
        adjusted[i] = running
    return adjusted


def format_pvalue(p: float) -> str:
    if not math.isfinite(p):
        return "p = n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}"


def _number(value: float, scale: float) -> str:
    return f"{value * scale:.3g}"


def _verdict(
    paired: PairedComparison,
    holm_p: float,
    comparisons: int,
    *,
    alpha: float,
    min_effect: float | None,
    scale: float,
    unit: str,
) -> tuple[Outcome, str]:
    unit_text = f" {unit}" if unit else ""
    n = paired.n
    adjusted = ", Holm-adjusted" if comparisons > 1 else ""
    seeds = f"{n} seed{'s' if n != 1 else ''}"
    if n < MIN_SEEDS:
        return "too few seeds", (
            f"too few seeds to tell: {seeds} shared with finite values; a paired test needs at least {MIN_SEEDS}"
        )
    gain, (low, high) = paired.improvement, paired.improvement_ci
    if paired.std_difference == 0 and gain == 0:
        return "identical", f"identical on all {seeds}"
    interval = f"[{_number(low, scale)}, {_number(high, scale)}]"
    stats_text = f"{format_pvalue(holm_p)}, {seeds}{adjusted}"
    if holm_p < alpha:
        direction: Outcome = "better" if gain > 0 else "worse"
        lo, hi = (low, high) if gain > 0 else (-high, -low)
        interval = f"[{_number(lo, scale)}, {_number(hi, scale)}]"
        return direction, f"{direction} by {_number(abs(gain), scale)}{unit_text} {interval}, {stats_text}"
    if min_effect is not None and -min_effect < low and high < min_effect:
        return "equivalent", (
            f"no difference larger than {_number(min_effect, scale)}{unit_text}: "
            f"{_number(gain, scale)} {interval}, {stats_text}"
        )
    needed = paired.seeds_needed
    power_text = (
        f"; about {needed} seeds would detect an effect this size {TARGET_POWER:.0%} of the time"
        if needed is not None and needed > n
        else ""
    )
    # The interval is the unadjusted one: it can exclude 0 while the Holm-adjusted p stays above alpha.
    spans = "spans a gain and a loss" if low <= 0 <= high else "excludes 0 only before the Holm adjustment"
    return "unresolved", (
        f"not resolved by {seeds}: {_number(gain, scale)}{unit_text} {interval} {spans}, "
        f"{format_pvalue(holm_p)}{adjusted}{power_text}"
    )


def _divergence_notes(paired: PairedComparison, variant: str, baseline: str) -> tuple[str, ...]:
    notes = []
    for name, seeds in ((variant, paired.nonfinite_other), (baseline, paired.nonfinite_baseline)):
        if seeds:
            notes.append(
                f"{name} diverged (NaN/inf) on {len(seeds)} seed{'s' if len(seeds) != 1 else ''} "
                f"({', '.join(map(str, seeds))}), left out of the paired test"
            )
    if paired.unpaired_seeds:
        notes.append(
            f"{len(paired.unpaired_seeds)} seed(s) ran in only one of the two variants "
            f"({', '.join(map(str, paired.unpaired_seeds))}), left out"
        )
    return tuple(notes)


def compare_to_baseline(
    table: Mapping[str, Mapping[Any, float]],
    baseline: str,
    higher_is_better: bool,
    *,
    confidence: float = 0.95,
    alpha: float = 0.05,
    min_effect: float | None = None,
    scale: float = 1.0,
    unit: str = "",
) -> list[Comparison]:
    """Every variant of ``table`` against ``baseline``: paired statistics, Holm-adjusted p and a verdict.

    A verdict is ``better``/``worse`` when the Holm-adjusted paired-t p is below ``alpha`` (with at
    least three shared seeds). Otherwise it never says "no difference" from a non-significant test
    alone: with ``min_effect`` (the smallest difference that matters) and a CI inside ±min_effect it
    says ``equivalent``; else ``unresolved``, with the seed count that would resolve the observed effect.

    Args:
        table: Variant -> seed -> final metric (NaN/inf for diverged runs), e.g. ``results.table(...)``.
        baseline: The variant the others are compared with.
        higher_is_better: The metric's direction.
        confidence: Coverage of the difference CIs.
        alpha: The significance level, applied to Holm-adjusted p-values.
        min_effect: The smallest difference (metric units) worth calling a difference; None: not set.
        scale: Multiplies numbers in the verdict (100 shows a 0-1 accuracy in percentage points).
        unit: The verdict's unit word (e.g. ``points``).

    Returns:
        One Comparison per variant other than the baseline, in the table's order.

    Raises:
        KeyError: ``baseline`` is not a variant of the table.
    """
    if baseline not in table:
        raise KeyError(f"baseline '{baseline}' is not one of the variants {sorted(table)}")
    variants = [name for name in table if name != baseline]
    paired = [
        paired_comparison(table[baseline], table[name], higher_is_better, confidence, alpha)
        for name in variants
    ]
    testable = [p.t_pvalue if p.n >= MIN_SEEDS else math.nan for p in paired]
    adjusted = holm(testable)
    comparisons = sum(math.isfinite(p) for p in testable)
    results = []
    for name, pair, holm_p in zip(variants, paired, adjusted, strict=True):
        notes = _divergence_notes(pair, name, baseline)
        values = list(table[name].values())
        if values and not any(math.isfinite(v) for v in values):
            outcome: Outcome = "diverged"
            verdict = f"diverged on all {len(values)} seed{'s' if len(values) != 1 else ''}"
        else:
            outcome, verdict = _verdict(
                pair, holm_p, comparisons, alpha=alpha, min_effect=min_effect, scale=scale, unit=unit
            )
            if pair.nonfinite_other:
                verdict += f"; diverged on {len(pair.nonfinite_other)} of {len(values)} seeds"
        results.append(Comparison(name, baseline, pair, holm_p, outcome, verdict, max(comparisons, 1), notes))
    return results
