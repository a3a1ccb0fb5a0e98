"""trainlab.experiment.statistics against scipy.stats and statsmodels on known data."""

import math

import numpy as np
import pytest
from scipy import stats

from trainlab.experiment.statistics import (
    compare_to_baseline,
    describe,
    holm,
    paired_comparison,
    seeds_for_power,
)

VALUES = [0.912, 0.905, 0.921, 0.898, 0.915, 0.909, 0.917]
BASELINE = {0: 0.901, 1: 0.894, 2: 0.910, 3: 0.889, 4: 0.903}
BETTER = {0: 0.913, 1: 0.905, 2: 0.919, 3: 0.904, 4: 0.914}


def test_describe_matches_scipy_t_interval_and_bootstrap():
    result = describe(VALUES, confidence=0.9, n_boot=2000, seed=3)
    array = np.array(VALUES)
    assert result.n == 7 and result.n_nonfinite == 0
    assert result.mean == pytest.approx(array.mean())
    assert result.std == pytest.approx(array.std(ddof=1))
    expected = stats.t.interval(0.9, 6, loc=array.mean(), scale=stats.sem(array))
    assert result.t_ci == pytest.approx(expected)
    boot = stats.bootstrap(
        (array,),
        np.mean,
        confidence_level=0.9,
        n_resamples=2000,
        method="BCa",
        random_state=np.random.default_rng(3),
    )
    assert result.bootstrap_method == "BCa"
    assert result.bootstrap_ci == pytest.approx((boot.confidence_interval.low, boot.confidence_interval.high))


