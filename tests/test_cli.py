"""The command line: quick form, recipes, catalog, evaluate, and exit code 2 for user mistakes."""

import json
import subprocess
import sys

import pytest

from trainlab.cli import main

QUICK = [
    "fit",
    "--data",
    "iris",
    "--model",
    "mlp",
    "--optimizer",
    "adam",
    "--lr",
    "1e-2",
    "--batch-size",
    "16",
    "--steps",
    "20",
    "--eval-every",
    "10",
    "--seed",
    "0",
]


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "trainlab", *args], capture_output=True, text=True, timeout=300
    )


def test_quick_form_and_set_override(tmp_path, capsys):
    assert main([*QUICK, "--set", "model.width=8", "--out", str(tmp_path / "run"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["run"]["steps"] == 20
    assert "width: 8" in (tmp_path / "run" / "recipe.yaml").read_text()


def test_recipe_file_with_overrides(tmp_path, capsys):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "data: iris\nmodel: mlp\noptimizer: {name: adam, lr: 1e-2}\ntrain: {steps: 5, batch_size: 8}\n"
    )
    assert main(["fit", str(recipe), "--set", "train.steps=7", "--out", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "7 steps" in out and "test" in out
    assert main(["evaluate", str(tmp_path / "run"), "--json"]) == 0
    assert "accuracy" in json.loads(capsys.readouterr().out)["test"]


def test_catalog_json_lists_every_registered_component(capsys):
    from trainlab.registry import catalog

    assert main(["catalog", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {(e["kind"], e["name"]) for e in listed} == {(e.kind, e.name) for e in catalog()}
    assert all(e["description"] for e in listed)
    assert main(["catalog", "optimizers"]) == 0
    assert "adamw" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--optimizer", "adamw2"], "did you mean 'adamw'"),
        (["--set", "optimizer.lrr=1"], "did you mean 'lr'"),
        (["--set", "optimizer.lr=-1"], "optimizer.lr: input should be greater than 0"),
        (["--set", "train.batch_size=abc"], "train.batch_size"),
        (["--set", "data.name=mnist1"], "did you mean 'mnist1d'"),
    ],
)
def test_user_mistakes_exit_2_with_one_message(args, expected, capsys):
    assert main([*QUICK, *args]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err


def test_missing_recipe_file_in_a_subprocess_has_no_traceback(tmp_path):
    result = run_cli("fit", str(tmp_path / "missing.yaml"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr


def test_usage_errors_exit_2():
    result = run_cli("fit", "--steps", "many")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
