"""trainlab tune on the command line: the result printed, and bad input as one message, exit 2, nothing written."""

from pathlib import Path

import pytest
import yaml

RECIPE = {
    "data": {"name": "xor", "val_fraction": 0.25},
    "model": {"name": "mlp", "depth": 1, "width": 8},
    "optimizer": {"name": "adam", "lr": 0.01},
    "train": {"steps": 20, "batch_size": 32, "seed": 0, "threads": 1},
}
SPACE = {"optimizer.lr": {"loguniform": [1e-3, 1e-1]}}


def files(tmp: Path, recipe=RECIPE, space=SPACE) -> list[str]:
    (tmp / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    (tmp / "space.yaml").write_text(yaml.safe_dump(space))
    return [str(tmp / "recipe.yaml"), "--space", str(tmp / "space.yaml"), "--out", str(tmp / "out")]


def test_tune_prints_the_trials_the_reruns_and_the_test_score_once(tmp_path, cli):
    code, output = cli("tune", *files(tmp_path), "--trials", "2", "--top-k", "1", "--reruns", "1")
    assert code == 0, output
    assert "trial 0: accuracy" in output and "trial 1: accuracy" in output
    assert output.count("test (reported once") == 1
    assert (tmp_path / "out" / "best_recipe.yaml").is_file()


@pytest.mark.parametrize(
    ("space", "named"),
    [
        ({"optimizer.lrr": {"uniform": [0.1, 0.2]}}, ["optimizer.lrr", "did you mean 'optimizer.lr'"]),
        ({"train.stepz": {"int": [1, 3]}}, ["train.stepz", "'train.steps'"]),
        ({"optimizer.lr": {"uniform": [1, 0]}}, ["optimizer.lr", "above high"]),
    ],
)
def test_a_bad_space_is_one_message_naming_the_key_and_nothing_is_written(
    tmp_path, space, named, cli, one_message
):
    code, output = cli("tune", *files(tmp_path, space=space))
    one_message(code, output, *named)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--sampler", "tpee"], ["--sampler 'tpee'", "did you mean 'tpe'"]),
        (["--pruner", "medain"], ["--pruner 'medain'", "did you mean 'median'"]),
        (["--objective", "acuracy"], ["--objective 'acuracy'", "did you mean 'accuracy'"]),
        (
            ["--storage", "postgresql://nobody@127.0.0.1:1/none"],
            ["--storage postgresql://nobody@127.0.0.1:1/none"],
        ),
        (["--storage", "not a url"], ["--storage not a url"]),
        (["--set", "data.val_fraction=0"], ["data.val_fraction is 0", "validation split"]),
        (["--sampler", "grid"], ["--sampler grid", "optimizer.lr"]),
    ],
)
def test_bad_options_are_one_message_and_nothing_is_written(tmp_path, args, named, cli, one_message):
    code, output = cli("tune", *files(tmp_path), *args)
    one_message(code, output, *named)
    assert not (tmp_path / "out").exists()


def test_a_tune_whose_every_trial_diverges_says_so_and_exits_2(tmp_path, cli, one_message):
    recipe = {**RECIPE, "optimizer": {"name": "sgd", "lr": 1.0}}
    space = {"optimizer.lr": {"loguniform": [1e8, 1e9]}}
    code, output = cli("tune", *files(tmp_path, recipe, space), "--trials", "2", "--pruner", "none")
    one_message(code, output, "every one of the 2 trials diverged")
    assert not (tmp_path / "out" / "best_recipe.yaml").exists()
    assert output.count("diverged") >= 3  # each trial's line, then the verdict
