"""trainlab evaluate: the best checkpoint or the last weights, on the run's data or on new data."""

import json

import numpy as np
import pytest

from trainlab.cli import main
from trainlab.train.checkpoint import CheckpointManager


def cli_json(capsys, *args):
    capsys.readouterr()
    code = main([*args, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def write_table(path, seed):
    rows = np.random.default_rng(seed).normal(size=(80, 3))
    labels = (rows[:, 0] + rows[:, 1] > 0).astype(int)
    np.savetxt(path, np.column_stack([rows, labels]), delimiter=",", header="a,b,c,label", comments="")


@pytest.fixture(scope="module")
def checkpointed_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "run"
    args = ["fit", "--data", "iris", "--model", "mlp", "--steps", "60", "--eval-every", "10", "--out", str(run),
            "--set", "train.checkpoint_every=10", "--set", "train.keep_last=1", "--set", "train.progress=false"]  # fmt: skip
    assert main(args) == 0
    return run


def test_weights_best_evaluates_the_best_checkpoint(checkpointed_run, capsys):
    manager = CheckpointManager(checkpointed_run / "checkpoints", higher_is_better=True)
    best = manager.best()
    assert best is not None and best.metric == max(i.metric for i in manager.complete())
    best_results = cli_json(capsys, "evaluate", str(checkpointed_run), "--weights", "best", "--split", "val")
    last_results = cli_json(capsys, "evaluate", str(checkpointed_run), "--split", "val")
    assert best_results["val"]["accuracy"] == pytest.approx(best.metric)
    if best.step != 60:  # the best is not the last step: the two evaluations differ
        assert best_results != last_results


def test_weights_best_without_checkpoints_says_what_the_run_needs(tmp_path, capsys):
    assert (
        main(["fit", "--data", "iris", "--model", "mlp", "--steps", "3", "--out", str(tmp_path / "r"), "-q"])
        == 0
    )
    capsys.readouterr()
    code = main(["evaluate", str(tmp_path / "r"), "--weights", "best"])
    output = capsys.readouterr().err
    assert code == 2 and "Traceback" not in output
    assert "--weights best: it has no checkpoints" in output and "train.checkpoint_every" in output


def test_set_points_a_run_at_new_data(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_table(tmp_path / "old.csv", seed=0)
    write_table(tmp_path / "new.csv", seed=1)
    assert main(["fit", "--data", "csv", "--set", "data.path=old.csv", "--model", "mlp", "--steps", "20",
                 "--out", "run", "-q"]) == 0  # fmt: skip
    on_old = cli_json(capsys, "evaluate", "run")
    on_new = cli_json(capsys, "evaluate", "run", "--set", "data.path=new.csv")
    assert on_old["test"]["loss"] != on_new["test"]["loss"]


def test_data_csv_without_a_path_says_how_to_give_one(checkpointed_run, capsys):
    capsys.readouterr()
    code = main(["evaluate", str(checkpointed_run), "--data", "csv"])
    output = capsys.readouterr().err
    assert code == 2 and "data.path: is required by dataset 'csv'" in output
