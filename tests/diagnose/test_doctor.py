"""The doctor on run directories: diagnosis.json, the healthy verdict, what it could not check, and bad input."""

from __future__ import annotations

import json

import pytest
from doctor_records import healthy_evidence, param_rows, write_run
from typer.testing import CliRunner

import trainlab.diagnose
from trainlab.cli import app
from trainlab.diagnose.doctor import DIAGNOSIS, doctor


def snapshot(path):
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(path.iterdir())}


def test_doctor_writes_diagnosis_json_with_findings_cause_and_fix(tmp_path):
    run = write_run(tmp_path / "run", healthy_evidence(records=param_rows(update_ratio=0.4)))
    before = snapshot(run)
    diagnosis = trainlab.diagnose.doctor(run)
    assert {name: v for name, v in snapshot(run).items() if name != DIAGNOSIS} == before  # the only file
    written = json.loads((run / DIAGNOSIS).read_text())
    assert written == json.loads(json.dumps(diagnosis.to_dict()))
    (finding,) = written["findings"]
    assert finding["id"] == "lr_too_high" and finding["severity"] == "error"
    assert finding["fix"] == ["optimizer.lr=0.0003"] and finding["cause"] and finding["reference"]
    assert finding["evidence"][0]["text"] == "median update/weight ratio 0.4 > 0.1"
    assert written["healthy"] is False
    assert set(written["not_checked"]) == {"activation_scale", "dead_relu", "saturated_activations"}


def test_a_run_without_instruments_says_what_was_not_checked(tmp_path):
    run = write_run(tmp_path / "run", healthy_evidence(records=None))
    diagnosis = doctor(run)
    assert diagnosis.healthy and not diagnosis.instrumented
    assert set(diagnosis.not_checked) == {
        "vanishing_gradients",
        "exploding_gradients",
        "dead_relu",
        "saturated_activations",
        "activation_scale",
        "lr_too_low",
    }
    assert "fit --diagnose" in diagnosis.not_checked["dead_relu"]


def test_a_run_that_failed_before_its_summary_knows_its_classes_from_preprocessing_json(tmp_path):
    failed = {"status": "failed", "error": "the loss is nan", "run": {}}  # no data section
    history = [{"type": "step", "step": 1, "loss": 2.3, "lr": 3.0}]
    blind = doctor(
        write_run(tmp_path / "blind", healthy_evidence(records=None, summary=failed, history=history))
    )
    assert "classification task" in blind.not_checked["not_learning"]
    started = {"task": "classification", "classes": [str(c) for c in range(10)]}
    evidence = healthy_evidence(records=None, summary=failed, history=history, data=started)
    diagnosis = doctor(write_run(tmp_path / "run", evidence), write=False)
    assert "not_learning" not in diagnosis.not_checked


def test_options_tune_the_doctor_and_are_recorded(tmp_path):
    run = write_run(tmp_path / "run", healthy_evidence(records=param_rows(update_ratio=0.4)))
    assert doctor(run, {"lr_too_high": {"max_update_ratio": 0.5}}).healthy
    assert json.loads((run / DIAGNOSIS).read_text())["options"] == {"lr_too_high": {"max_update_ratio": 0.5}}


