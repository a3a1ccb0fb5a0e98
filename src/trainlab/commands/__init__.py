"""The CLI's commands beyond fit/evaluate/catalog, one module per command (or command group).

Each module defines ``register(app)``, which adds its command(s) to the ``trainlab`` app; ``cli.py``
calls it for every name in ``COMMAND_MODULES``. A command module imports no torch at module level
(``trainlab --help`` must stay fast): heavy imports go inside the command function.
"""

from __future__ import annotations

import importlib

import typer

# Modules under trainlab.commands, each with register(app).
COMMAND_MODULES: tuple[str, ...] = (
    "lr_find",
    "calibrate",
    "doctor",
    "predict",
    "export",
    "preflight",
    "gradcheck",
    "label_issues",
    "experiment",
    "tune",
    "study",
    "report",
    "compare",
    "ensemble",
    "prune",
    "lottery",
    "quantize",
    "distill",
    "explain",
    "inspect",
)


def register_all(app: typer.Typer) -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"trainlab.commands.{name}").register(app)
