"""Experiment results: records read from run directories, the variant x seed table, diverged cells as NaN."""

import json
import math

import pytest

from trainlab.errors import TrainlabError
from trainlab.experiment.results import load_results, record_from_run_dir
from trainlab.experiment.spec import spec_from_mapping

BASE = {"data": "digits", "model": "mlp", "train": {"steps": 5}}


def write_summary(run_dir, summary):
    run_dir.mkdir(parents=True)
    (run_dir / "summary.json").write_text(json.dumps(summary))


def finished(accuracy, diverged=None):
    return {
        "status": "finished",
        "val": {"accuracy": accuracy - 0.1, "loss": 0.5},
        "test": {"accuracy": accuracy, "loss": 0.4, "confusion_matrix": [[1, 0], [0, 1]]},
        "run": {"wall_time_s": 2.5, "diverged": diverged},
    }


@pytest.fixture
def experiment_dir(tmp_path):
    spec = spec_from_mapping({"name": "t", "base": BASE, "variants": {"a": {}, "b": {}}, "seeds": 3})
    (tmp_path / "experiment.yaml").write_text(spec.to_yaml())
    runs = tmp_path / "runs"
    write_summary(runs / "a" / "seed-0", finished(0.9))
    write_summary(runs / "a" / "seed-1", finished(0.8))
    write_summary(runs / "a" / "seed-2", {"status": "failed", "error": "DataError: bad", "run": {"step": 0}})
    write_summary(runs / "b" / "seed-0", finished(0.1, diverged="the training loss went from 2 to 1e9"))
    write_summary(
        runs / "b" / "seed-1",
        {"status": "failed", "error": "NonFiniteLossError: loss is nan", "run": {"step": 3}},
    )
    write_summary(runs / "b" / "seed-2", {"status": "interrupted", "error": "TrainingInterrupted", "run": {}})
    return tmp_path


def test_statuses_follow_the_summaries(experiment_dir):
    results = load_results(experiment_dir)
    assert [(r.variant, r.seed, r.status) for r in results.runs] == [
        ("a", 0, "finished"),
        ("a", 1, "finished"),
        ("a", 2, "failed"),
        ("b", 0, "diverged"),
        ("b", 1, "diverged"),
        ("b", 2, "pending"),
    ]
    assert results.counts() == {"finished": 2, "diverged": 2, "failed": 1, "running": 0, "pending": 1}
    assert not results.complete
    assert results.runs[2].error == "DataError: bad"


def test_the_table_has_finished_values_and_nan_for_diverged_cells(experiment_dir):
    table = load_results(experiment_dir).table("accuracy")
    assert table["a"] == {0: 0.9, 1: 0.8}
    assert set(table["b"]) == {0, 1} and all(math.isnan(v) for v in table["b"].values())
    assert load_results(experiment_dir).table("accuracy", split="val")["a"] == pytest.approx({0: 0.8, 1: 0.7})


def test_metrics_are_the_scalar_values_per_split(experiment_dir):
    record = record_from_run_dir("a", 0, experiment_dir / "runs" / "a" / "seed-0")
    assert record.metrics == {"val.accuracy": 0.8, "val.loss": 0.5, "test.accuracy": 0.9, "test.loss": 0.4}
    assert record.wall_s == 2.5


def test_a_folder_without_an_experiment_is_one_message(tmp_path):
    with pytest.raises(TrainlabError, match="not an experiment directory"):
        load_results(tmp_path)
