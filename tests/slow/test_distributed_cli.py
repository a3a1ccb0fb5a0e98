"""``trainlab fit --nproc 2`` end to end (gloo on CPU), including a distributed resume. Slow: two torchrun launches."""

import shutil

import pytest
from safetensors.torch import load_file

from trainlab.cli import main
from trainlab.train.checkpoint import CheckpointManager

pytestmark = pytest.mark.slow

SETTINGS = [
    "train.steps=8",
    "train.checkpoint_every=4",
    "train.log_every=2",
    "train.batch_size=32",
    "train.deterministic=true",
    "train.progress=false",
    "train.keep_last=3",
]


def fit(*args):
    return main(["fit", *args, *[a for s in SETTINGS for a in ("--set", s)]])


def test_nproc_2_trains_checkpoints_and_resumes_bit_identically(tmp_path):
    out = tmp_path / "run"
    assert fit("--data", "mnist1d", "--model", "mlp", "--out", str(out), "--nproc", "2") == 0
    finished = load_file(out / "model.safetensors")
    metrics = (out / "metrics.jsonl").read_text()
    assert [info.step for info in CheckpointManager(out / "checkpoints").complete()] == [8, 4]
    state, _ = CheckpointManager(out / "checkpoints").load_latest()
    assert len(state["rng"]) == 2  # one RNG state per rank

    # Interrupted after step 4: drop what came later, then resume with two processes.
    shutil.rmtree(out / "checkpoints" / "step-00000008")
    for name in ("summary.json", "model.safetensors"):
        (out / name).unlink()
    assert fit("--resume", str(out), "--nproc", "2") == 0
    resumed = load_file(out / "model.safetensors")
    assert all((resumed[k] == v).all() for k, v in finished.items())
    assert (out / "metrics.jsonl").read_text() == metrics


def test_resuming_with_another_process_count_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    assert fit("--data", "mnist1d", "--model", "mlp", "--out", str(out), "--set", "train.steps=4") == 0
    (out / "summary.json").unlink()
    assert fit("--resume", str(out), "--nproc", "2") != 0
