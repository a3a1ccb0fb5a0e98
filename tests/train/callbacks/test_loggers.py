"""train.loggers: TensorBoard events read back with tensorboard's own reader, and metrics.csv, against metrics.jsonl."""

import csv
import json
import math
from types import SimpleNamespace

import pytest

import trainlab
from trainlab.cli import main
from trainlab.errors import ConfigError, TrainlabError
from trainlab.train.callbacks.loggers import CsvLogger

RECIPE = {
    "data": {"name": "iris"},
    "model": {"name": "mlp"},
    "optimizer": {"name": "adam", "lr": 1e-2},
    "train": {"steps": 30, "batch_size": 16, "eval_every": 10, "log_every": 5, "progress": False},
}


def fit_with(tmp_path, loggers, name="run"):
    recipe = {**RECIPE, "train": {**RECIPE["train"], "loggers": loggers}, "out": str(tmp_path / name)}
    trainlab.fit(recipe)
    return tmp_path / name


def jsonl_scalars(run_dir):
    """{(type, split, metric): {step: value}} of metrics.jsonl's numbers."""
    found = {}
    for line in (run_dir / "metrics.jsonl").read_text().splitlines():
        record = json.loads(line)
        for key, value in record.items():
            if (
                key not in ("step", "epoch")
                and isinstance(value, int | float)
                and not isinstance(value, bool)
            ):
                found.setdefault((record["type"], record["split"], key), {})[record["step"]] = float(value)
    return found


def tag(kind, split, key):
    return f"train/{key}" if kind == "step" else f"eval/{split}/{key}"


def test_tensorboard_events_hold_what_metrics_jsonl_holds(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run_dir = fit_with(tmp_path, ["tensorboard"])
    events = EventAccumulator(str(run_dir / "tensorboard"))
    events.Reload()
    expected = jsonl_scalars(run_dir)
    assert sorted(events.Tags()["scalars"]) == sorted(tag(*key) for key in expected)
    for key, by_step in expected.items():
        read = {event.step: event.value for event in events.Scalars(tag(*key))}
        assert read == pytest.approx(by_step, rel=1e-6)  # event files store float32
    assert set(expected[("step", "train", "loss")]) == {5, 10, 15, 20, 25, 30}
    assert ("eval", "train", "loss") in expected  # the final evaluation of the train split has its own tag


def test_csv_rows_hold_what_metrics_jsonl_holds(tmp_path):
    run_dir = fit_with(tmp_path, ["csv"])
    with (run_dir / "metrics.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    read = {}
    for row in rows:
        read.setdefault((row["type"], row["split"], row["metric"]), {})[int(row["step"])] = float(
            row["value"]
        )
    assert read == jsonl_scalars(run_dir)
    assert not (run_dir / "tensorboard").exists()


def test_no_loggers_no_files(tmp_path):
    run_dir = fit_with(tmp_path, [])
    assert not (run_dir / "metrics.csv").exists() and not (run_dir / "tensorboard").exists()


def test_csv_logger_drops_the_rows_an_interrupted_session_logged_after_the_checkpoint(tmp_path):
    path = tmp_path / "metrics.csv"
    logger = CsvLogger(path)
    trainer = SimpleNamespace(step=0, epoch=0)
    logger.on_fit_start(trainer)
    for step in (10, 20, 30):
        trainer.step = step
        logger.on_log(trainer, {"loss": 1.0 / step, "lr": 0.1})
    logger.on_exception(trainer, RuntimeError("killed"))
    resumed = CsvLogger(path)
    trainer.step = 20  # the checkpoint the run resumes from
    resumed.on_fit_start(trainer)
    trainer.step = 30
    resumed.on_log(trainer, {"loss": 0.5, "lr": 0.1})
    resumed.on_fit_end(trainer)
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(int(r["step"]), r["metric"]) for r in rows] == [
        (10, "loss"),
        (10, "lr"),
        (20, "loss"),
        (20, "lr"),
        (30, "loss"),
        (30, "lr"),
    ]
    assert math.isclose(float(rows[4]["value"]), 0.5)


def test_missing_tensorboard_is_one_message_before_the_run_directory(tmp_path, monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "tensorboard" else real(name, *a)
    )
    with pytest.raises(TrainlabError, match=r"pip install 'trainlab\[tensorboard\]'"):
        fit_with(tmp_path, ["tensorboard"])
    assert not (tmp_path / "run").exists()
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(json.dumps({**RECIPE, "train": {**RECIPE["train"], "loggers": ["tensorboard"]}}))
    assert main(["fit", str(recipe), "--out", str(tmp_path / "cli")]) == 2
    err = capsys.readouterr().err
    assert "train.loggers: tensorboard" in err and "Traceback" not in err
    assert not (tmp_path / "cli").exists()


def test_unknown_logger_names_the_key(tmp_path):
    with pytest.raises(ConfigError, match=r"train\.loggers"):
        fit_with(tmp_path, ["wandb"])
