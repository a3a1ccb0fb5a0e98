"""Resuming a run directory through ``fit(resume=...)``, ``train.resume: auto`` and ``trainlab fit --resume``."""

import json
import signal
import subprocess
import sys
import time

import pytest

import trainlab
from trainlab.cli import main
from trainlab.errors import TrainlabError

SETTINGS = [
    "train.steps=12",
    "train.checkpoint_every=5",
    "train.log_every=2",
    "train.eval_every=4",
    "train.deterministic=true",
    "train.progress=false",
    "train.batch_size=32",
    # Pinned: `auto` counts other runnable threads as each run starts, and 1 thread against 2 gives the
    # same metrics but other weight bits, so a reference run and a crashed one made a moment apart on a
    # busy machine could differ before any resume (seen once in a CI run).
    "train.threads=1",
]


class CrashAt:
    def __init__(self, step):
        self.step = step

    def on_step_start(self, trainer):
        if trainer.step == self.step:
            raise RuntimeError("killed")


def quick_fit(out, **kwargs):
    return trainlab.fit(data="mnist1d", model="mlp", out=str(out), overrides=SETTINGS, **kwargs)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "reference"
    quick_fit(out)
    return out


def files_of(run):
    return {name: (run / name).read_bytes() for name in ("metrics.jsonl", "model.safetensors")}


def test_resumed_run_directory_equals_the_uninterrupted_one(tmp_path, uninterrupted):
    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="killed"):
        quick_fit(out, callbacks=[CrashAt(8)])
    # The killed run logged steps 6 and 8 after its checkpoint at step 5; they must not repeat.
    assert '"step": 8' in (out / "metrics.jsonl").read_text()
    result = trainlab.fit(resume=out)
    assert files_of(out) == files_of(uninterrupted)
    assert [r["step"] for r in result.history if r["type"] == "step"] == [2, 4, 6, 8, 10, 12]
    assert sorted(p.name for p in (out / "checkpoints").glob("step-*")) == ["step-00000010", "step-00000012"]


@pytest.mark.parametrize("optimizer", ["lamb", "schedule_free_sgd"])
def test_resuming_with_our_flat_buffer_optimizers_is_exact(tmp_path, optimizer):
    # Their parameters and state are views into flat buffers, rebuilt from the checkpoint on resume.
    quick_fit(tmp_path / "reference", optimizer=optimizer)
    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="killed"):
        quick_fit(out, optimizer=optimizer, callbacks=[CrashAt(8)])
    trainlab.fit(resume=out)
    assert files_of(out) == files_of(tmp_path / "reference")


def test_resume_auto_continues_out_or_starts_fresh(tmp_path, uninterrupted):
    out = tmp_path / "run"
    with pytest.raises(RuntimeError):
        quick_fit(out, callbacks=[CrashAt(7)])
    trainlab.fit(data="mnist1d", model="mlp", out=str(out), overrides=[*SETTINGS, "train.resume=auto"])
    assert files_of(out) == files_of(uninterrupted)
    fresh = tmp_path / "fresh"
    trainlab.fit(data="mnist1d", model="mlp", out=str(fresh), overrides=[*SETTINGS, "train.resume=auto"])
    assert files_of(fresh) == files_of(uninterrupted)


def test_resume_needs_a_run_directory(tmp_path):
    with pytest.raises(TrainlabError, match="does not exist"):
        trainlab.fit(resume=tmp_path / "nope")
    assert main(["fit", "--resume", str(tmp_path / "nope")]) == 2


def test_cli_sigterm_checkpoints_exits_143_and_resumes(tmp_path, uninterrupted):
    out = tmp_path / "run"
    settings = [arg for item in SETTINGS for arg in ("--set", item)]
    command = [
        sys.executable,
        "-m",
        "trainlab",
        "fit",
        "--data",
        "mnist1d",
        "--model",
        "mlp",
        "--out",
        str(out),
        *settings,
        "--set",
        "train.steps=300",
        "--set",
        "train.checkpoint_every=150",
        "--set",
        "train.eval_every=300",
    ]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out / "metrics.jsonl").exists() or not (out / "metrics.jsonl").read_text():
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert "stopped by SIGTERM" in stderr and "--resume" in stderr
    assert "Traceback" not in stderr
    assert (out / "checkpoints").is_dir()
    interrupted = json.loads((out / "summary.json").read_text())
    assert interrupted["status"] == "interrupted" and "SIGTERM" in (out / "error.txt").read_text()
    assert main(["fit", "--resume", str(out), "--set", "train.progress=false"]) == 0
    assert json.loads((out / "summary.json").read_text())["status"] == "finished"
    assert not [p for p in out.rglob("*.tmp")]


def test_a_run_made_before_an_option_existed_still_resumes(tmp_path, uninterrupted):
    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="killed"):
        quick_fit(out, callbacks=[CrashAt(8)])
    recipe = out / "recipe.yaml"
    text = recipe.read_text()
    assert "share_hidden: false" in text
    recipe.write_text(text.replace("  share_hidden: false\n", ""))  # as recorded before mlp had the option
    with pytest.raises(TrainlabError, match="model.share_hidden"):  # the new option compares as its default
        trainlab.fit(resume=out, overrides=["model.share_hidden=true"])
    trainlab.fit(resume=out)
    assert files_of(out) == files_of(uninterrupted)


def test_a_changed_recorded_setting_still_stops_a_resume(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="killed"):
        quick_fit(out, callbacks=[CrashAt(8)])
    with pytest.raises(TrainlabError, match="model.width"):
        trainlab.fit(resume=out, overrides=["model.width=64"])
