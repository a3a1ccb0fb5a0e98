"""Measures on hand-made run directories, checked against numpy; the textbook Adam against torch's."""

import json
import math

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from trainlab.studies.registries import MEASURES


def measure(name, run_dir, **options):
    return MEASURES.get(name).build(**options)(run_dir)


@pytest.fixture
def run_dir(tmp_path):
    summary = {
        "status": "finished",
        "train": {"loss": 0.1, "accuracy": 0.98},
        "test": {"loss": 0.4, "accuracy": 0.9},
        "run": {"steps": 100, "diverged": None},
    }
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    steps = [{"type": "step", "step": s, "split": "train", "loss": 1.0 / s} for s in (10, 20, 40)]
    evals = [
        {"type": "eval", "step": s, "split": "val", "accuracy": a}
        for s, a in ((10, 0.5), (20, 0.8), (30, 0.95))
    ]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in steps + evals))
    rows = [
        {"step": 1, "kind": "activation", "layer": f"act{i}", "std": std, "dead_frac": dead}
        for i, (std, dead) in enumerate([(1.0, 0.0), (0.1, 0.5), (0.01, 1.0)])
    ] + [{"step": 5, "kind": "activation", "layer": "act0", "std": 2.0, "dead_frac": 0.25}]
    (tmp_path / "diagnostics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    generator = torch.Generator().manual_seed(0)
    weights = {
        "linear1.weight": torch.tensor([[0.0, 2e-4, 3.0], [-0.5, 0.0, 1.0]]),
        "linear2.weight": torch.randn(6, 4, generator=generator),
        "linear1.bias": torch.tensor([0.0, 0.0]),
    }
    save_file(weights, str(tmp_path / "model.safetensors"))
    return tmp_path


def test_summary_measures(run_dir):
    assert measure("final_metric", run_dir, metric="accuracy") == pytest.approx(0.9)
    assert measure("generalization_gap", run_dir, metric="accuracy") == pytest.approx(0.08)
    assert measure("generalization_gap", run_dir, metric="loss") == pytest.approx(0.3)  # held-out minus train
    assert measure("diverged", run_dir) == 0.0


def test_curve_measures(run_dir):
    assert measure("steps_to_threshold", run_dir, metric="accuracy", split="val", threshold=0.9) == 30
    assert measure("steps_to_threshold", run_dir, metric="accuracy", split="val", threshold=0.99) == 101
    assert measure("steps_to_threshold", run_dir, threshold=0.06) == 20
    # Each logged loss stands for the steps since the previous log: (0.1*10 + 0.05*10 + 0.025*20) / 40.
    assert measure("train_loss_auc", run_dir) == pytest.approx((1.0 + 0.5 + 0.5) / 40)
    assert measure("train_loss_auc", run_dir, until_step=20) == pytest.approx((1.0 + 0.5) / 20)


def test_instrument_statistic(run_dir):
    assert (
        measure("instrument_statistic", run_dir, field="std", step="first", reduce="last_over_first") == 0.01
    )
    ratio = measure(
        "instrument_statistic",
        run_dir,
        field="std",
        step="first",
        reduce="last_over_first",
        transform="abs_log10",
    )
    assert ratio == pytest.approx(2.0)
    assert measure("instrument_statistic", run_dir, field="dead_frac", step=1) == pytest.approx(0.5)
    assert measure("instrument_statistic", run_dir, field="dead_frac", step="last") == 0.25


def test_weight_measures_match_numpy(run_dir):
    first = np.array([[0.0, 2e-4, 3.0], [-0.5, 0.0, 1.0]])
    second = torch.randn(6, 4, generator=torch.Generator().manual_seed(0)).double().numpy()
    everything = np.concatenate([first.ravel(), second.ravel()])
    assert measure("weight_sparsity", run_dir) == pytest.approx(np.mean(everything == 0))
    assert measure("weight_sparsity", run_dir, threshold=1e-3) == pytest.approx(
        np.mean(np.abs(everything) <= 1e-3)
    )
    assert measure("weight_norm", run_dir) == pytest.approx(np.linalg.norm(everything), rel=1e-6)
    singular = np.linalg.svd(second, compute_uv=False)
    p = singular / singular.sum()
    assert measure("effective_rank", run_dir, parameter="linear2.weight") == pytest.approx(
        np.exp(-(p * np.log(p)).sum())
    )
    assert measure("condition_number", run_dir, parameter="linear2.weight") == pytest.approx(
        np.linalg.cond(second)
    )


def test_a_missing_file_or_weight_is_a_clear_error(run_dir, tmp_path_factory):
    from trainlab.errors import TrainlabError

    with pytest.raises(TrainlabError, match="did you mean 'linear2.weight'"):
        measure("effective_rank", run_dir, parameter="linear2.weigth")
    with pytest.raises(TrainlabError, match="no summary.json"):
        measure("final_metric", tmp_path_factory.mktemp("empty"))


def test_a_failed_run_counts_as_diverged(tmp_path):
    (tmp_path / "summary.json").write_text(
        json.dumps({"status": "failed", "error": "NonFiniteLossError: nan"})
    )
    assert measure("diverged", tmp_path) == 1.0


def test_playground_effective_lr_is_one_for_gradient_descent_and_decays_for_adagrad(tmp_path):
    from trainlab.studies.playground_arm import run_playground_arm
    from trainlab.studies.spec import PlaygroundSettings

    sgd = run_playground_arm(PlaygroundSettings(optimizer="sgd", lr=0.01, steps=60), 0, tmp_path / "sgd")
    assert measure("playground_metric", tmp_path / "sgd", metric="effective_lr_ratio") == pytest.approx(1.0)
    run_playground_arm(PlaygroundSettings(optimizer="adagrad", lr=0.5, steps=60), 0, tmp_path / "adagrad")
    assert measure("playground_metric", tmp_path / "adagrad", metric="effective_lr_ratio") < 1.0
    assert measure("playground_metric", tmp_path / "sgd", metric="final_value") == pytest.approx(
        sgd["values"][-1]
    )
    assert (
        measure("playground_metric", tmp_path / "sgd", metric="steps_to_tolerance") == 61
    )  # not reached: steps + 1


def test_seeds_jitter_the_playground_start(tmp_path):
    from trainlab.studies.playground_arm import run_playground_arm
    from trainlab.studies.spec import PlaygroundSettings

    settings = PlaygroundSettings(steps=5, start_jitter=0.3)
    a, b = (run_playground_arm(settings, seed, tmp_path / str(seed)) for seed in (0, 1))
    assert a["start"] != b["start"] and math.dist(a["start"], (-4.0, 1.0)) < 2.0


@pytest.mark.parametrize("bias_correction", [True, False])
def test_textbook_adam_matches_torch_and_the_uncorrected_formula(bias_correction):
    from trainlab.studies.textbook_adam import TextbookAdam

    torch.manual_seed(0)
    start = torch.randn(5)
    ours = start.clone().requires_grad_(True)
    optimizer = TextbookAdam([ours], lr=0.1, bias_correction=bias_correction)
    reference = start.clone().requires_grad_(True)
    torch_adam = torch.optim.Adam([reference], lr=0.1)
    m = v = torch.zeros(5, dtype=torch.float64)
    expected = start.double()
    for t in range(1, 6):
        for param, opt in ((ours, optimizer), (reference, torch_adam)):
            opt.zero_grad()
            (param**2).sum().backward()
            opt.step()
        g = 2 * expected
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g**2
        if bias_correction:
            expected = expected - 0.1 * (m / (1 - 0.9**t)) / ((v / (1 - 0.999**t)).sqrt() + 1e-8)
        else:
            expected = expected - 0.1 * m / (v.sqrt() + 1e-8)
    torch.testing.assert_close(ours.detach().double(), expected, rtol=1e-5, atol=1e-6)
    if bias_correction:
        torch.testing.assert_close(ours.detach(), reference.detach(), rtol=1e-5, atol=1e-6)
