"""Flags and --set override a recipe the way the user means; mistakes get one message naming the key."""

import json
from pathlib import Path

import pytest
import yaml

from trainlab.cli import main
from trainlab.overrides import flatten, replace_exclusive

RECIPES = Path(__file__).resolve().parent.parent / "recipes"
QUIET = ["--set", "train.progress=false"]


def cli(capsys, *args):
    code = main([*args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def recorded(run):
    return yaml.safe_load((Path(run) / "recipe.yaml").read_text())


def header(run):
    return [line for line in (Path(run) / "recipe.yaml").read_text().splitlines() if line.startswith("#")]


def test_a_quick_flag_replaces_the_recipes_epochs_and_says_so(tmp_path, capsys):
    assert yaml.safe_load((RECIPES / "digits_mlp.yaml").read_text())["train"]["epochs"]
    code, output = cli(
        capsys, "fit", str(RECIPES / "digits_mlp.yaml"), "--steps", "3", "--out", str(tmp_path / "r"), *QUIET
    )
    assert code == 0, output
    train = recorded(tmp_path / "r")["train"]
    assert train["steps"] == 3 and train["epochs"] is None
    assert any("train.steps=3 replaced the recipe's train.epochs" in line for line in header(tmp_path / "r"))
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["run"]["steps"] == 3


def test_both_halves_of_an_exclusive_pair_as_overrides_is_one_error(tmp_path, capsys):
    code, output = cli(
        capsys, "fit", "--data", "iris", "--model", "mlp", "--steps", "3", "--set", "train.epochs=2",
        "--out", str(tmp_path / "r"),
    )  # fmt: skip
    assert code == 2 and "Traceback" not in output
    assert "can't set both `train.steps` and `train.epochs`" in output
    assert not (tmp_path / "r").exists()


def test_replace_exclusive_clears_only_the_recipes_other_half():
    raw = {"train": {"epochs": 20, "grad_clip_value": 1.0}}
    notes = replace_exclusive(raw, {"train.steps": 5, "train.grad_clip_norm": None})
    assert raw == {"train": {"epochs": None, "grad_clip_value": 1.0}}
    assert notes == ["train.steps=5 replaced the recipe's train.epochs: 20"]


@pytest.mark.parametrize("flag", [["--lr", "0.05"], ["--weight-decay", "0.01"]])
def test_lr_or_weight_decay_alone_apply_to_the_default_optimizer(tmp_path, capsys, flag):
    code, output = cli(
        capsys,
        "fit",
        "--data",
        "iris",
        "--model",
        "mlp",
        "--steps",
        "2",
        *flag,
        "--out",
        str(tmp_path / "r"),
        *QUIET,
    )
    assert code == 0, output
    optimizer = recorded(tmp_path / "r")["optimizer"]
    assert optimizer["name"] == "adam"
    assert optimizer[flag[0][2:].replace("-", "_")] == float(flag[1])


def test_a_typo_of_a_data_key_suggests_it(tmp_path, capsys):
    code, output = cli(
        capsys, "fit", "--data", "iris", "--model", "mlp", "--steps", "2", "--set", "data.val_frac=0.2",
        "--out", str(tmp_path / "r"),
    )  # fmt: skip
    assert code == 2 and "Traceback" not in output
    assert "data.val_frac: unknown option; did you mean 'val_fraction'?" in output


def test_a_duplicate_yaml_key_is_an_error_naming_both_lines(tmp_path, capsys):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("data: iris\nmodel: mlp\ntrain:\n  steps: 3\n  batch_size: 8\n  steps: 4\n")
    code, output = cli(capsys, "fit", str(recipe), "--out", str(tmp_path / "r"))
    assert code == 2 and "Traceback" not in output
    assert "key 'steps' appears twice (line 4 and line 6)" in output and str(recipe) in output
    assert not (tmp_path / "r").exists()


def make_resumable_run(tmp_path, capsys):
    run = tmp_path / "r"
    code, output = cli(
        capsys, "fit", "--data", "iris", "--model", "mlp", "--steps", "4", "--out", str(run),
        "--set", "train.checkpoint_every=2", *QUIET,
    )  # fmt: skip
    assert code == 0, output
    return run


def test_resume_refuses_settings_it_would_silently_ignore(tmp_path, capsys):
    run = make_resumable_run(tmp_path, capsys)
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    code, output = cli(
        capsys, "fit", "--resume", str(run), "--set", "optimizer.lr=0.5", "--set", "model.width=7"
    )
    assert code == 2 and "Traceback" not in output
    assert "optimizer.lr: is 0.001 in the run being resumed but 0.5 now" in output
    assert "model.width: is 128 in the run being resumed but 7 now" in output
    assert before == {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}  # nothing touched


def test_resume_that_extends_a_run_records_the_new_length_and_this_sessions_steps(tmp_path, capsys):
    run = make_resumable_run(tmp_path, capsys)
    code, output = cli(capsys, "fit", "--resume", str(run), "--set", "train.steps=7")
    assert code == 0, output
    assert "3 steps (resumed at step 4, now at 7)" in output
    assert recorded(run)["train"]["steps"] == 7
    assert "# Resumed at step 4." in header(run)
    facts = json.loads((run / "summary.json").read_text())["run"]
    assert (facts["steps"], facts["resumed_from_step"], facts["session_steps"]) == (7, 4, 3)


def test_flatten_gives_dotted_keys():
    assert flatten({"a": {"b": 1, "c": {"d": [1, 2]}}, "e": {}}) == {"a.b": 1, "a.c.d": [1, 2], "e": {}}
