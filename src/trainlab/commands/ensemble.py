"""``trainlab ensemble RUN_DIR...``: several runs as one model, scored against its mean and best member."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from trainlab.commands.support import console, option, reports_user_errors, trust_code_option


def register(app: typer.Typer) -> None:
    app.command(name="ensemble")(ensemble)


@reports_user_errors
def ensemble(
    run_dirs: Annotated[
        list[Path], typer.Argument(help="Two or more finished runs of one task and class list.")
    ],
    vote: Annotated[
        str,
        option("soft: average the probabilities (default); hard: majority vote of the classes.", "--vote"),
    ] = "soft",
    data: Annotated[
        str | None, option("Score on this registered dataset instead of the runs' own.", "--data")
    ] = None,
    split: Annotated[str, option("test (default) or val.", "--split")] = "test",
    weights: Annotated[
        str, option("last (default) or best (each run's best checkpoint).", "--weights")
    ] = "last",
    trust_code: Annotated[bool, trust_code_option()] = False,
) -> None:
    """Average runs (seeds or variants) into one model; show it against its mean member and its best member.

    The best member is picked on the same data it is scored on, so its score is optimistic.
    """
    from trainlab.report.ensemble import evaluate_ensemble

    report = evaluate_ensemble(
        run_dirs, vote=vote, split=split, data=data, weights=weights, trust_code=trust_code
    )
    names = list(report.ensemble)
    table = Table(
        title=f"{len(report.members)}-run {report.vote}-vote ensemble on {report.data} {report.split} "
        f"({report.samples} samples)"
    )
    table.add_column("")
    for name in names:
        table.add_column(name, justify="right")
    for label, scores in report.members.items():
        table.add_row(escape(label), *[f"{scores[name]:.4f}" for name in names])
    table.add_section()
    mean = report.mean_member
    best_label, best = report.best_member
    table.add_row("mean member", *[f"{mean[name]:.4f}" for name in names])
    table.add_row(f"best member ({escape(best_label)})", *[f"{best[name]:.4f}" for name in names])
    table.add_row(
        "[bold]ensemble[/]",
        *[
            f"[bold]{report.ensemble[name]:.4f}[/] ({report.ensemble[name] - mean[name]:+.4f} vs mean, "
            f"{report.ensemble[name] - best[name]:+.4f} vs best)"
            for name in names
        ],
    )
    console.print(table)
