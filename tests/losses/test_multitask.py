"""multitask: Kendall et al.'s uncertainty weighting written out here, learned sigmas, per-task terms, and bad heads."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import trainlab
from trainlab.cli import main
from trainlab.losses.multitask import MultiTaskLoss
from trainlab.models import build_model


def _batch(seed=0):
    torch.manual_seed(seed)
    model = build_model("multitask", (12,), 4, auxiliary=["reconstruction", "parity", "coarse"], features=8)
    return model, torch.randn(16, 12), torch.randint(4, (16,))


def test_uncertainty_weighting_is_kendall_et_al_eq_7_and_10():
    model, x, y = _batch()
    loss = MultiTaskLoss(weighting="uncertainty")
    loss.attach(model)
    with torch.no_grad():
        for task, s in zip(loss.tasks, (0.3, -0.2, 0.5, 0.1), strict=True):
            loss.log_variance[task].fill_(s)
    logits = model(x)
    aux = model.last_auxiliary
    parts = {
        "main": (F.cross_entropy(logits, y), False),
        "reconstruction": (F.mse_loss(aux["reconstruction"], x), True),
        "parity": (F.cross_entropy(aux["parity"], y % 2), False),
        "coarse": (F.cross_entropy(aux["coarse"], (y >= 2).long()), False),
    }
    expected = 0.0
    for task, (value, regression) in parts.items():
        s = loss.log_variance[task].detach()
        expected = expected + (0.5 if regression else 1.0) * torch.exp(-s) * value + 0.5 * s
    result = loss(logits, y)
    torch.testing.assert_close(result.total, expected)
    torch.testing.assert_close(result.terms["sigma_main"], torch.exp(torch.tensor(0.15)))
    assert set(result.terms) >= {"main", "reconstruction", "parity", "accuracy_parity", "accuracy_coarse"}


def test_fixed_weighting_sums_the_weighted_task_losses():
    model, x, y = _batch(1)
    loss = MultiTaskLoss(weighting="fixed", weights={"reconstruction": 0.5, "main": 2.0})
    loss.attach(model)
    logits = model(x)
    aux = model.last_auxiliary
    expected = (
        2.0 * F.cross_entropy(logits, y)
        + 0.5 * F.mse_loss(aux["reconstruction"], x)
        + F.cross_entropy(aux["parity"], y % 2)
        + F.cross_entropy(aux["coarse"], (y >= 2).long())
    )
    torch.testing.assert_close(loss(logits, y).total, expected)


def test_a_run_learns_its_sigmas_and_reports_every_tasks_metrics():
    result = trainlab.fit(
        {
            "data": "digits",
            "model": {"name": "multitask", "auxiliary": ["reconstruction", "parity"]},
            "loss": "multitask",
            "train": {"steps": 150, "batch_size": 64},
        },
        save=False,
        verbose=0,
    )
    test = result.summary["test"]
    assert test["accuracy"] > 0.8 and test["loss.accuracy_parity"] > 0.8 and "loss.reconstruction" in test
    sigmas = [test[f"loss.sigma_{t}"] for t in ("main", "reconstruction", "parity")]
    # Each sigma starts at 1 and is optimized; the easy parity task (loss ~0.05, optimum sigma^2 = 2 L) has
    # fallen below 1 already.
    assert all(abs(s - 1.0) > 1e-3 for s in sigmas) and sigmas[2] < 0.97, sigmas


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        (["--set", "loss.weights={parity: 2.0}"], "loss.weights"),
        (["--set", "model=mlp"], "model.name: multitask"),
    ],
)
def test_heads_that_do_not_match_the_tasks_are_exit_2(tmp_path, capsys, overrides, named):
    recipe = tmp_path / "mt.yaml"
    recipe.write_text(
        "data: digits\nmodel: {name: multitask, auxiliary: [reconstruction]}\n"
        "loss: {name: multitask, weighting: fixed}\ntrain: {steps: 2}\n"
    )
    code = main(["fit", str(recipe), *overrides, "--out", str(tmp_path / "run")])
    output = "".join(capsys.readouterr())
    assert code == 2 and named in output and "Traceback" not in output, output
    assert not (tmp_path / "run").exists()
