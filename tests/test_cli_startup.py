"""The command line's help loads neither torch nor trainlab's components (start-up stays fast)."""

import subprocess
import sys

import pytest

PROBE = """
import sys
from trainlab.cli import main
code = main({argv!r})
heavy = sorted(m for m in ("torch", "sklearn", "scipy", "torchmetrics", "matplotlib") if m in sys.modules)
light = ("trainlab.errors", "trainlab.summary_tables", "trainlab.commands")  # none imports torch
loaded = sorted(m for m in sys.modules if m.startswith("trainlab.") and m != "trainlab.cli")
print(code, heavy, [m for m in loaded if not m.startswith(light)])
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["fit", "--help"],
        ["evaluate", "--help"],
        ["catalog", "--help"],
        ["schedule", "plot", "--help"],
        ["preflight", "--help"],
        ["gradcheck", "--help"],
        ["label-issues", "--help"],
        ["lottery", "--help"],
        ["calibrate", "--help"],
        ["predict", "--help"],
        ["export", "--help"],
        ["lr-find", "--help"],
        ["doctor", "--help"],
        ["report", "--help"],
        ["compare", "--help"],
        ["ensemble", "--help"],
        ["experiment", "run", "--help"],
        ["experiment", "status", "--help"],
        ["experiment", "report", "--help"],
        ["prune", "--help"],
        ["quantize", "--help"],
        ["distill", "--help"],
        ["tune", "--help"],
        ["study", "run", "--help"],
        ["explain", "--help"],
        ["inspect", "--help"],
    ],
)
def test_help_imports_nothing_heavy(argv):
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True, check=True
    ).stdout
    code, heavy, modules = out.strip().splitlines()[-1].split(" ", 2)
    assert code == "0"
    assert heavy == "[]"
    assert modules == "[]"  # no component, recipe or trainer module: those import torch
