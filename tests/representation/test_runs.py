"""Representation tasks through fit and the CLI: what the run directory holds, resume, bad input, pretraining."""

import json
import logging

import pytest
import torch
from safetensors.torch import load_file

import trainlab
from trainlab.cli import main
from trainlab.models import build_model
from trainlab.registry import MODELS

REPRESENTATION_MODELS = [e.name for e in MODELS if e.flags.get("objective")]
TRAIN = {"batch_size": 32, "log_every": 2, "threads": 1, "progress": False}
DIGITS = {"name": "digits", "scaling": "minmax"}


def fit(model, tmp_path=None, steps=6, **train):
    recipe = {"data": DIGITS, "model": model, "train": {**TRAIN, "steps": steps, **train}}
    if tmp_path is not None:
        recipe["out"] = str(tmp_path)
    return trainlab.fit(recipe, save=tmp_path is not None, verbose=0)


@pytest.mark.slow  # matplotlib and a probe fit: several seconds
def test_an_autoencoder_run_logs_its_terms_and_scores_its_code(tmp_path):
    result = fit({"name": "sparse_autoencoder", "latent": 8}, tmp_path / "run")
    run = result.run_dir
    steps = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    logged = [r for r in steps if r.get("type") == "step"]
    assert {"loss.reconstruction", "loss.sparsity"} <= set(logged[-1])
    assert logged[-1]["loss"] == pytest.approx(
        logged[-1]["loss.reconstruction"] + logged[-1]["loss.sparsity"], rel=1e-5
    )
    scores = json.loads((run / "representation.json").read_text())
    assert 0.0 <= scores["probe_accuracy"] <= 1.0 and scores["sparsity_target"] == 0.05
    assert result.summary["test"]["probe_accuracy"] == scores["probe_accuracy"]
    assert {p.name for p in (run / "representation").iterdir()} == {
        "reconstructions.png",
        "latent.png",
        "filters.png",
    }
    recipe = (run / "recipe.yaml").read_text()
    assert "task: reconstruction" in recipe and "name: model_objective" in recipe


@pytest.mark.slow
@pytest.mark.parametrize("name", REPRESENTATION_MODELS)
def test_every_representation_model_learns_to_reconstruct(name):
    torch.manual_seed(0)
    result = fit(name, steps=30, log_every=1, batch_size=128)
    logged = [r["loss.reconstruction"] for r in result.history if r["type"] == "step"]
    assert logged[-1] < 0.9 * logged[0], (
        f"{name}: reconstruction went from {logged[0]:.4g} to {logged[-1]:.4g}"
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "model",
    [
        {"name": "vae", "decoder": "bernoulli", "kl_warmup_steps": 10, "free_bits": 0.1},
        {"name": "rbm", "persistent": True, "hidden": [16, 8], "layer_steps": 5, "chains": 10},
    ],
    ids=["vae", "rbm"],
)
def test_resume_is_bit_identical_with_annealing_and_persistent_chains(model, tmp_path):
    whole = fit(model, tmp_path / "whole", steps=12, checkpoint_every=4, deterministic=True)
    fit(model, tmp_path / "split", steps=6, checkpoint_every=4, deterministic=True)  # last checkpoint: step 6
    resumed = trainlab.fit(resume=tmp_path / "split", steps=12, verbose=0)
    a, b = load_file(whole.run_dir / "model.safetensors"), load_file(resumed.run_dir / "model.safetensors")
    assert a.keys() == b.keys()
    assert any(key.startswith("chains") or key == "training_passes" for key in a)
    for key in a:
        assert torch.equal(a[key], b[key]), key
    steps = lambda h: [r for r in h if r["type"] == "step"]  # noqa: E731
    assert steps(whole.history) == steps(resumed.history)


def cli(capsys, *args):
    code = main(["fit", "--data", "digits", "--steps", "2", "--set", "train.progress=false", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_reconstruction_task_with_a_classification_loss_is_refused(capsys, tmp_path):
    code, output = cli(
        capsys, "--model", "autoencoder", "--set", "loss=cross_entropy", "--out", str(tmp_path / "r")
    )
    assert code == 2 and "Traceback" not in output
    assert "loss.name" in output and "cross_entropy" in output and "reconstruction task" in output
    assert not (tmp_path / "r").exists()


def test_a_bernoulli_decoder_on_unscaled_inputs_says_to_scale_them(capsys, tmp_path):
    code, output = cli(
        capsys, "--model", "vae", "--set", "model.decoder=bernoulli", "--out", str(tmp_path / "r")
    )
    assert code == 2 and "Traceback" not in output
    assert "data.scaling" in output and "scale them to [0, 1]" in output
    assert not (tmp_path / "r").exists()


def test_a_classifier_on_a_reconstruction_task_is_refused(capsys, tmp_path):
    code, output = cli(capsys, "--model", "mlp", "--set", "task=reconstruction", "--out", str(tmp_path / "r"))
    assert code == 2 and "Traceback" not in output and "task" in output and "'mlp' predicts labels" in output


def test_an_overcomplete_plain_autoencoder_is_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="trainlab"):
        build_model("autoencoder", (1, 8, 8), 10, latent=64)
    assert "not undercomplete" in caplog.text and "model.latent" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="trainlab"):
        build_model("autoencoder", (1, 8, 8), 10, latent=63)
    assert not caplog.text


@pytest.mark.slow
def test_mlp_from_rbm_starts_from_the_stacks_weights(tmp_path):
    stack = fit({"name": "rbm", "hidden": [12, 6], "layer_steps": 3}, tmp_path / "rbm", steps=6)
    classifier = build_model("mlp_from_rbm", (1, 8, 8), 10, run=str(stack.run_dir))
    rbms = stack.model.rbms
    torch.testing.assert_close(classifier.linear1.weight, rbms[0].weight)
    torch.testing.assert_close(classifier.linear2.bias, rbms[1].hidden_bias)
    inputs = torch.rand(5, 1, 8, 8)
    hidden = classifier[:8](inputs)  # up to the second hidden layer's activation
    torch.testing.assert_close(hidden, stack.model.encode(inputs))
    random_init = build_model("mlp", (1, 8, 8), 10, depth=2, width=[12, 6], activation="sigmoid")
    assert [n for n, _ in classifier.named_parameters()] == [n for n, _ in random_init.named_parameters()]


def test_the_representation_recipes_validate():
    from pathlib import Path

    from trainlab.recipe import load_recipe

    recipes = sorted((Path(__file__).parents[2] / "recipes" / "representation").glob("*.yaml"))
    assert len(recipes) >= 7
    for path in recipes:
        assert load_recipe(path).model is not None
