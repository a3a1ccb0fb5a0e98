"""The experiment runner: every cell becomes a run directory, divergence and errors are results, finished cells are skipped."""

import copy
import math

import pytest

import trainlab
from trainlab.experiment import storage as cells
from trainlab.experiment.runner import run_experiment
from trainlab.experiment.spec import spec_from_mapping

BASE = {
    "data": "digits",
    "model": {"name": "mlp", "width": 8},
    "train": {"steps": 6, "checkpoint_every": 3, "log_every": 3},
}


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    spec = spec_from_mapping(
        {
            "name": "runner-test",
            "base": BASE,
            "variants": {"adam": {}, "nan": {"optimizer.lr": math.inf}, "huge": {"model.width": 10**11}},
            "seeds": 2,
        }
    )
    directory = tmp_path_factory.mktemp("experiment")
    seen = []
    results = run_experiment(
        spec, directory, workers=1, progress=lambda record, done, total: seen.append(record)
    )
    return spec, directory, results, seen


def test_every_cell_is_an_ordinary_run_directory_with_the_fit_results(experiment):
    spec, directory, results, _ = experiment
    assert [(r.variant, r.seed, r.status) for r in results.runs] == [
        ("adam", 0, "finished"),
        ("adam", 1, "finished"),
        ("nan", 0, "diverged"),
        ("nan", 1, "diverged"),
        ("huge", 0, "failed"),
        ("huge", 1, "failed"),
    ]
    # The worker trains on a dataset it built once; the same recipe and seed through trainlab.fit agree.
    direct = trainlab.fit(copy.deepcopy(BASE), seed=1, save=False, verbose=0)  # fit edits nested sections
    assert results.table("accuracy")["adam"][1] == direct.summary["test"]["accuracy"]
    assert (directory / "runs" / "adam" / "seed-1" / "model.safetensors").is_file()
    assert (
        trainlab.evaluate(directory / "runs" / "adam" / "seed-0")["test"]["accuracy"]
        == results.table()["adam"][0]
    )


def test_divergence_is_a_nan_result_and_an_error_is_recorded_while_the_others_go_on(experiment):
    _, _, results, seen = experiment
    assert all(math.isnan(value) for value in results.table()["nan"].values())
    huge = [r for r in results.runs if r.variant == "huge"]
    assert all("does not fit" in r.error for r in huge)
    assert len(seen) == 6


def test_the_storage_holds_one_closed_trial_per_cell(experiment):
    spec, directory, _, _ = experiment
    study = cells.ExperimentStudy(
        cells.open_storage(cells.default_storage_url(directory)), spec.name, create=False
    )
    states = {trial.user_attrs[cells.CELL_ATTR]: trial.state.name for trial in study.trials()}
    assert len(study.trials()) == 6
    assert states == {
        "adam/seed-0": "COMPLETE",
        "adam/seed-1": "COMPLETE",
        "nan/seed-0": "PRUNED",
        "nan/seed-1": "PRUNED",
        "huge/seed-0": "FAIL",
        "huge/seed-1": "FAIL",
    }
    complete = [t for t in study.trials() if t.state.name == "COMPLETE"]
    assert sorted(t.value for t in complete) == sorted(experiment[2].table()["adam"].values())


def test_running_again_skips_every_finished_cell(experiment):
    spec, directory, results, _ = experiment
    summaries = {p: p.stat().st_mtime_ns for p in directory.glob("runs/*/*/summary.json")}
    again = []
    rerun = run_experiment(
        spec, directory, workers=1, progress=lambda record, done, total: again.append(record)
    )
    assert again == []
    assert {p: p.stat().st_mtime_ns for p in directory.glob("runs/*/*/summary.json")} == summaries
    assert str(rerun.table()) == str(results.table())  # NaN == NaN as text
