"""Seeding and determinism: the same seed gives the same run."""

from __future__ import annotations

import os
import random

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Seed python's ``random``, numpy's global generator and torch (CPU and every GPU)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def set_deterministic(enabled: bool) -> None:
    """Ask torch for deterministic kernels; raises inside torch if an op has none.

    cuBLAS needs a fixed workspace for deterministic GEMMs, which must be set before its first use.
    torch's setter imports the inductor compiler (its config carries the flag too: 1.8 s on a 2-core
    VM), so it is only called when the flag changes; the default (off) then costs nothing.
    """
    if enabled:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    if (
        torch.are_deterministic_algorithms_enabled() != enabled
        or torch.is_deterministic_algorithms_warn_only_enabled()
    ):
        torch.use_deterministic_algorithms(enabled)
    torch.backends.cudnn.benchmark = not enabled


def rng_state() -> dict:
    """Every RNG state a run's future depends on, for checkpoints.

    Only tensors and plain python values, so that checkpoints load with ``weights_only=True``
    (a numpy array would need numpy's unpickling machinery on the allowlist).
    """
    numpy_state = np.random.get_state(legacy=False)
    numpy_state["state"] = {
        **numpy_state["state"],
        "key": torch.from_numpy(numpy_state["state"]["key"].astype(np.int64)),
    }
    state = {"python": random.getstate(), "numpy": numpy_state, "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    numpy_state = dict(state["numpy"])
    numpy_state["state"] = {
        **numpy_state["state"],
        "key": numpy_state["state"]["key"].numpy().astype(np.uint32),
    }
    np.random.set_state(numpy_state)
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
