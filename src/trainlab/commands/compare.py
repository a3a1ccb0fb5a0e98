"""``trainlab compare RUN_DIR...``: existing runs side by side, their recipe differences and final metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from trainlab.commands.support import console, reports_user_errors


def register(app: typer.Typer) -> None:
    app.command(name="compare")(compare)


@reports_user_errors
def compare(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run directories written by `trainlab fit`.")],
    every_key: Annotated[
        bool, typer.Option("--all-keys", help="Show every recipe key, not only those that differ.")
    ] = False,
) -> None:
    """Show runs side by side: the recipe keys where they differ, every final metric (best in bold), cost."""
    from trainlab.report.compare import compare_runs

    comparison = compare_runs(run_dirs, every_key=every_key)
    table = Table(show_lines=False)
    longest = max((len(row.key) for rows in comparison.sections.values() for row in rows), default=0)
    table.add_column("", no_wrap=True, min_width=longest + 2)  # a cut key would be unreadable
    for label in comparison.labels:
        table.add_column(escape(label), justify="right", overflow="fold")
    for title, rows in comparison.sections.items():
        table.add_section()
        table.add_row(f"[bold]{title}[/]", *[""] * len(comparison.labels))
        if not rows:
            table.add_row("  (none)", *[""] * len(comparison.labels))
        for row in rows:
            cells = [
                f"[bold green]{escape(value)}[/]" if index in row.best else escape(value)
                for index, value in enumerate(row.values)
            ]
            table.add_row(f"  {escape(row.key)}", *cells)
    console.print(table)
