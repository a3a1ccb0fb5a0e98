"""Determinism switch: it sets torch's flag both ways, and leaving it off does not import the compiler."""

from __future__ import annotations

import subprocess
import sys

import torch

from trainlab.train.seed import set_deterministic


def test_set_deterministic_switches_torch_both_ways():
    try:
        set_deterministic(True)
        assert torch.are_deterministic_algorithms_enabled() and not torch.backends.cudnn.benchmark
        set_deterministic(False)
        assert not torch.are_deterministic_algorithms_enabled() and torch.backends.cudnn.benchmark
    finally:
        torch.use_deterministic_algorithms(False)


def test_warn_only_mode_is_replaced_by_the_requested_one():
    try:
        torch.use_deterministic_algorithms(True, warn_only=True)
        set_deterministic(True)
        assert torch.are_deterministic_algorithms_enabled()
        assert not torch.is_deterministic_algorithms_warn_only_enabled()
    finally:
        torch.use_deterministic_algorithms(False)


def test_a_run_that_is_not_deterministic_does_not_import_the_inductor_compiler():
    # torch.use_deterministic_algorithms imports torch._inductor (seconds of start-up per worker).
    code = (
        "import sys, torch\n"
        "from trainlab.train.seed import set_deterministic\n"
        "set_deterministic(False)\n"
        "print('torch._inductor' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
