"""The kill soak (benchmarks/kill_soak.py), shortened: SIGKILL (mid-training, mid-write, after the last
checkpoint), resume, compare bit for bit."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "kill_soak.py"


def test_kill_soak(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--runs",
            "5",
            "--during-write",
            "2",
            "--final",
            "2",
            "--workdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("PASS")