def test_describe_percentile_bootstrap_agrees_with_a_hand_resampling():
    # Tied values make BCa's acceleration undefined only in degenerate cases; here the BCa interval
    # must still lie near the plain percentile interval computed by hand.
    rng = np.random.default_rng(0)
    array = np.array(VALUES)
    means = array[rng.integers(0, len(array), size=(20000, len(array)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    result = describe(VALUES)
    assert result.bootstrap_ci[0] == pytest.approx(low, abs=0.003)
    assert result.bootstrap_ci[1] == pytest.approx(high, abs=0.003)


def test_describe_counts_diverged_values_and_leaves_them_out():
    result = describe([0.9, math.nan, 0.8, math.inf, 0.85])
    assert (result.n, result.n_nonfinite) == (3, 2)
    assert result.mean == pytest.approx(0.85)


def test_describe_of_too_few_or_equal_values():
    one = describe([0.5])
    assert one.n == 1 and one.mean == 0.5 and math.isnan(one.t_ci[0]) and one.bootstrap_method == "none"
    tied = describe([0.5, 0.5, 0.5])
    assert tied.bootstrap_ci == (0.5, 0.5) and tied.t_ci == (0.5, 0.5)


def test_paired_comparison_matches_scipy():
    result = paired_comparison(BASELINE, BETTER, higher_is_better=True)
    base, other = np.array(list(BASELINE.values())), np.array(list(BETTER.values()))
    diff = other - base
    assert result.n == 5
    assert result.mean_difference == pytest.approx(diff.mean())
    assert result.t_pvalue == pytest.approx(stats.ttest_rel(other, base).pvalue)
    assert result.wilcoxon_pvalue == pytest.approx(stats.wilcoxon(other, base).pvalue)
    assert result.cohens_dz == pytest.approx(diff.mean() / diff.std(ddof=1))
    half = stats.t.ppf(0.975, 4) * diff.std(ddof=1) / math.sqrt(5)
    assert result.ci == pytest.approx((diff.mean() - half, diff.mean() + half))


def test_paired_comparison_lower_is_better_flips_the_improvement():
    result = paired_comparison(BASELINE, BETTER, higher_is_better=False)
    assert result.improvement == pytest.approx(-result.mean_difference)
    assert result.improvement_ci == pytest.approx((-result.ci[1], -result.ci[0]))


def test_paired_comparison_reports_diverged_and_unpaired_seeds():
    other = {**BETTER, 1: math.nan, 9: 0.99}
    result = paired_comparison({**BASELINE, 3: math.inf}, other, higher_is_better=True)
    assert result.seeds == (0, 2, 4)
    assert result.nonfinite_other == (1,) and result.nonfinite_baseline == (3,)
    assert result.unpaired_seeds == (9,)


def test_holm_against_a_hand_computed_example():
    # sorted: 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> running max 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    adjusted = holm([0.2, math.nan, 0.6])
    assert adjusted[0] == pytest.approx(0.4) and math.isnan(adjusted[1]) and adjusted[2] == pytest.approx(0.6)


def test_holm_matches_statsmodels():
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    pvalues = [0.001, 0.2, 0.013, 0.04, 0.5, 0.012]
    expected = multitest.multipletests(pvalues, method="holm")[1]
    assert holm(pvalues) == pytest.approx(list(expected))


def test_seeds_for_power_matches_statsmodels():
    power = pytest.importorskip("statsmodels.stats.power")
    for effect in (0.5, 1.0, 2.0):
        exact = power.TTestPower().solve_power(effect_size=effect, alpha=0.05, power=0.8)
        assert seeds_for_power(effect) == math.ceil(exact)
    assert seeds_for_power(0.0) is None


def test_t_interval_matches_statsmodels():
    weightstats = pytest.importorskip("statsmodels.stats.weightstats")
    expected = weightstats.DescrStatsW(np.array(VALUES)).tconfint_mean(alpha=0.05)
    assert describe(VALUES).t_ci == pytest.approx(expected)


def test_compare_to_baseline_verdicts():
    worse = {seed: value - 0.02 for seed, value in BASELINE.items()}
    worse[2] -= 0.004
    noisy = {0: 0.95, 1: 0.85, 2: 0.93, 3: 0.86, 4: 0.91}
    table = {"base": BASELINE, "better": BETTER, "worse": worse, "noisy": noisy, "two": {0: 0.95, 1: 0.96}}
    results = {c.variant: c for c in compare_to_baseline(table, "base", True, scale=100, unit="points")}
    assert set(results) == {"better", "worse", "noisy", "two"}
    pvalues = [
        stats.ttest_rel(list(table[v].values()), list(BASELINE.values())).pvalue
        for v in ("better", "worse", "noisy")
    ]
    assert [results[v].holm_pvalue for v in ("better", "worse", "noisy")] == pytest.approx(holm(pvalues))
    better = results["better"]
    assert better.outcome == "better"
    gain = 100 * better.paired.mean_difference
    assert better.verdict.startswith(f"better by {gain:.3g} points [")
    assert better.verdict.endswith("5 seeds, Holm-adjusted")
    assert results["worse"].outcome == "worse" and results["worse"].verdict.startswith("worse by 2.08 points")
    assert results["noisy"].outcome == "unresolved" and "no difference" not in results["noisy"].verdict
    assert "spans a gain and a loss" in results["noisy"].verdict
    assert results["two"].outcome == "too few seeds"


def test_an_effect_that_holm_takes_below_significance_is_not_said_to_span_zero():
    # Raw paired p = 0.027 each; Holm over three comparisons lifts them all to 0.081.
    base = {0: 0.80, 1: 0.82, 2: 0.79, 3: 0.81, 4: 0.80}
    shifts = [0.010, 0.004, 0.016, 0.002, 0.012]
    table = {"base": base} | {
        name: {seed: value + shifts[(seed + k) % 5] for seed, value in base.items()}
        for k, name in enumerate(("a", "b", "c"))
    }
    results = compare_to_baseline(table, "base", True)
    raw = [r.paired.t_pvalue for r in results]
    assert all(p < 0.05 for p in raw) and all(r.holm_pvalue >= 0.05 for r in results)
    assert all(
        r.outcome == "unresolved" and "excludes 0 only before the Holm adjustment" in r.verdict
        for r in results
    )


def test_compare_to_baseline_equivalence_needs_a_min_effect():
    close = {seed: value + (0.0004 if seed % 2 else -0.0003) for seed, value in BASELINE.items()}
    table = {"base": BASELINE, "close": close}
    (without,) = compare_to_baseline(table, "base", True)
    assert without.outcome == "unresolved"
    (with_margin,) = compare_to_baseline(table, "base", True, min_effect=0.005)
    assert with_margin.outcome == "equivalent" and with_margin.verdict.startswith(
        "no difference larger than 0.005"
    )


def test_compare_to_baseline_counts_divergence():
    partly = {**BETTER, 4: math.nan}
    table = {"base": BASELINE, "partly": partly, "gone": dict.fromkeys(BASELINE, math.nan)}
    results = {c.variant: c for c in compare_to_baseline(table, "base", True)}
    assert results["partly"].paired.n == 4
    assert results["partly"].verdict.endswith("diverged on 1 of 5 seeds")
    assert "partly diverged (NaN/inf) on 1 seed (4)" in results["partly"].notes[0]
    assert results["gone"].outcome == "diverged" and results["gone"].verdict == "diverged on all 5 seeds"
    assert results["partly"].comparisons == 1


def test_compare_to_baseline_identical_runs():
    (same,) = compare_to_baseline({"base": BASELINE, "copy": dict(BASELINE)}, "base", True)
    assert same.outcome == "identical" and same.paired.t_pvalue == 1.0


def test_a_constant_shift_is_not_read_as_a_tiny_variance():
    # 0.9 - 0.8 and 0.8 - 0.7 differ in the last bits of a float; the shift is the same on every seed.
    result = paired_comparison({0: 0.8, 1: 0.7, 2: 0.6}, {0: 0.9, 1: 0.8, 2: 0.7}, higher_is_better=True)
    assert result.std_difference == 0 and result.t_pvalue == 0.0 and result.ci == pytest.approx((0.1, 0.1))


def test_compare_to_baseline_unknown_baseline():
    with pytest.raises(KeyError, match="baseline 'nope'"):
        compare_to_baseline({"a": BASELINE}, "nope", True)
