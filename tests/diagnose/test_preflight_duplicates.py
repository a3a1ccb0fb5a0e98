"""Duplicates by hashing: repeats within train warn, evaluation samples copied from train are leakage."""

import hashlib

import torch
from preflight_data import RECIPE, bundle, healthy, separable

from trainlab.diagnose import preflight
from trainlab.diagnose.preflight.duplicates import row_hashes


def run(data, **thresholds):
    return preflight(RECIPE, data=data, checks=[{"name": "duplicates", **thresholds}])


def test_distinct_splits_pass():
    report = run(healthy())
    assert [r.check for r in report.results] == [
        "duplicates.train",
        "duplicates.train_val",
        "duplicates.train_test",
    ]
    assert all(r.status == "pass" for r in report.results)


def test_validation_copied_from_train_is_leakage():
    train = separable(200)
    val = separable(60, seed=1)
    val[0][:30] = train[0][:30]
    row = run(bundle(train, val)).result("duplicates.train_val")
    assert row.status == "fail" and row.measured.startswith("30 of 60 val samples")
    assert "memorization" in row.meaning


def test_a_single_copied_test_sample_is_a_warning_under_the_threshold():
    train, test = separable(200), separable(300, seed=2)
    test[0][0] = train[0][17]
    row = run(bundle(train, test=test)).result("duplicates.train_test")
    assert row.status == "warn" and row.measured.startswith("1 of 300")
    assert (
        run(bundle(train, test=test), max_leak_fraction=0.0).result("duplicates.train_test").status == "fail"
    )


def test_repeats_within_train_and_conflicting_labels_warn():
    inputs, targets = separable(100)
    inputs[90:], targets[90:] = inputs[:10], targets[:10]  # 10 repeats
    targets[90] = (targets[0] + 1) % 3  # one of them with another label
    row = run(bundle((inputs, targets))).result("duplicates.train")
    assert row.status == "warn"
    assert row.measured.startswith("10 of 100") and "1 inputs carry different labels" in row.measured


def test_row_hashes_are_blake2b_of_each_rows_bytes():
    inputs = torch.tensor([[1.0, 2.0], [1.0, 2.0], [2.0, 1.0]])
    expected = [hashlib.blake2b(row.numpy().tobytes(), digest_size=16).digest() for row in inputs]
    assert row_hashes(inputs) == expected
    assert expected[0] == expected[1] != expected[2]
