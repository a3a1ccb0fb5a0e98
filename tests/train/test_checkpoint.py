"""Checkpoint files: the crash-safe write order, manifests, retention, cleanup and safe loading."""

import hashlib
import json
import os

import pytest
import torch
from safetensors.torch import load_file
from torch import nn

import trainlab
from trainlab._io import remove_temp_files
from trainlab.registry import CALLBACKS, SCHEDULES
from trainlab.run_dir import RunDirectory
from trainlab.train.checkpoint import (
    MANIFEST,
    STATE,
    CheckpointError,
    CheckpointManager,
    UnsafeCheckpointError,
    load_state,
    save_state,
)


def state(value=1.0):
    return {"step": 3, "model": {"w": torch.full((4,), value)}, "rng": [{"python": (3, (1, 2), None)}]}


def test_save_writes_state_then_a_manifest_with_its_sha256(tmp_path, monkeypatch):
    events = []
    real_replace, real_fsync = os.replace, os.fsync
    monkeypatch.setattr(
        os, "replace", lambda a, b: (events.append(("replace", os.path.basename(b))), real_replace(a, b))
    )
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append(("fsync", None)), real_fsync(fd)))
    info = CheckpointManager(tmp_path).save(state(), step=3, metric=0.5)

    replaced = [name for kind, name in events if kind == "replace"]
    assert replaced == [STATE, MANIFEST]  # the manifest is written last
    first_replace = events.index(("replace", STATE))
    assert ("fsync", None) in events[:first_replace]  # the temporary file is fsynced before the rename
    assert ("fsync", None) in events[
        first_replace + 1 : events.index(("replace", MANIFEST))
    ]  # then the directory
    manifest = json.loads((info.path / MANIFEST).read_text())
    assert manifest["files"][STATE] == hashlib.sha256((info.path / STATE).read_bytes()).hexdigest()
    assert manifest["step"] == 3 and manifest["metric"] == 0.5
    assert not [p for p in info.path.iterdir() if p.name.endswith(".tmp")]


def test_keeps_the_last_k_and_the_best(tmp_path):
    manager = CheckpointManager(tmp_path, keep_last=2, higher_is_better=False)
    for step, loss in [(1, 0.9), (2, 0.1), (3, 0.5), (4, 0.6), (5, 0.7)]:
        manager.save(state(), step=step, metric=loss)
    assert [info.step for info in manager.complete()] == [5, 4, 2]


def test_a_folder_without_manifest_is_incomplete_and_cleaned(tmp_path):
    manager = CheckpointManager(tmp_path)
    manager.save(state(), step=1)
    # A writer killed after the state file's rename but before the manifest, and one killed mid-write.
    half = tmp_path / "step-00000002"
    half.mkdir()
    save_state(half / STATE, state(2.0))
    (half / ".state.pt.abc123.tmp").write_bytes(b"partial")
    assert [info.step for info in manager.complete()] == [1]
    manager.clean()
    assert not half.exists()
    loaded, info = manager.load_latest()
    assert info.step == 1 and torch.equal(loaded["model"]["w"], torch.ones(4))


def test_a_checkpoint_that_does_not_match_its_manifest_is_skipped(tmp_path):
    manager = CheckpointManager(tmp_path, keep_last=3)
    manager.save(state(1.0), step=1)
    manager.save(state(2.0), step=2)
    newest = tmp_path / "step-00000002" / STATE
    data = bytearray(newest.read_bytes())
    data[-30] ^= 0xFF  # one flipped bit: still a zip, but not what was written
    newest.write_bytes(bytes(data))
    with pytest.warns(UserWarning, match="sha256"):
        loaded, info = manager.load_latest()
    assert info.step == 1


def test_no_usable_checkpoint_gives_none(tmp_path):
    assert CheckpointManager(tmp_path / "missing").load_latest() is None


def test_save_errors_propagate(tmp_path):
    (tmp_path / "checkpoints").write_text("a file where the folder should be")
    with pytest.raises(OSError):
        CheckpointManager(tmp_path / "checkpoints").save(state(), step=1)


