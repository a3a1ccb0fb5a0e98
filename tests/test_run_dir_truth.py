"""A run directory says what ran: the values used, why a run stopped, and files anyone may read."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
import yaml

import trainlab
from trainlab.cli import main
from trainlab.registry import catalog
from trainlab.run_dir import load_model

TRAIN = {"steps": 6, "batch_size": 16, "progress": False, "log_every": 2}


def recorded(run):
    return yaml.safe_load((Path(run) / "recipe.yaml").read_text())


def test_recipe_yaml_writes_out_every_value_the_run_used(tmp_path):
    result = trainlab.fit({"data": "iris", "model": "mlp", "train": TRAIN}, out=str(tmp_path / "run"))
    recipe = recorded(result.run_dir)
    assert recipe["name"] == "iris-mlp"
    assert recipe["loss"]["name"] == "cross_entropy" and "label_smoothing" in recipe["loss"]
    assert [m["name"] for m in recipe["metrics"]] == ["accuracy", "f1_macro", "confusion_matrix"]
    assert recipe["optimizer"]["name"] == "adam" and recipe["optimizer"]["lr"] == 1e-3
    assert recipe["model"]["width"] == 128 and recipe["model"]["depth"] == 2
    assert recipe["out"] is None
    # and re-running it trains the same run, logged line for line
    again = trainlab.fit(Path(result.run_dir) / "recipe.yaml", out=str(tmp_path / "again"))
    assert (Path(again.run_dir) / "metrics.jsonl").read_text() == (
        Path(result.run_dir) / "metrics.jsonl"
    ).read_text()


@pytest.mark.parametrize("entry", catalog(), ids=lambda e: f"{e.kind}-{e.name}")
def test_every_default_a_recipe_may_write_out_is_valid_for_its_own_options(entry):
    # written_out() puts each option's default into recipe.yaml; reading it back must validate.
    defaults = {
        name: p.default
        for name, p in entry.parameters().items()
        if p.default is not p.empty and (p.default is None or isinstance(p.default, (bool, int, float, str)))
    }
    required = [name for name, p in entry.parameters().items() if p.default is p.empty]
    _, problems = entry.check_kwargs(defaults, provided=required)
    assert problems == []


def test_an_infinite_lr_is_written_as_inf_not_null(tmp_path, capsys):
    # The run diverges at once; recipe.yaml, written before the first step, says what was asked.
    main(["fit", "--data", "iris", "--model", "mlp", "--optimizer", "sgd", "--lr", "inf", "--steps", "2",
          "--out", str(tmp_path / "run"), "--set", "train.progress=false"])  # fmt: skip
    capsys.readouterr()
    assert "lr: .inf" in (tmp_path / "run" / "recipe.yaml").read_text()
    assert recorded(tmp_path / "run")["optimizer"]["lr"] == float("inf")


def test_a_failed_run_says_why(tmp_path, capsys):
    code = main(["fit", "--data", "iris", "--model", "mlp", "--optimizer", "sgd", "--lr", "1e30",
                 "--steps", "20", "--out", str(tmp_path / "run"), "--set", "train.progress=false"])  # fmt: skip
    output = capsys.readouterr().err
    assert code == 2 and "Traceback" not in output
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["status"] == "failed" and "NonFiniteLossError" in summary["error"]
    assert "the loss is nan" in (tmp_path / "run" / "error.txt").read_text()
    with pytest.raises(trainlab.TrainlabError, match="failed at step .* has no final weights"):
        load_model(tmp_path / "run")


def test_run_files_get_the_users_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        result = trainlab.fit(
            {"data": "iris", "model": "mlp", "train": {**TRAIN, "checkpoint_every": 3}},
            out=str(tmp_path / "run"),
        )
    finally:
        os.umask(previous)
    files = [p for p in Path(result.run_dir).rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {
        "recipe.yaml",
        "summary.json",
        "metrics.jsonl",
        "model.safetensors",
        "state.pt",
    }
    assert {oct(p.stat().st_mode & 0o777) for p in files} == {oct(0o644)}


def test_a_relative_data_path_is_recorded_absolute_so_evaluate_works_from_anywhere(
    tmp_path, monkeypatch, capsys
):
    data_dir = tmp_path / "project"
    data_dir.mkdir()
    rows = np.random.default_rng(0).normal(size=(60, 3))
    labels = (rows[:, 0] > 0).astype(int)
    np.savetxt(
        data_dir / "table.csv",
        np.column_stack([rows, labels]),
        delimiter=",",
        header="a,b,c,label",
        comments="",
    )
    monkeypatch.chdir(data_dir)
    assert main(["fit", "--data", "csv", "--set", "data.path=table.csv", "--model", "mlp", "--steps", "3",
                 "--out", "run", "--set", "train.progress=false"]) == 0  # fmt: skip
    assert recorded(data_dir / "run")["data"]["path"] == str(data_dir / "table.csv")
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["evaluate", str(data_dir / "run"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["test"]["loss"] > 0
