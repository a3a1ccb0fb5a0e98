"""Initial loss: ln C for a fresh classifier; too high is an overconfident init, too low a leak."""

import math

import torch
from preflight_data import RECIPE, LabelReader, bundle, healthy, separable, with_label_column
from torch import nn

from trainlab.diagnose import preflight


def init_row(data=None, model=None, recipe=RECIPE):
    return preflight(
        recipe, data=data if data is not None else healthy(), model=model, checks=["init_loss"]
    ).result("init_loss")


def test_a_fresh_classifier_starts_at_ln_c():
    row = init_row()
    assert row.status == "pass"
    assert f"{math.log(3):.4g} for uniform predictions (= ln 3)" in row.measured


def _scaled_head(factor):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 3))
    with torch.no_grad():
        model[2].weight.mul_(factor)
        model[2].bias.mul_(factor)
    return model


def test_large_initial_logits_fail_and_say_what_it_means():
    row = init_row(model=_scaled_head(60.0))
    assert row.status == "fail"
    assert "confident and wrong" in row.meaning and "init" in row.fix


def test_moderately_large_logits_warn():
    row = init_row(model=_scaled_head(20.0))
    assert row.status == "warn"


def test_a_loss_below_the_labels_entropy_warns_of_a_leak():
    train, val = separable(300), separable(100, seed=1)
    data = bundle(with_label_column(train), with_label_column(val), input_shape=(7,))
    row = init_row(data, model=LabelReader())
    assert row.status == "warn" and "leak" in row.meaning


def test_the_reference_is_the_recipes_own_loss_at_uniform_predictions():
    # Focal loss at uniform predictions is (1 - 1/C)^γ · ln C (Lin et al. 2017, with p_t = 1/C).
    recipe = {**RECIPE, "loss": {"name": "focal", "gamma": 2.0}}
    row = init_row(recipe=recipe)
    assert f"{(1 - 1 / 3) ** 2 * math.log(3):.4g} for uniform predictions" in row.measured
    assert row.status == "pass"


def test_regression_has_no_chance_level():
    inputs = torch.randn(100, 6)
    data = bundle((inputs, inputs.sum(1, keepdim=True)), task="regression")
    assert init_row(data).status == "skip"
