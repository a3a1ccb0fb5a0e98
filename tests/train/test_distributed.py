"""Data-parallel training with torchrun and gloo: 2 processes × batch 32 equal 1 process × batch 64."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

WORKER = Path(__file__).with_name("ddp_worker.py")


def run(out, batch_size, nproc, optimizer="sgd"):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}"]
    command = [
        *(launcher if nproc > 1 else [sys.executable]),
        str(WORKER),
        str(out),
        str(batch_size),
        optimizer,
    ]
    subprocess.run(command, check=True, env=env, timeout=300, capture_output=True)
    return torch.load(out, weights_only=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ddp")
    return run(folder / "two.pt", 32, nproc=2), run(folder / "one.pt", 64, nproc=1)


def test_two_processes_match_one_process_with_the_global_batch_after_every_step(runs):
    two, one = runs
    assert len(two["params"]) == len(one["params"]) == 4
    for step, (params_two, params_one) in enumerate(zip(two["params"], one["params"], strict=True), start=1):
        for a, b in zip(params_two, params_one, strict=True):
            assert (a - b).abs().max().item() <= 1e-6, f"step {step}"


def test_our_optimizers_whose_parameters_are_views_of_a_flat_buffer_stay_in_step(tmp_path):
    # Schedule-free SGD re-points the parameters into its buffer after DDP has wrapped the model.
    two = run(tmp_path / "two.pt", 32, nproc=2, optimizer="schedule_free_sgd")
    one = run(tmp_path / "one.pt", 64, nproc=1, optimizer="schedule_free_sgd")
    for step, (params_two, params_one) in enumerate(zip(two["params"], one["params"], strict=True), start=1):
        for a, b in zip(params_two, params_one, strict=True):
            assert (a - b).abs().max().item() <= 1e-6, f"step {step}"


def test_logged_loss_is_the_mean_over_ranks(runs):
    two, one = runs
    losses_two = [r["loss"] for r in two["history"] if r["type"] == "step"]
    losses_one = [r["loss"] for r in one["history"] if r["type"] == "step"]
    assert losses_two == pytest.approx(losses_one, abs=1e-6)
