"""``trainlab preflight RECIPE``: the debugging checklist before training; exit code 1 when a check fails."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from trainlab.commands.support import console, error_console, reports_user_errors, trust_code_option
from trainlab.commands.support import option as _opt

if TYPE_CHECKING:
    from trainlab.diagnose.preflight import PreflightReport

STATUS_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red", "skip": "dim"}


def register(app: typer.Typer) -> None:
    app.command("preflight")(reports_user_errors(preflight))


def preflight(
    recipe: Annotated[Path | None, typer.Argument(help="Recipe YAML file (or a run's recipe.yaml).")] = None,
    set_: Annotated[
        list[str], typer.Option("--set", help="Override a recipe key: --set model.width=64 (repeatable).")
    ] = [],  # noqa: B006 (typer copies list defaults per call)
    checks: Annotated[
        str | None,
        _opt(
            "Comma-separated checks to run (default all): data, duplicates, init_loss, overfit_batch, "
            "shuffled_labels, zeroed_inputs, batch_independence, gradcheck.",
            "--checks",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")] = False,
    trust_code: Annotated[bool, trust_code_option()] = False,
) -> None:
    """Check a recipe's data, model and loss before training: pass/warn/fail with the fix for each (exit 1 on a fail)."""
    from trainlab.diagnose.preflight import preflight as run_preflight

    names = [name.strip() for name in checks.split(",") if name.strip()] if checks is not None else None
    report = run_preflight(recipe, checks=names, overrides=set_, trust_code=trust_code)
    if as_json:
        print(
            json.dumps({"passed": report.passed, "counts": report.counts(), "rows": report.rows()}, indent=2)
        )
    else:
        print_report(report)
    raise typer.Exit(report.exit_code)


def preflight_before_fit(
    recipe: Path | None,
    *,
    overrides: list[str],
    trust_code: bool,
    quiet: bool,
    to_stderr: bool,
    **fields: Any,
) -> None:
    """``fit --preflight``: run every check; a failed check stops before training (exit 1).

    The table goes to stderr when stdout carries ``fit --json``; ``--quiet`` shows it only on a fail.
    """
    from trainlab.diagnose.preflight import preflight as run_preflight

    fields = {key: value for key, value in fields.items() if value is not None}
    report = run_preflight(recipe, overrides=overrides, trust_code=trust_code, **fields)
    out = error_console if to_stderr else console
    if report.passed and quiet:
        out.print("pre-flight: " + _counts_line(report))
        return
    print_report(report, out)
    if not report.passed:
        out.print("[bold red]pre-flight failed: not training.[/] Fix the failed rows, or drop --preflight.")
        raise typer.Exit(report.exit_code)


def print_report(report: PreflightReport, out: Console = console) -> None:
    table = Table(title="pre-flight", show_lines=True)
    for column in ("check", "status", "measured", "fix"):
        table.add_column(column, overflow="fold")
    for row in report.results:
        style = STATUS_STYLE[row.status]
        details = escape(row.measured) + (f"\n[dim]{escape(row.meaning)}[/]" if row.meaning else "")
        table.add_row(row.check, f"[{style}]{row.status}[/]", details, escape(row.fix))
    out.print(table)
    out.print(_counts_line(report))


def _counts_line(report: PreflightReport) -> str:
    return ", ".join(f"{count} {status}" for status, count in report.counts().items() if count)
