"""``trainlab report RUN_DIR | EXPERIMENT_DIR``: a self-contained report.html with figures and statistics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from trainlab.commands.support import console, option, reports_user_errors


def register(app: typer.Typer) -> None:
    app.command(name="report")(report)


@reports_user_errors
def report(
    path: Annotated[Path, typer.Argument(help="A run directory or an experiment directory.")],
    out: Annotated[Path | None, option("The HTML file to write; default PATH/report.html.", "--out")] = None,
    split: Annotated[
        str | None,
        option("The split an experiment is compared on; default test (val if untested).", "--split"),
    ] = None,
) -> None:
    """Write report.html: learning curves, final metrics, per-class metrics, LR schedule, diagnostics,
    and for an experiment the statistics against the baseline with plain-words verdicts.

    The page is one file (figures inlined, no scripts, no external links): open it in any browser.
    """
    from trainlab.report import write_report

    written = write_report(path, out=out, split=split)
    console.print(f"wrote {written}", highlight=False)