def test_truncated_file_is_a_clear_error(tmp_path):
    path = tmp_path / "state.pt"
    save_state(path, state())
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_state(path)


class WritesAFile:
    """A pickle payload: unpickling it calls open(path, "w"), creating the file."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_malicious_pickle_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "state.pt"
    torch.save({"step": 1, "payload": WritesAFile(str(marker))}, path)
    assert not marker.exists()
    with pytest.raises(UnsafeCheckpointError, match="refused to load .*allowlist.*never falls back"):
        load_state(path)
    assert not marker.exists()
    # The control: full unpickling would indeed have run it.
    with open(path, "rb"):
        torch.load(path, weights_only=False)
    assert marker.exists()


def test_a_planted_checkpoint_stops_resume_instead_of_falling_back(tmp_path):
    manager = CheckpointManager(tmp_path)
    manager.save(state(), step=1)
    info = manager.save(state(), step=2)
    torch.save({"payload": WritesAFile(str(tmp_path / "pwned"))}, info.state_path)
    manifest = json.loads((info.path / MANIFEST).read_text())
    manifest["files"][STATE] = hashlib.sha256(info.state_path.read_bytes()).hexdigest()
    (info.path / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(UnsafeCheckpointError):
        manager.load_latest()
    assert not (tmp_path / "pwned").exists()


def test_weights_export_to_safetensors(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    run = RunDirectory(tmp_path)
    run.save_weights(model)
    loaded = load_file(tmp_path / "model.safetensors")
    assert all(torch.equal(loaded[name], tensor) for name, tensor in model.state_dict().items())
    copy = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    run.load_weights(copy)
    assert all(torch.equal(a, b) for a, b in zip(copy.parameters(), model.parameters(), strict=True))


def test_remove_temp_files_only_touches_writer_temporaries(tmp_path):
    (tmp_path / ".summary.json.k2j3.tmp").write_text("{")
    (tmp_path / "summary.json").write_text("{}")
    (tmp_path / "notes.tmp").write_text("mine")
    removed = remove_temp_files(tmp_path)
    assert [p.name for p in removed] == [".summary.json.k2j3.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.tmp", "summary.json"]


@pytest.mark.parametrize("name", [entry.name for entry in SCHEDULES.list()])
def test_every_schedule_state_round_trips_through_a_weights_only_checkpoint(tmp_path, name):
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    schedule = SCHEDULES.get(name).build(optimizer, total_steps=20)
    for _ in range(3):
        optimizer.step()
        schedule.step(1.0) if isinstance(
            schedule, torch.optim.lr_scheduler.ReduceLROnPlateau
        ) else schedule.step()
    save_state(tmp_path / "state.pt", {"scheduler": schedule.state_dict()})
    assert load_state(tmp_path / "state.pt")["scheduler"] == schedule.state_dict()


def _same_state(first, second):
    """Equal nested states: tensors element for element, everything else by ==."""
    if isinstance(first, dict):
        return (
            isinstance(second, dict)
            and first.keys() == second.keys()
            and all(_same_state(first[key], second[key]) for key in first)
        )
    if isinstance(first, torch.Tensor):
        return isinstance(second, torch.Tensor) and torch.equal(first, second)
    return first == second


@pytest.mark.parametrize("name", [entry.name for entry in CALLBACKS.list()])
def test_every_callback_state_round_trips_through_a_weights_only_checkpoint(tmp_path, name):
    callback = CALLBACKS.get(name).build()
    if not hasattr(callback, "state_dict"):
        pytest.skip(f"{name} keeps no state")
    untrained = callback.state_dict()
    recipe = {
        "data": "iris",
        "model": {"name": "mlp", "width": 8},
        "train": {"steps": 8, "batch_size": 16, "log_every": 1, "eval_every": 2},
    }
    trainlab.fit(recipe, callbacks=[callback], save=False)
    state = callback.state_dict()
    assert not _same_state(state, untrained), "training should give the callback some state to save"

    save_state(tmp_path / "state.pt", {"callback": state})
    restored = CALLBACKS.get(name).build()
    restored.load_state_dict(load_state(tmp_path / "state.pt")["callback"])
    assert _same_state(restored.state_dict(), state)
