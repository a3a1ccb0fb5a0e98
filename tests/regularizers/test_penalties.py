"""Weight penalties, activity penalties and constraints against their formulas."""

import pytest
import torch
from torch import nn

import trainlab


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3)).double()


def _weights(model):
    return [model[0].weight, model[2].weight]


@pytest.mark.parametrize(
    "name, formula",
    [
        ("l1", lambda w: w.abs().sum()),
        ("l2", lambda w: 0.5 * (w**2).sum()),
        ("nuclear", lambda w: torch.linalg.svdvals(w).sum()),
        ("spectral_penalty", lambda w: 0.5 * torch.linalg.svdvals(w)[0] ** 2),
        (
            "orthogonality",
            lambda w: (
                ((w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w) - torch.eye(min(w.shape), dtype=w.dtype))
                .pow(2)
                .sum()
            ),
        ),
    ],
)
def test_weight_penalty_matches_its_formula(name, formula):
    model = _model()
    penalty = trainlab.create("regularizer", name, strength=0.1)
    penalty.attach(model)
    expected = 0.1 * sum(formula(w) for w in _weights(model))
    torch.testing.assert_close(penalty(model), expected)


def test_pattern_selects_parameters_and_biases_are_skipped_unless_asked():
    model = _model()
    only_first = trainlab.create("regularizer", "l1", strength=1.0, pattern="0.*")
    torch.testing.assert_close(only_first(model), model[0].weight.abs().sum())
    with_bias = trainlab.create("regularizer", "l1", strength=1.0, include_bias=True)
    torch.testing.assert_close(with_bias(model), sum(p.abs().sum() for p in model.parameters()))


def test_activity_l1_and_kl_sparsity_read_the_hooked_activations():
    model = nn.Sequential()
    model.add_module("linear", nn.Linear(4, 5))
    model.add_module("act", nn.Sigmoid())
    model = model.double()
    x = torch.randn(8, 4, dtype=torch.float64)
    l1 = trainlab.create("regularizer", "activity_l1", strength=0.5)
    kl = trainlab.create("regularizer", "kl_sparsity", strength=2.0, target=0.1)
    l1.attach(model)
    kl.attach(model)
    a = model(x)
    torch.testing.assert_close(l1(model), 0.5 * a.abs().sum() / 8)
    rho_hat = a.mean(0)
    expected = 2.0 * (0.1 * torch.log(0.1 / rho_hat) + 0.9 * torch.log(0.9 / (1 - rho_hat))).sum()
    torch.testing.assert_close(kl(model), expected)


def test_max_norm_clips_each_units_incoming_weights():
    model = _model()
    with torch.no_grad():
        model[0].weight.mul_(10)
    constraint = trainlab.create("regularizer", "max_norm", max_norm=1.5)
    constraint.attach(model)
    constraint.apply()
    norms = model[0].weight.norm(dim=1)
    assert torch.all(norms <= 1.5 + 1e-9)
    assert torch.allclose(norms, torch.full_like(norms, 1.5))


def test_spectral_norm_parametrization_gives_unit_spectral_norm():
    model = _model()
    trainlab.create("regularizer", "spectral_norm", power_iterations=50).attach(model)
    model.train()
    model(torch.randn(2, 4, dtype=torch.float64))  # power iteration runs in training forward passes
    assert torch.linalg.svdvals(model[0].weight)[0].item() == pytest.approx(1.0, rel=1e-3)


def test_penalties_are_logged_and_added_from_a_recipe():
    recipe = {
        "data": "iris",
        "model": {"name": "mlp", "width": 8},
        "train": {"steps": 2, "log_every": 1},
        "regularizers": [{"name": "l1", "strength": 1e-3}, {"name": "l2", "strength": 1e-3}],
    }
    history = trainlab.fit(recipe, save=False).history
    step = next(r for r in history if r["type"] == "step")
    assert step["penalty.l1"] > 0 and step["penalty.l2"] > 0


def test_bad_activity_pattern_is_a_config_error_naming_the_key():
    recipe = {
        "data": "iris",
        "model": "mlp",
        "train": {"steps": 1},
        "regularizers": [{"name": "activity_l1", "pattern": "nothing*"}],
    }
    with pytest.raises(trainlab.errors.ConfigError, match=r"regularizers\[0\]\.pattern"):
        trainlab.fit(recipe, save=False)
