"""The experiment resume benchmark (benchmarks/experiment_resume.py), shortened: SIGKILL the runner halfway
through 3 variants x 5 seeds, run the same command again; no orphans, no cell run twice, every final metric
equal to the uninterrupted experiment's."""

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "experiment_resume.py"


def test_a_killed_experiment_resumes_to_the_uninterrupted_results(tmp_path):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--steps", "120", "--checkpoint-every", "20", "--keep", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS" in result.stdout
