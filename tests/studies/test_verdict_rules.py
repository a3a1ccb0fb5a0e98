"""Verdict rules on synthetic measurement tables whose answer is known, checked against independent formulas."""

import math

import numpy as np
import pytest
from scipy import stats

from trainlab.studies import MeasurementTable, judge
from trainlab.studies.registries import VERDICT_RULES


def table(**arms):
    return MeasurementTable.from_rows({arm: dict(enumerate(values)) for arm, values in arms.items()})


def rule(name, **options):
    return VERDICT_RULES.get(name).build(**options)


def verdict(name, data, **options):
    return judge(rule(name, **options), data, name)


NOISE = np.array([0.01, -0.02, 0.015, -0.005, 0.0, 0.012, -0.011, 0.003])


# -- better_by_delta --------------------------------------------------------------------------


def test_a_clear_improvement_is_supported_with_the_paired_t_statistics():
    a, b = 0.9 + NOISE, 0.8 + NOISE[::-1]
    result = verdict("better_by_delta", table(a=a, b=b), better="a", worse="b", delta=0.05)
    differences = a - b
    # The one-sided p of mean(d) > delta, from the t statistic written out.
    t = (differences.mean() - 0.05) / (differences.std(ddof=1) / math.sqrt(len(differences)))
    assert result.outcome == "supported"
    assert result.p_value == pytest.approx(stats.t.sf(t, len(differences) - 1))
    assert result.effect == pytest.approx(differences.mean())
    half = (
        stats.t.ppf(0.95, 7) * differences.std(ddof=1) / math.sqrt(8)
    )  # the 90% interval of a one-sided test
    assert result.ci == pytest.approx((differences.mean() - half, differences.mean() + half))
    assert result.seeds == list(range(8))


def test_the_opposite_effect_significant_is_not_supported():
    result = verdict("better_by_delta", table(a=0.7 + NOISE, b=0.8 + NOISE[::-1]), better="a", worse="b")
    assert result.outcome == "not supported"
    assert result.effect < 0 and result.p_value < 0.05


def test_an_effect_smaller_than_delta_is_inconclusive():
    result = verdict(
        "better_by_delta", table(a=0.81 + NOISE, b=0.8 + NOISE[::-1]), better="a", worse="b", delta=0.2
    )
    assert result.outcome == "inconclusive"


def test_lower_is_better_flips_the_orientation():
    result = verdict(
        "better_by_delta", table(a=0.1 + NOISE, b=0.5 + NOISE[::-1]), better="a", worse="b", direction="lower"
    )
    assert result.outcome == "supported" and result.effect == pytest.approx(0.4, abs=0.02)


def test_wilcoxon_matches_scipy():
    a, b = 0.9 + NOISE, 0.8 + NOISE[::-1]
    result = verdict("better_by_delta", table(a=a, b=b), better="a", worse="b", test="wilcoxon")
    assert result.p_value == pytest.approx(stats.wilcoxon(a - b, alternative="greater").pvalue)


def test_identical_differences_are_decided_without_a_nan():
    result = verdict("better_by_delta", table(a=[2.0, 3.0, 4.0], b=[1.0, 2.0, 3.0]), better="a", worse="b")
    assert result.outcome == "supported" and result.p_value == 0.0 and result.ci == (1.0, 1.0)


# -- fewer than three seeds ----------------------------------------------------------------------


@pytest.mark.parametrize("seeds", [1, 2])
def test_fewer_than_three_seeds_is_only_ever_inconclusive(seeds):
    huge = table(a=[100.0, 101.0][:seeds], b=[0.0, 0.5][:seeds])
    for name, options in [
        ("better_by_delta", {"better": "a", "worse": "b"}),
        ("equivalence", {"first": "a", "second": "b", "tolerance": 1000.0}),
        ("k_of_n", {"arm": "a", "k": 1, "threshold": 0.0}),
    ]:
        result = verdict(name, huge, **options)
        assert result.outcome == "inconclusive" and result.seeds == list(range(seeds)), name


def test_missing_runs_reduce_the_seeds_and_are_kept_in_the_table():
    data = table(a=[1.0, 2.0, float("nan"), 3.0], b=[0.0, 1.0, 1.0, float("inf")])
    assert data.shared_seeds(["a", "b"]) == [0, 1]
    assert data.missing == {"a": {2: "value nan"}, "b": {3: "value inf"}}
    assert verdict("better_by_delta", data, better="a", worse="b").outcome == "inconclusive"


# -- equivalence ----------------------------------------------------------------------------------


