"""A run killed at any point and resumed ends byte for byte like the uninterrupted run (issue 17, section 8).

The kills are SIGKILLs at precise points, taken by the process itself through patched hooks, so
nothing depends on timing: after the last checkpoint (the final evaluation), with the weights
or the summary written to a temporary file but not yet renamed, after the summary, between a
checkpoint's state and its manifest, and between a checkpoint and the pruning of the old one.
``benchmarks/kill_soak.py`` does the same from outside, at random moments.

A resumed run also adds up its floats with the thread count of the run it continues: torch
splits sums among its threads, and the split changes the rounding.
"""

import logging
import subprocess
import sys

import pytest
import torch

import trainlab
from trainlab.train.checkpoint import CheckpointManager

SETTINGS = [
    "train.steps=24",
    "train.checkpoint_every=10",
    "train.log_every=4",
    "train.eval_every=8",
    "train.deterministic=true",
    "train.progress=false",
    "train.batch_size=32",
]
COMPARED = ("metrics.jsonl", "model.safetensors")


def files_of(run):
    return {name: (run / name).read_bytes() for name in COMPARED}


class CrashAt:
    def __init__(self, step):
        self.step = step

    def on_step_start(self, trainer):
        if trainer.step == self.step:
            raise RuntimeError("killed")


@pytest.fixture
def restore_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


# ------------------------------------------------------------------------------------------------
# The thread count


def cnn_fit(out, *extra, **kwargs):
    # The CNN's convolutions split their sums among threads, so its weights depend on the thread count.
    overrides = [*SETTINGS, "train.steps=12", "train.checkpoint_every=5", *extra]
    return trainlab.fit(data="mnist1d", model="cnn1d", out=str(out), overrides=overrides, **kwargs)


@pytest.fixture(scope="module")
def two_threads(tmp_path_factory):
    """The run with 2 threads; checked to differ from the same run with 1."""
    root, before = tmp_path_factory.mktemp("threads"), torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        cnn_fit(root / "two")
        torch.set_num_threads(1)
        cnn_fit(root / "one")
    finally:
        torch.set_num_threads(before)
    # Otherwise these tests could not tell a resume with the wrong thread count from a right one.
    assert files_of(root / "one") != files_of(root / "two")
    return files_of(root / "two")


@pytest.mark.parametrize(
    ("killed_at", "resumed_from"),
    [(8, 5), (3, None)],  # after the checkpoint of step 5; before any checkpoint (a restart)
)
def test_a_resume_keeps_the_thread_count_of_the_run_it_continues(
    tmp_path, restore_threads, two_threads, killed_at, resumed_from
):
    torch.set_num_threads(2)
    with pytest.raises(RuntimeError, match="killed"):
        cnn_fit(tmp_path / "run", callbacks=[CrashAt(killed_at)])
    # The resuming process would default to another count: a busy machine, OMP_NUM_THREADS, a cpuset.
    torch.set_num_threads(1)
    result = trainlab.fit(resume=tmp_path / "run")
    assert result.summary["run"]["resumed_from_step"] == resumed_from
    assert torch.get_num_threads() == 2
    assert files_of(tmp_path / "run") == two_threads


def test_a_thread_count_set_on_resume_wins_and_is_warned_about(tmp_path, restore_threads, caplog):
    torch.set_num_threads(1)
    with pytest.raises(RuntimeError, match="killed"):
        cnn_fit(tmp_path / "run", callbacks=[CrashAt(11)])
    with caplog.at_level(logging.WARNING, logger="trainlab"):
        trainlab.fit(resume=tmp_path / "run", overrides=["train.threads=2"])
    assert torch.get_num_threads() == 2
    assert "written with 1 torch threads and this run uses 2" in caplog.text


# ------------------------------------------------------------------------------------------------
# SIGKILL at precise points

# Run in a child process: train, and SIGKILL this process at the point named by argv[2].
CHILD = """
import os, signal, sys
import trainlab
from trainlab.train.checkpoint import CheckpointManager

out, point, settings = sys.argv[1], sys.argv[2], sys.argv[3:]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

# The temporary file is complete and fsynced; it is about to be renamed over these.
RENAMED = {"weights": "model.safetensors", "summary": "summary.json", "manifest": "manifest.json"}
real_replace = os.replace
def replace(source, destination):
    if point in RENAMED and os.path.basename(destination) == RENAMED[point]:
        if point != "manifest" or "step-00000020" in str(destination):
            die()
    real_replace(source, destination)
os.replace = replace

real_prune = CheckpointManager.prune
def prune(self):
    if point == "prune" and (self.directory / "step-00000020" / "manifest.json").exists():
        die()
    real_prune(self)
CheckpointManager.prune = prune

class KillAtFinalEvaluation:
    def on_eval_start(self, trainer, split):
        if point == "final evaluation" and trainer.step == trainer.total_steps:
            die()

trainlab.fit(data="mnist1d", model="mlp", out=out, overrides=settings, callbacks=[KillAtFinalEvaluation()])
if point == "after summary":
    die()
"""

KILL_POINTS = {
    # point: (what the directory holds at the kill, the checkpoint the resume starts from)
    "manifest": ("step-00000020 without its manifest", 10),
    "prune": ("steps 10 and 20, before 10 is pruned", 20),
    "final evaluation": ("the last checkpoint, no weights", 24),
    "weights": ("a complete temporary weights file", 24),
    "summary": ("the weights, a complete temporary summary", 24),
    "after summary": ("a finished run", 24),
}


@pytest.fixture(scope="module")
def killed_runs(tmp_path_factory):
    """One child per kill point, run side by side (each is mostly start-up)."""
    root = tmp_path_factory.mktemp("killed")
    settings = [*SETTINGS, "train.threads=1"]
    children = {
        point: subprocess.Popen(
            [sys.executable, "-c", CHILD, str(root / point.replace(" ", "_")), point, *settings],
            stderr=subprocess.PIPE,
            text=True,
        )
        for point in KILL_POINTS
    }
    for point, child in children.items():
        _, stderr = child.communicate(timeout=600)
        assert child.returncode == -9, f"{point}: the child was not killed: {stderr}"
    return root


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference") / "run"
    trainlab.fit(data="mnist1d", model="mlp", out=str(out), overrides=[*SETTINGS, "train.threads=1"])
    return out


@pytest.mark.slow
@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_run_killed_at_a_precise_point_resumes_byte_for_byte(
    killed_runs, reference, point, restore_threads
):
    run = killed_runs / point.replace(" ", "_")
    newest = CheckpointManager(run / "checkpoints")
    resumed = trainlab.fit(resume=run)
    assert resumed.summary["run"]["resumed_from_step"] == KILL_POINTS[point][1], KILL_POINTS[point][0]
    assert files_of(run) == files_of(reference)
    assert [info.step for info in newest.complete()] == [24, 20]
    assert not list(run.rglob("*.tmp"))
