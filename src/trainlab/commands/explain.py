"""``trainlab explain [NAME]``: a backpropagation derivation's formula, checked against autograd on random inputs."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from trainlab.commands.support import console, option, reports_user_errors
from trainlab.errors import TrainlabError, did_you_mean


def register(app: typer.Typer) -> None:
    app.command("explain")(reports_user_errors(explain))


def explain(
    name: Annotated[str | None, typer.Argument(help="A derivation; leave it out to list them.")] = None,
    seed: Annotated[int, option("Seed of the random inputs (default 0).", "--seed")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the check as JSON.")] = False,
) -> None:
    """Print a derivation (softmax Jacobian, CE gradient, sigmoid+BCE, MSE, dense and batch-norm backward) and check it.

    The formula is computed with tensor operations and compared with autograd on random float64
    inputs; exit code 1 when the largest difference exceeds round-off (1e-10).
    """
    from trainlab.theory.derivations import DERIVATIONS, TOLERANCE

    if name is None:
        table = Table(title="derivations: trainlab explain NAME")
        table.add_column("name")
        table.add_column("what")
        for derivation in DERIVATIONS.values():
            table.add_row(derivation.name, derivation.title)
        console.print(table)
        return
    if name not in DERIVATIONS:
        hint = did_you_mean(name, DERIVATIONS) or "; run `trainlab explain` to list them"
        raise TrainlabError(f"'{name}' is not a derivation{hint}")
    derivation = DERIVATIONS[name]
    errors = derivation.check(seed)
    passed = all(error <= TOLERANCE for error in errors.values())
    if as_json:
        print(
            json.dumps(
                {"name": name, "formula": derivation.formula, "max_abs_error": errors, "passed": passed}
            )
        )
        raise typer.Exit(0 if passed else 1)
    console.print(f"[bold]{derivation.title}[/]", highlight=False)
    console.print(derivation.formula, highlight=False)
    table = Table(title=f"formula against autograd (float64, random inputs, seed {seed})")
    for column in ("quantity", "max |formula − autograd|", "check"):
        table.add_column(column, justify="right" if column.startswith("max") else "left")
    for quantity, error in errors.items():
        table.add_row(
            quantity, f"{error:.1e}", "[green]pass[/]" if error <= TOLERANCE else "[bold red]FAIL[/]"
        )
    console.print(table)
    raise typer.Exit(0 if passed else 1)
