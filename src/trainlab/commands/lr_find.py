"""``trainlab lr-find``: the LR range test on a recipe, its suggestions per rule, a plot, and a recipe with the lr applied."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trainlab.commands.support import console, option, reports_user_errors, trust_code_option
from trainlab.errors import TrainlabError

if TYPE_CHECKING:
    from trainlab.diagnose.lr_finder import LRFindReport


def register(app: typer.Typer) -> None:
    app.command("lr-find")(reports_user_errors(lr_find_command))


def lr_find_command(
    recipe: Annotated[
        Path,
        typer.Argument(
            help="Recipe YAML file, or a run directory (its recipe.yaml; the plot goes to its diagnostics/)."
        ),
    ],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a recipe key: --set optimizer.name=sgd (repeatable)."),
    ] = None,
    start: Annotated[float, typer.Option("--start", help="First learning rate of the sweep.")] = 1e-7,
    end: Annotated[float, typer.Option("--end", help="Last learning rate of the sweep.")] = 10.0,
    steps: Annotated[int, typer.Option("--steps", help="Steps (batches) per sweep.")] = 100,
    seeds: Annotated[
        int, typer.Option("--seeds", help="Sweep with this many seeds and report how far they agree.")
    ] = 1,
    rule: Annotated[
        str | None,
        option(
            "Rule whose lr --apply writes: steepest, minimum/10 or valley (default minimum/10).", "--rule"
        ),
    ] = None,
    out: Annotated[
        Path | None,
        option(
            "Plot the curves to this .png/.svg/.pdf file (a run directory's default: diagnostics/lr_finder.png).",
            "--out",
        ),
    ] = None,
    apply: Annotated[
        Path | None,
        option("Write the recipe with optimizer.lr set to the suggestion to this YAML file.", "--apply"),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Let --apply replace an existing file.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the sweeps and suggestions as JSON.")
    ] = False,
    trust_code: Annotated[bool, trust_code_option()] = False,
) -> None:
    """Find a learning rate: train briefly while the lr grows from --start to --end (Smith 2017), then restore.

    Suggestions: steepest descent of the smoothed loss, the minimum's lr / 10, and fastai's valley.
    The recipe's schedule is ignored during the sweep. Optimizers that need a closure (lbfgs, bfgs,
    cg, newton, sam, asam) are refused.
    """
    from trainlab.diagnose.lr_finder import (
        DEFAULT_RULE,
        apply_suggestion,
        check_apply_path,
        check_range,
        lr_find,
    )
    from trainlab.diagnose.lr_suggestions import RULES
    from trainlab.playground.figures import check_figure_path

    chosen_rule = rule or DEFAULT_RULE
    if chosen_rule not in RULES:
        raise TrainlabError(f"--rule '{rule}' is not a rule; choose one of {', '.join(RULES)}")
    # Every argument is checked before the sweep, so that a typo costs no training.
    check_range(start, end, steps)
    run_figure = None
    if recipe.is_dir():
        recipe = _run_recipe(recipe)
        run_figure = recipe.parent / "diagnostics" / "lr_finder.png"
        out = out or run_figure
    if out is not None:
        check_figure_path(out)
    if apply is not None:
        check_apply_path(apply, force=force)
    report = lr_find(
        recipe, overrides=set_ or [], start=start, end=end, steps=steps, seeds=seeds, trust_code=trust_code
    )
    if as_json:
        print(json.dumps(report.to_dict()))
    else:
        _print_report(report, chosen_rule)
    if out is not None:
        from trainlab.diagnose.lr_plot import plot_lr_find

        if out == run_figure:
            out.parent.mkdir(exist_ok=True)  # the run's diagnostics/, made only once there is a figure
        console.print(f"wrote {plot_lr_find(report, out, title=f'LR range test: {recipe.name}')}")
    if apply is not None:
        lr = apply_suggestion(report, apply, rule=chosen_rule, force=force)
        console.print(f"wrote {apply} with optimizer.lr = {lr:.3g} ({chosen_rule})")


def _print_report(report: LRFindReport, chosen_rule: str) -> None:
    from rich.table import Table

    table = Table(title="LR range test", title_justify="left")
    table.add_column("rule")
    for sweep in report.sweeps:
        table.add_column(f"seed {sweep.seed}", justify="right")
    if len(report.sweeps) > 1:
        table.add_column("combined", justify="right")
        table.add_column("spread (max/min)", justify="right")
    combined, spread = report.suggestions, report.spread
    for rule in combined:
        cells = [_lr(sweep.suggested_lr(rule)) for sweep in report.sweeps]
        if len(report.sweeps) > 1:
            cells += [_lr(combined[rule]), "-" if spread[rule] is None else f"{spread[rule]:.2f}×"]
        name = f"{rule} (recommended)" if rule == chosen_rule else rule
        table.add_row(name, *cells)
    console.print(table)
    for sweep in report.sweeps:
        ended = (
            f"stopped at lr {sweep.diverged_at:.2g}: the loss diverged"
            if sweep.diverged_at is not None
            else f"ran all {sweep.planned_steps} steps"
        )
        console.print(f"seed {sweep.seed}: {len(sweep.lrs)} steps, {ended}")
    for note in report.notes:
        console.print(f"note: {note}")
    lr = combined[chosen_rule]
    if lr is None:
        console.print(f"the '{chosen_rule}' rule found no learning rate; lower --start")
    else:
        console.print(f"suggested: --set optimizer.lr={lr:.3g}")


def _run_recipe(run_dir: Path) -> Path:
    """The recipe.yaml of a run directory.

    Raises:
        TrainlabError: the folder holds no recipe.yaml.
    """
    from trainlab.run_dir import RECIPE

    path = run_dir / RECIPE
    if not path.is_file():
        raise TrainlabError(
            f"{run_dir} is a folder without {RECIPE}: pass a recipe file, or a run directory written by trainlab fit"
        )
    return path


def _lr(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"