def test_cli_prints_the_table_and_the_fix(tmp_path):
    run = write_run(tmp_path / "run", healthy_evidence(records=param_rows(update_ratio=0.4)))
    result = CliRunner().invoke(app, ["doctor", str(run)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "lr_too_high" in result.output and "--set optimizer.lr=0.0003" in result.output
    assert (run / DIAGNOSIS).is_file()


def test_cli_healthy_run_says_so_with_its_measurements(tmp_path):
    run = write_run(tmp_path / "run", healthy_evidence())
    result = CliRunner().invoke(app, ["doctor", str(run)], terminal_width=200)
    text = " ".join(result.output.split())
    assert (
        result.exit_code == 0
        and "healthy: no warnings or errors" in text
        and "median update ratio 0.001" in text
    )


def test_cli_options_from_set_and_a_config_file(tmp_path):
    run = write_run(tmp_path / "run", healthy_evidence(records=param_rows(update_ratio=0.4)))
    config = tmp_path / "doctor.yaml"
    config.write_text("doctor:\n  lr_too_high: {max_update_ratio: 0.5}\n")
    result = CliRunner().invoke(app, ["doctor", str(run), "--config", str(config), "--json"])
    assert json.loads(result.output)["healthy"] is True
    result = CliRunner().invoke(
        app,
        ["doctor", str(run), "--config", str(config), "--set", "lr_too_high.max_update_ratio=0.3", "--json"],
    )
    assert [f["id"] for f in json.loads(result.output)["findings"]] == ["lr_too_high"]


def _assert_user_error(result, *names):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for name in names:
        assert name in result.output


@pytest.mark.parametrize(
    "make, names",
    [
        (lambda tmp: tmp / "missing", ["missing", "not a directory"]),
        (lambda tmp: (tmp / "empty").mkdir() or tmp / "empty", ["not a run directory", "recipe.yaml"]),
    ],
    ids=["no folder", "not a run"],
)
def test_cli_refuses_a_folder_that_is_not_a_run(tmp_path, make, names):
    path = make(tmp_path)
    before = snapshot(path) if path.exists() else None
    result = CliRunner().invoke(app, ["doctor", str(path)], terminal_width=200)
    _assert_user_error(result, *names)
    assert (snapshot(path) if path.exists() else None) == before


@pytest.mark.parametrize("missing", ["metrics.jsonl", "recipe.yaml"])
def test_cli_refuses_a_run_with_missing_files_and_changes_nothing(tmp_path, missing):
    run = write_run(tmp_path / "run", healthy_evidence())
    (run / missing).unlink()
    before = snapshot(run)
    result = CliRunner().invoke(app, ["doctor", str(run)], terminal_width=200)
    _assert_user_error(result, missing)
    assert snapshot(run) == before


def test_cli_refuses_a_damaged_file_and_bad_options_and_changes_nothing(tmp_path):
    run = write_run(tmp_path / "run", healthy_evidence())
    before = snapshot(run)
    result = CliRunner().invoke(
        app, ["doctor", str(run), "--set", "dead_relu.max_dead=1"], terminal_width=200
    )
    _assert_user_error(result, "dead_relu.max_dead", "max_dead_fraction")
    with open(run / "metrics.jsonl", "a") as handle:
        handle.write("{not json\n")
    before = snapshot(run)
    result = CliRunner().invoke(app, ["doctor", str(run)], terminal_width=200)
    _assert_user_error(result, "metrics.jsonl", "line 23")
    assert snapshot(run) == before


def test_a_failed_write_leaves_no_diagnosis_and_no_temporary_file(tmp_path, monkeypatch):
    run = write_run(tmp_path / "run", healthy_evidence())
    before = snapshot(run)

    def disk_full(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("trainlab._io.os.replace", disk_full)
    result = CliRunner().invoke(app, ["doctor", str(run)], terminal_width=200)
    _assert_user_error(result, "diagnosis.json", "disk full", "--no-write")
    assert snapshot(run) == before


def test_no_write_leaves_the_run_untouched_and_a_torn_last_line_is_skipped(tmp_path):
    run = write_run(tmp_path / "run", healthy_evidence(records=param_rows(update_ratio=0.4)))
    with open(run / "metrics.jsonl", "a") as handle:
        handle.write('{"type": "step", "step": 2')  # a kill in the middle of a write
    before = snapshot(run)
    result = CliRunner().invoke(app, ["doctor", str(run), "--no-write"], terminal_width=200)
    assert result.exit_code == 0 and "lr_too_high" in result.output
    assert snapshot(run) == before


def test_fit_with_diagnose_ends_with_the_diagnosis_and_writes_it(tmp_path):
    out = tmp_path / "run"
    args = ["fit", "--data", "iris", "--model", "mlp", "--steps", "20", "--diagnose", "--out", str(out)]
    result = CliRunner().invoke(
        app, [*args, "--set", "train.log_every=5", "--set", "diagnose.pictures=false"]
    )
    assert result.exit_code == 0, result.output
    written = json.loads((out / DIAGNOSIS).read_text())
    assert written["instrumented"] is True and written["measurements"]["median_update_ratio"] > 0
    assert ("healthy:" in result.output) == written["healthy"]
    assert all(f["id"] in result.output for f in written["findings"])


def test_fit_without_diagnose_writes_no_diagnosis(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app, ["fit", "--data", "iris", "--model", "mlp", "--steps", "5", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert not (out / DIAGNOSIS).exists()
