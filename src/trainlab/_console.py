"""The ``trainlab`` console script (and ``python -m trainlab``): the command line, with Ctrl-C handled first."""

from __future__ import annotations

import sys

from trainlab import interrupts


def main(argv: list[str] | None = None) -> int:
    interrupts.install()  # before typer and torch load: a Ctrl-C while they import exits quietly too
    try:
        from trainlab.cli import main as run_command

        return run_command(argv)
    except (interrupts.CommandInterrupted, KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
        return interrupts.EXIT_CODE
