"""``trainlab tune``: hyperparameter search on Optuna over any recipe key, selected on validation only."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trainlab.commands.support import console, option, reports_user_errors

if TYPE_CHECKING:
    from trainlab.experiment.tune import TuneResult


def register(app: typer.Typer) -> None:
    app.command("tune")(reports_user_errors(tune_command))


def tune_command(
    recipe: Annotated[Path, typer.Argument(help="Recipe YAML file to tune (needs data.val_fraction > 0).")],
    space: Annotated[
        Path,
        typer.Option(
            "--space",
            help="YAML of dotted recipe keys to distributions: loguniform, uniform, int, categorical.",
        ),
    ],
    trials: Annotated[
        int, typer.Option("--trials", help="Trials the study holds at the end (a rerun continues it).")
    ] = 20,
    workers: Annotated[
        int, typer.Option("--workers", help="Processes running trials at once (threads split between them).")
    ] = 1,
    storage: Annotated[
        str | None,
        option("Optuna RDB URL, e.g. postgresql://USER@HOST/DB (default: sqlite in --out).", "--storage"),
    ] = None,
    out: Annotated[
        Path | None, option("Tune directory (default: runs/tune/<recipe file name>).", "--out")
    ] = None,
    sampler: Annotated[str, typer.Option("--sampler", help="tpe, random, grid or cmaes.")] = "tpe",
    pruner: Annotated[
        str, typer.Option("--pruner", help="median, hyperband or none (at each validation evaluation).")
    ] = "median",
    objective: Annotated[
        list[str] | None,
        option(
            "Validation metric to optimize, or wall_time / parameters; repeat for a Pareto front "
            "(default: the recipe's first metric).",
            "--objective",
        ),
    ] = None,
    top_k: Annotated[
        int, typer.Option("--top-k", help="Best trials re-run on fresh seeds before choosing.")
    ] = 3,
    reruns: Annotated[
        int, typer.Option("--reruns", help="Fresh seeds per re-run trial (0: choose on the search score).")
    ] = 3,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a recipe key: --set data.val_fraction=0.1 (repeatable)."),
    ] = None,
    study: Annotated[
        str | None, option("Study name in the storage (default: the recipe's name).", "--study")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sampler.")] = 0,
) -> None:
    """Search a recipe's hyperparameters with Optuna, re-run the best on fresh seeds, write best_recipe.yaml.

    Every trial is a run directory under OUT/trials, scored on the validation split; the test split is
    taken out of every trial and reported once, for the chosen recipe, at the end. Writes OUT/trials.csv,
    OUT/tune.json, OUT/best_recipe.yaml (and OUT/pareto.csv with several objectives). optuna-dashboard
    opens the storage.
    """
    from trainlab.experiment.tune import TuneSettings, tune

    settings = TuneSettings(
        recipe=recipe,
        space=space,
        out=out or Path("runs") / "tune" / recipe.stem,
        trials=trials,
        workers=workers,
        storage=storage,
        sampler=sampler,
        pruner=pruner,
        objectives=objective or None,
        top_k=top_k,
        reruns=reruns,
        overrides=set_ or [],
        study=study,
        seed=seed,
        command="trainlab " + shlex.join(sys.argv[1:]),
    )
    _print_result(
        tune(settings, report=lambda line: console.print(line, highlight=False, markup=False, soft_wrap=True))
    )


def _print_result(result: TuneResult) -> None:
    from rich.table import Table

    counts = ", ".join(f"{n} {state}" for state, n in sorted(result.counts.items()))
    console.print(f"trials: {counts}")
    if result.pareto:
        console.print(f"Pareto front: trials {', '.join(map(str, result.pareto))} (pareto.csv)")
    table = Table(title="the top trials re-run on fresh seeds (validation)", title_justify="left")
    for column in ("trial", "search", "re-runs mean", "std"):
        table.add_column(column, justify="right")
    for candidate in result.candidates:
        table.add_row(
            str(candidate.number),
            f"{candidate.search_values[0]:.4g}",
            f"{candidate.score:.4g}" if candidate.score is not None else "-",
            f"{candidate.spread:.3g}" if candidate.spread is not None else "-",
        )
    console.print(table)
    values = ", ".join(f"{k}={v!r}" for k, v in result.best.params.items())
    console.print(f"chosen: trial {result.best.number}: {values}", highlight=False, soft_wrap=True)
    test = ", ".join(f"{k} {v:.4g}" for k, v in result.test.items())
    console.print(f"test (reported once, not used to choose): {test}")
    console.print(f"wrote {result.best_recipe}, {result.out / 'trials.csv'}, {result.out / 'tune.json'}")
