"""``trainlab gradcheck RECIPE``: autograd against central differences for every tensor of the recipe's model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from trainlab.commands.support import console, reports_user_errors, trust_code_option
from trainlab.commands.support import option as _opt
from trainlab.errors import TrainlabError

VERDICT_STYLE = {"right": "green", "look at kinks": "yellow", "wrong": "bold red"}


def register(app: typer.Typer) -> None:
    app.command("gradcheck")(reports_user_errors(gradcheck))


def gradcheck(
    recipe: Annotated[Path | None, typer.Argument(help="Recipe YAML file (or a run's recipe.yaml).")] = None,
    set_: Annotated[
        list[str], typer.Option("--set", help="Override a recipe key: --set model.width=64 (repeatable).")
    ] = [],  # noqa: B006 (typer copies list defaults per call)
    batch_size: Annotated[int, _opt("Training samples in the batch (default 4).", "--batch-size")] = 4,
    entries: Annotated[int, _opt("Entries perturbed per tensor (default 8).", "--entries")] = 8,
    eps: Annotated[float, _opt("The central differences' perturbation (default 1e-6).", "--eps")] = 1e-6,
    as_json: Annotated[bool, typer.Option("--json", help="Print the per-tensor rows as JSON.")] = False,
    trust_code: Annotated[bool, trust_code_option()] = False,
) -> None:
    """Check the gradient of the recipe's model and loss in float64: relative error per tensor (exit 1 if wrong)."""
    if batch_size < 1 or entries < 1:
        raise TrainlabError("--batch-size and --entries must be at least 1")
    if not 0 < eps < 1:
        raise TrainlabError(f"--eps {eps}: use a small positive perturbation such as 1e-6")
    from trainlab.api import resolve_recipe
    from trainlab.diagnose.gradcheck import RIGHT_BELOW, WRONG_ABOVE
    from trainlab.diagnose.gradcheck import gradcheck as run_gradcheck
    from trainlab.diagnose.preflight import build_context
    from trainlab.references import trusting_code

    with trusting_code(trust_code):
        context = build_context(resolve_recipe(recipe, set_))
        if context.model_problem is not None:
            raise TrainlabError(context.model_problem)
        report = run_gradcheck(
            context.fresh_model(),
            context.loss_fn,
            context.train_sample(batch_size),
            entries_per_tensor=entries,
            eps=eps,
            seed=context.seed,
        )
    if as_json:
        print(
            json.dumps(
                {"passed": report.passed, "loss": report.loss, "eps": eps, "tensors": report.rows()}, indent=2
            )
        )
        raise typer.Exit(0 if report.passed else 1)
    table = Table(title=f"gradient check (float64, eps {eps:g}, loss {report.loss:.4g})")
    for column in ("tensor", "shape", "entries", "max relative error", "kinks", "verdict"):
        table.add_column(column, justify="left" if column in ("tensor", "verdict") else "right")
    for row in report.rows():
        style = VERDICT_STYLE[row["verdict"]]
        table.add_row(
            row["tensor"],
            "×".join(map(str, row["shape"])) or "scalar",
            str(row["entries"]),
            f"{row['max_relative_error']:.1e}",
            str(row["kink_entries"]),
            f"[{style}]{row['verdict']}[/]",
        )
    console.print(table)
    console.print(
        f"Relative error |a−n|/max(|a|,|n|): ≤ {RIGHT_BELOW:g} right; up to {WRONG_ABOVE:g} look at kinks; "
        f"above, the gradient is wrong. A difference within the central difference's own rounding counts as right."
    )
    kinks = [(t.name, k) for t in report.tensors for k in t.kinks]
    if kinks:
        name, first = kinks[0]
        console.print(
            f"{len(kinks)} perturbations crossed a kink and are not counted (e.g. {name}{first['index']}: "
            f"{first['kink']}): ReLU at 0 or a max changing its winner is not differentiable there, so "
            "the central difference averages two slopes."
        )
    raise typer.Exit(0 if report.passed else 1)
