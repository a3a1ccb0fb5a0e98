"""model: from_run: a run's model and weights, a new head for the new classes, and clear errors."""

import json
import shutil

import pytest
import torch
import yaml

import trainlab
from trainlab.cli import main
from trainlab.errors import ConfigError


def test_the_body_is_the_runs_and_the_head_is_new(pretrained, tmp_path, finetune_recipe, weights):
    recipe = finetune_recipe(pretrained, data={"name": "digits"}, out=str(tmp_path / "ft"))
    recipe["train"] = {**recipe["train"], "steps": 1}
    result = trainlab.fit({**recipe, "optimizer": {"name": "sgd", "lr": 1e-12}}, verbose=0)
    before = weights(pretrained)
    body = {n: p for n, p in result.model.named_parameters() if not n.startswith("head.")}
    assert body and all(torch.allclose(before[n], p, atol=1e-9) for n, p in body.items())
    assert before["head.weight"].shape == (5, 32) and result.model.head.weight.shape == (10, 32)
    recorded = (tmp_path / "ft" / "recipe.yaml").read_text()
    assert f"run: {pretrained}" in recorded  # absolute, so the recipe re-runs from anywhere


def test_head_keep_needs_the_runs_output_width(pretrained, tmp_path, finetune_recipe):
    keep = {"name": "from_run", "run": str(pretrained), "head": "keep"}
    result = trainlab.fit(finetune_recipe(pretrained, model=keep, out=str(tmp_path / "k")), verbose=0)
    assert result.model.head.out_features == 5
    with pytest.raises(
        ConfigError, match=r"model\.head: keep: the run's head has 5 outputs, but this data needs 10"
    ):
        trainlab.fit(
            finetune_recipe(pretrained, model=keep, data={"name": "digits"}, out=str(tmp_path / "k10")),
            verbose=0,
        )


@pytest.mark.parametrize(
    ("model", "data", "message"),
    [
        (
            {"architecture": "cnn1d"},
            None,
            r"model\.architecture: expects \{'name': 'cnn1d'\}, but the run .* trained \{'name': 'mlp'\}",
        ),
        (
            {"architecture": {"name": "mlp", "width": 64}},
            None,
            r"expects \{'name': 'mlp', 'width': 64\}.*trained \{'name': 'mlp', 'width': 32\}",
        ),
        (
            {},
            {"name": "iris"},
            r"model\.run: the run in .* was trained on inputs of shape \(1, 8, 8\), but this data's inputs have shape \(4,\)",
        ),
    ],
)
def test_a_mismatch_names_both_sides(pretrained, tmp_path, finetune_recipe, model, data, message):
    recipe = finetune_recipe(pretrained, out=str(tmp_path / "bad"))
    recipe["model"] |= model
    if data:
        recipe["data"] = data
    with pytest.raises(ConfigError, match=message):
        trainlab.fit(recipe, verbose=0)
    assert not (tmp_path / "bad").exists()


def test_cli_bad_inputs_exit_2_naming_the_key_and_write_nothing(pretrained, tmp_path, capsys):
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "recipe.yaml").write_text((pretrained / "recipe.yaml").read_text())
    cases = {
        f"{{name: from_run, run: {unfinished}}}": "model.run: '"
        + str(unfinished)
        + "' has no model.safetensors",
        f"{{name: from_run, run: {tmp_path / 'nowhere'}}}": "is not a directory",
        f"{{name: from_run, run: {pretrained}, architecture: resnet}}": "model.architecture: expects",
    }
    for index, (model, expected) in enumerate(cases.items()):
        out = tmp_path / f"out{index}"
        code = main(["fit", "--data", "digits", "--set", f"model={model}", "--steps", "2", "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 2 and expected in " ".join(err.split()) and "Traceback" not in err, err
        assert not out.exists()
    out = tmp_path / "freeze"
    code = main(["fit", "--data", "digits", "--set", f"model={{name: from_run, run: {pretrained}}}", "--steps", "2",
                 "--set", "freeze=[encoder.*]", "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "freeze[0]: 'encoder.*' matches no parameter" in err and "Traceback" not in err
    assert not out.exists()
    assert json.loads((pretrained / "summary.json").read_text())["status"] == "finished"


def test_a_run_whose_model_is_code_needs_consent(pretrained, tmp_path, finetune_recipe, monkeypatch):
    edited = tmp_path / "edited"
    shutil.copytree(pretrained, edited)
    recipe = yaml.safe_load((edited / "recipe.yaml").read_text())
    recipe["model"] = {"name": "os:system", "command": "touch PWNED"}
    (edited / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"model\.run: .*'os:system' names Python code.*--trust-code"):
        trainlab.fit(finetune_recipe(edited, out=str(tmp_path / "out")), verbose=0)
    assert not (tmp_path / "PWNED").exists() and not (tmp_path / "out").exists()


def test_a_fine_tuned_run_evaluates_to_its_summary(pretrained, tmp_path, finetune_recipe):
    out = tmp_path / "ft"
    result = trainlab.fit(finetune_recipe(pretrained, freeze=["linear1.*"], out=str(out)), verbose=0)
    # Its recipe names the source run: the architecture comes from there, the weights from this run.
    assert trainlab.evaluate(out)["test"]["accuracy"] == result.summary["test"]["accuracy"]
