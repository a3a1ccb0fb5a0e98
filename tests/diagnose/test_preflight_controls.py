"""Training controls: overfit one batch, shuffled labels, zeroed inputs; each passes and each catches its case."""

import torch
from preflight_data import RECIPE, InputBlind, LabelReader, bundle, healthy, separable, with_label_column

from trainlab.diagnose import preflight


def row(check, data=None, model=None, **options):
    report = preflight(
        RECIPE, data=data if data is not None else healthy(), model=model, checks=[{"name": check, **options}]
    )
    return report.result(check)


def test_a_working_model_overfits_one_batch():
    result = row("overfit_batch")
    assert result.status == "pass" and "on 8 samples" in result.measured


def test_a_model_blind_to_its_input_cannot_overfit_a_batch():
    result = row("overfit_batch", model=InputBlind(), steps=60)
    assert result.status == "fail"
    assert "wiring" in result.meaning and "after 60 steps" in result.measured


def test_shuffled_labels_stay_at_chance():
    result = row("shuffled_labels")
    assert result.status == "pass", result.measured


def test_a_label_that_reaches_the_model_beats_chance_on_shuffled_labels():
    train, val = separable(300), separable(200, seed=1)
    data = bundle(with_label_column(train), with_label_column(val), input_shape=(7,))
    result = row("shuffled_labels", data=data, model=LabelReader(), steps=20)
    assert result.status == "fail" and "leaks" in result.meaning


def test_the_chance_level_is_the_majority_class_rate_on_held_out_data():
    train, val = separable(300), separable(200, seed=1)
    majority = int(torch.bincount(train[1]).argmax())  # the check's 300-sample draw is the whole split
    chance = float((val[1] == majority).double().mean())
    result = row("shuffled_labels", data=bundle(train, val), samples=300)
    assert f"chance {chance:.3f}" in result.measured


def test_real_inputs_beat_zeroed_inputs():
    result = row("zeroed_inputs")
    assert result.status == "pass", result.measured


def test_a_model_that_ignores_its_inputs_does_no_better_than_zeroed_inputs():
    result = row("zeroed_inputs", model=InputBlind())
    assert result.status == "fail" and "label prior" in result.meaning


def test_regression_skips_the_shuffled_label_control():
    inputs = torch.randn(100, 6)
    data = bundle((inputs, inputs.sum(1, keepdim=True)), task="regression")
    assert row("shuffled_labels", data=data).status == "skip"
