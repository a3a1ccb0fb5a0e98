"""Cells in Optuna storage: two runner processes never take the same cell, duplicates run once, a dead runner's cell is taken over."""

import subprocess
import sys
import textwrap

import pytest

from trainlab.errors import TrainlabError
from trainlab.experiment import storage as cells

CELLS = [f"v{v}/seed-{s}" for v in range(6) for s in range(5)]

# One runner's loop: claim, "run", close, until no cell is queued.
RUNNER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from trainlab.experiment import storage as cells
    directory = Path(sys.argv[1])
    study = cells.ExperimentStudy(cells.open_storage(cells.default_storage_url(directory)), "race")
    study.queue({cells!r})
    while (claim := study.claim()) is not None:
        time.sleep(0.01)
        study.finish(claim, {{"status": "finished", "runner": sys.argv[2]}}, 1.0)
    """
).format(cells=CELLS)


def open_study(directory, lock=True):
    return cells.ExperimentStudy(
        cells.open_storage(cells.default_storage_url(directory)), "race", serialize=lock
    )


def records(study):
    done = {}
    for trial in study.trials():
        if cells.RECORD_ATTR in trial.user_attrs:
            done.setdefault(trial.user_attrs[cells.CELL_ATTR], []).append(trial)
    return done


def test_two_runner_processes_on_one_sqlite_storage_never_run_a_cell_twice(tmp_path):
    runners = [
        subprocess.Popen(
            [sys.executable, "-c", RUNNER, str(tmp_path), name], stderr=subprocess.PIPE, text=True
        )
        for name in ("a", "b")
    ]
    for runner in runners:
        assert runner.wait(timeout=120) == 0, runner.stderr.read()
    done = records(open_study(tmp_path))
    assert sorted(done) == sorted(CELLS)
    assert all(len(trials) == 1 and trials[0].state.name == "COMPLETE" for trials in done.values())


def test_a_cell_queued_twice_at_once_runs_once(tmp_path):
    # Two runners on a server storage may both queue a cell before either sees the other's trial.
    study = open_study(tmp_path, lock=False)
    for cell in ("a/seed-0", "a/seed-0", "b/seed-0"):
        study.study.enqueue_trial({}, user_attrs={cells.CELL_ATTR: cell})
    claimed = []
    while (claim := study.claim()) is not None:
        claimed.append(claim.cell)
        study.finish(claim, {"status": "finished"}, 0.5)
    assert claimed == ["a/seed-0", "b/seed-0"]
    duplicate = [t for t in study.trials() if cells.DUPLICATE_ATTR in t.user_attrs]
    assert [(t.number, t.user_attrs[cells.DUPLICATE_ATTR]) for t in duplicate] == [(1, 0)]
    assert study.queue(["a/seed-0", "b/seed-0"]) == 0  # done cells are not queued again


def test_the_cell_of_a_runner_that_died_on_this_machine_is_taken_over(tmp_path):
    study = open_study(tmp_path)
    study.queue(["a/seed-0", "b/seed-0"])
    claim = study.claim()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    host = study.owner.rsplit(":", 1)[0]
    study.storage.set_trial_system_attr(claim.trial_id, cells.OWNER_ATTR, f"{host}:{dead.stdout.strip()}")
    study.fail_dead_runners()
    assert study.queue(["a/seed-0", "b/seed-0"]) == 1
    taken = [study.claim().cell, study.claim().cell]
    assert sorted(taken) == ["a/seed-0", "b/seed-0"]


def test_a_failed_cell_stays_failed_until_retry_failed(tmp_path):
    study = open_study(tmp_path)
    study.queue(["a/seed-0"])
    study.finish(study.claim(), {"status": "failed", "error": "DataError: x"}, None)
    assert study.queue(["a/seed-0"]) == 0
    study.retry_failed()
    assert study.queue(["a/seed-0"]) == 1


def test_an_unreachable_server_is_one_message_naming_the_url_without_its_password():
    with pytest.raises(TrainlabError) as caught:
        cells.open_storage("postgresql://me:secret@127.0.0.1:1/experiments")
    message = str(caught.value)
    assert "postgresql://me:***@127.0.0.1:1/experiments" in message and "secret" not in message
    # Without the postgres extra the message names the missing driver instead.
    assert "cannot connect" in message or "pip install 'trainlab[postgres]'" in message


def test_a_claim_left_unsigned_by_a_runner_killed_mid_claim_is_taken_over_after_the_grace_period(
    tmp_path, monkeypatch
):
    from optuna.trial import TrialState

    study = open_study(tmp_path)
    study.queue(["a/seed-0"])
    waiting = study.trials()[0]
    study.storage.set_trial_state_values(waiting._trial_id, TrialState.RUNNING)  # killed before signing
    study.fail_dead_runners()
    assert study.queue(["a/seed-0"]) == 0  # within the grace period it may still be signing
    monkeypatch.setattr(cells, "GRACE_S", -1)
    study.fail_dead_runners()
    assert study.queue(["a/seed-0"]) == 1 and study.claim().cell == "a/seed-0"