def test_tost_supports_equal_arms_and_matches_the_two_one_sided_tests():
    a, b = 0.8 + NOISE, 0.8 + NOISE[::-1]
    result = verdict("equivalence", table(a=a, b=b), first="a", second="b", tolerance=0.05)
    d = a - b
    se = d.std(ddof=1) / math.sqrt(len(d))
    p_lower = stats.t.sf((d.mean() + 0.05) / se, len(d) - 1)
    p_upper = stats.t.cdf((d.mean() - 0.05) / se, len(d) - 1)
    assert result.outcome == "supported"
    assert result.p_value == pytest.approx(max(p_lower, p_upper))
    # TOST at alpha corresponds to the (1 - 2 alpha) interval.
    half = stats.t.ppf(0.95, len(d) - 1) * se
    assert result.ci == pytest.approx((d.mean() - half, d.mean() + half))


def test_tost_refutes_a_difference_beyond_the_tolerance():
    result = verdict(
        "equivalence", table(a=1.0 + NOISE, b=0.8 + NOISE[::-1]), first="a", second="b", tolerance=0.05
    )
    assert result.outcome == "not supported"


def test_tost_with_too_few_or_noisy_seeds_is_inconclusive():
    noisy = np.array([0.3, -0.25, 0.1, -0.2])
    result = verdict("equivalence", table(a=noisy, b=np.zeros(4)), first="a", second="b", tolerance=0.05)
    assert result.outcome == "inconclusive"


def test_non_inferiority_accepts_a_better_arm_and_refutes_a_much_worse_one():
    better = verdict(
        "equivalence",
        table(a=0.9 + NOISE, b=0.8 + NOISE[::-1]),
        first="a",
        second="b",
        tolerance=0.02,
        margin="not_worse",
    )
    worse = verdict(
        "equivalence",
        table(a=0.7 + NOISE, b=0.8 + NOISE[::-1]),
        first="a",
        second="b",
        tolerance=0.02,
        margin="not_worse",
    )
    assert better.outcome == "supported" and worse.outcome == "not supported"


# -- monotone trend ---------------------------------------------------------------------------------


def test_a_rising_sweep_is_supported_by_pages_test():
    rows = {f"x{i}": [i + 0.1 * n for n in NOISE[:5] * 10] for i in range(4)}
    result = verdict("monotone_trend", table(**rows), arms=["x0", "x1", "x2", "x3"])
    data = np.array([[rows[f"x{i}"][s] for i in range(4)] for s in range(5)])
    assert result.outcome == "supported"
    assert result.p_value == pytest.approx(stats.page_trend_test(data).pvalue)
    assert result.effect == pytest.approx(1.0)


def test_a_falling_sweep_refutes_an_increasing_claim_and_supports_a_decreasing_one():
    rows = {f"x{i}": [-i + 0.01 * s for s in range(5)] for i in range(4)}
    arms = ["x0", "x1", "x2", "x3"]
    assert verdict("monotone_trend", table(**rows), arms=arms).outcome == "not supported"
    assert verdict("monotone_trend", table(**rows), arms=arms, direction="decreasing").outcome == "supported"


def test_no_trend_is_inconclusive():
    rng = np.random.default_rng(0)
    rows = {f"x{i}": list(rng.normal(size=5)) for i in range(4)}
    result = verdict("monotone_trend", table(**rows), arms=["x0", "x1", "x2", "x3"])
    assert result.outcome == "inconclusive"


# -- k of n ---------------------------------------------------------------------------------------


def test_k_of_n_counts_seeds_past_a_threshold():
    data = table(a=[0.99, 1.0, 0.97, 0.5, 1.0])
    result = verdict("k_of_n", data, arm="a", k=4, threshold=0.95)
    assert result.outcome == "supported" and result.details["holds"] == 4
    assert result.p_value == pytest.approx(stats.binomtest(4, 5, 0.5, alternative="greater").pvalue)
    assert result.effect == pytest.approx(0.8)
    # Clopper-Pearson for 4 of 5 from its beta quantiles.
    assert result.ci == pytest.approx((stats.beta.ppf(0.025, 4, 2), stats.beta.ppf(0.975, 5, 1)))
    strict = verdict("k_of_n", data, arm="a", k=5, threshold=0.95)
    assert strict.outcome == "inconclusive"


def test_k_of_n_refutes_when_the_opposite_holds_in_k_seeds():
    data = table(a=[0.1, 0.2, 0.1, 0.3], b=[0.5, 0.6, 0.7, 0.1])
    result = verdict("k_of_n", data, arm="a", versus="b", k=3)
    assert result.outcome == "not supported" and result.details["fails"] == 3


def test_k_of_n_needs_a_threshold_or_a_versus_arm():
    with pytest.raises(ValueError, match="exactly one"):
        rule("k_of_n", arm="a", k=3)
