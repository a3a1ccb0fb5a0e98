"""A recipe or run directory runs code only with the user's consent (--trust-code / trust_code=True)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

import trainlab
from trainlab.references import CodeReferenceError, code_references
from trainlab.run_dir import load_model

SENTINEL = "PWNED"
ATTACK = {"name": "os:system", "command": f"touch {SENTINEL}"}
TRAIN = {"steps": 2, "batch_size": 16, "progress": False}


def cli(*args, cwd):
    """Run the trainlab command in ``cwd``; returns (exit code, stdout + stderr)."""
    done = subprocess.run(
        [sys.executable, "-m", "trainlab", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    return done.returncode, done.stdout + done.stderr


def write_recipe(path, **sections):
    recipe = {"data": "iris", "model": "mlp", "train": TRAIN, **sections}
    path.write_text(yaml.safe_dump(recipe))
    return path


@pytest.mark.parametrize(
    "section", [{"model": ATTACK}, {"loss": ATTACK}, {"data": ATTACK}, {"metrics": [ATTACK]}]
)
def test_a_recipe_naming_code_is_refused_without_consent(tmp_path, section):
    recipe = write_recipe(tmp_path / "recipe.yaml", **section)
    code, output = cli("fit", str(recipe), "--out", "run", cwd=tmp_path)
    assert code == 2
    assert "Traceback" not in output
    assert "'os:system' names Python code" in output and "--trust-code" in output
    assert not (tmp_path / SENTINEL).exists()
    assert not (tmp_path / "run").exists()  # refused before the run directory is made


def test_an_edited_run_directory_is_refused_without_consent(tmp_path):
    code, output = cli("fit", str(write_recipe(tmp_path / "recipe.yaml")), "--out", "run", cwd=tmp_path)
    assert code == 0, output
    saved = tmp_path / "run" / "recipe.yaml"
    recipe = yaml.safe_load(saved.read_text())
    recipe["model"] = ATTACK
    saved.write_text(yaml.safe_dump(recipe))
    for command in (
        ["evaluate", "run"],
        ["fit", "--resume", "run"],
        ["fit", "run/recipe.yaml", "--out", "again"],
    ):
        code, output = cli(*command, cwd=tmp_path)
        assert code == 2, (command, output)
        assert "Traceback" not in output and "--trust-code" in output, (command, output)
        assert not (tmp_path / SENTINEL).exists(), command


USER_MODEL = """
from torch import nn


def tiny(input_shape, num_outputs, hidden=4):
    return nn.Sequential(nn.Linear(input_shape[0], hidden), nn.ReLU(), nn.Linear(hidden, num_outputs))


def broken(input_shape, num_outputs):
    raise ValueError("hidden must be even")
"""


def test_with_consent_a_user_model_trains_and_the_run_says_it_needs_code(tmp_path):
    (tmp_path / "my_models.py").write_text(USER_MODEL)
    recipe = write_recipe(tmp_path / "recipe.yaml", model={"name": "my_models:tiny", "hidden": 6})
    code, output = cli("fit", str(recipe), "--out", "run", "--trust-code", cwd=tmp_path)
    assert code == 0, output
    run = tmp_path / "run"
    assert "This run needs code: model.name=my_models:tiny" in (run / "recipe.yaml").read_text()
    assert json.loads((run / "summary.json").read_text())["run"]["code_references"] == ["my_models:tiny"]
    code, output = cli("evaluate", "run", cwd=tmp_path)
    assert code == 2 and "--trust-code" in output and "Traceback" not in output
    code, output = cli("evaluate", "run", "--trust-code", "--json", cwd=tmp_path)
    assert code == 0, output
    assert json.loads(output[output.index("{") :])["test"]["loss"] > 0


def test_a_user_factory_that_raises_is_one_message(tmp_path):
    (tmp_path / "my_models.py").write_text(USER_MODEL)
    recipe = write_recipe(tmp_path / "recipe.yaml", model="my_models:broken")
    code, output = cli("fit", str(recipe), "--out", "run", "--trust-code", cwd=tmp_path)
    assert code == 2
    assert "Traceback" not in output
    assert "'my_models:broken' raised ValueError while calling it: hidden must be even" in output
    assert "my_models.py:10, in broken" in output
    assert not (tmp_path / "run").exists()


def test_python_create_and_load_model_need_consent_for_references(tmp_path, monkeypatch):
    (tmp_path / "my_models.py").write_text(USER_MODEL)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(CodeReferenceError, match="trust_code=True"):
        trainlab.create("model", "my_models:tiny", (4,), 3)
    model = trainlab.create("model", "my_models:tiny", (4,), 3, trust_code=True)
    assert model[0].in_features == 4
    result = trainlab.fit(
        {"data": "iris", "model": "my_models:tiny", "train": TRAIN},
        out=str(tmp_path / "run"),
        trust_code=True,
    )
    with pytest.raises(CodeReferenceError, match="names Python code"):
        load_model(result.run_dir)
    assert isinstance(load_model(result.run_dir, trust_code=True), type(model))
    sys.modules.pop("my_models", None)


def test_built_in_names_need_no_consent_and_are_not_references():
    recipe = {
        "name": "a:b",
        "data": "iris",
        "model": {"name": "mlp", "activation": "gelu"},
        "metrics": ["accuracy"],
    }
    assert code_references(recipe) == []
    nested = {"model": {"name": "mlp", "activation": {"name": "acts:Swish"}}, "metrics": ["m:f"]}
    assert code_references(nested) == [("model.activation.name", "acts:Swish"), ("metrics[0]", "m:f")]


def test_load_model_from_a_run_needs_no_consent_for_built_in_models(tmp_path):
    result = trainlab.fit({"data": "iris", "model": "mlp", "train": TRAIN}, out=str(tmp_path / "run"))
    loaded = load_model(Path(result.run_dir)).eval()
    inputs = torch.randn(5, 4)
    torch.testing.assert_close(loaded(inputs), result.model.eval()(inputs))
