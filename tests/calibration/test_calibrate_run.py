"""trainlab calibrate: the temperature of a run's validation logits, stored atomically in the run; clear errors."""

import json

import pytest
import torch
import torch.nn.functional as F

import trainlab
from trainlab.calibration import fit_temperature
from trainlab.cli import main
from trainlab.data import load_data
from trainlab.run_dir import load_model
from trainlab.train.checkpoint import CheckpointManager, load_state


def fit(out, train=None, **data):
    recipe = {
        "data": {"name": "digits", **data},
        "model": {"name": "mlp", "width": 32},
        "optimizer": {"name": "adam", "lr": 3e-2},
        "train": {"steps": 150, "batch_size": 64, "threads": 1, "progress": False, **(train or {})},
        "out": str(out),
    }
    return trainlab.fit(recipe, verbose=0)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("calibrate") / "run"
    fit(out)
    return out


def test_the_temperature_is_fitted_on_the_runs_validation_logits(run, capsys):
    assert main(["calibrate", str(run)]) == 0
    printed = capsys.readouterr().out
    stored = json.loads((run / "calibration.json").read_text())
    val = load_data("digits").val  # the run's split: same split_seed and scaling
    with torch.no_grad():
        logits = load_model(run).eval()(val.tensors[0])
    assert stored["temperature"] == pytest.approx(fit_temperature(logits, val.tensors[1]), rel=1e-6)
    assert stored["fitted_on"] == "val" and stored["weights"] == "last"
    summary = json.loads((run / "summary.json").read_text())
    assert stored["test"]["before"]["nll"] == pytest.approx(summary["test"]["loss"], rel=1e-5)
    assert stored["test"]["before"]["accuracy"] == pytest.approx(summary["test"]["accuracy"])
    assert stored["val"]["after"]["nll"] <= stored["val"]["before"]["nll"]
    assert stored["val"]["after"]["nll"] == pytest.approx(
        float(F.cross_entropy(logits.double() / stored["temperature"], val.tensors[1])), rel=1e-6
    )
    assert "ECE before" in printed and f"{stored['test']['after']['ece']:.4f}" in printed
    assert trainlab.calibrate(run) == stored


def test_the_best_checkpoints_weights_are_calibrated_when_asked(tmp_path):
    out = tmp_path / "checkpointed"
    fit(out, train={"eval_every": 50, "checkpoint_every": 50})
    result = trainlab.calibrate(out, weights="best")
    model = load_model(out)
    best = CheckpointManager(out / "checkpoints", higher_is_better=True).best()
    model.load_state_dict(load_state(best.state_path)["model"])
    val = load_data("digits").val
    with torch.no_grad():
        logits = model.eval()(val.tensors[0])
    assert result["weights"] == "best"
    assert result["temperature"] == pytest.approx(fit_temperature(logits, val.tensors[1]), rel=1e-6)


def test_bad_inputs_exit_2_and_write_nothing(run, tmp_path, capsys):
    no_val = tmp_path / "no_val"
    fit(no_val, val_fraction=0.0)
    regression = tmp_path / "regression"
    trainlab.fit(
        {
            "data": "regression",
            "model": "mlp",
            "train": {"steps": 2, "progress": False},
            "out": str(regression),
        },
        verbose=0,
    )
    cases = {
        str(tmp_path): "is not a finished run directory",
        str(no_val): "has no validation split (data.val_fraction is 0)",
        str(regression): "is a regression run; temperature scaling calibrates classifiers",
        f"{run} --weights best": "--weights best: it has no checkpoints",
        f"{run} --weights first": "--weights 'first': use last",
    }
    for arguments, expected in cases.items():
        code = main(["calibrate", *arguments.split()])
        err = capsys.readouterr().err
        assert code == 2 and expected in " ".join(err.split()) and "Traceback" not in err, err
    for directory in (tmp_path, no_val, regression):
        assert not (directory / "calibration.json").exists()
