"""The ``trainlab`` command: fit, evaluate, catalog. A user's mistake is one message and exit code 2."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from trainlab.commands import register_all
from trainlab.commands.support import console, reports_user_errors
from trainlab.commands.support import option as _opt
from trainlab.errors import TrainlabError
from trainlab.summary_tables import metrics_table, print_summary

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="trainlab: the deep-learning training canon, runnable by name on real PyTorch.",
)


@app.command()
@reports_user_errors
def fit(
    recipe: Annotated[
        Path | None, typer.Argument(help="Recipe YAML file; optional with the quick form.")
    ] = None,
    set_: Annotated[
        list[str], typer.Option("--set", help="Override a recipe key: --set optimizer.lr=3e-3 (repeatable).")
    ] = [],
    out: Annotated[str | None, _opt("Run directory (default runs/<name>/<timestamp>).", "--out")] = None,
    name: Annotated[str | None, _opt("Run name.", "--name")] = None,
    data: Annotated[str | None, _opt("Dataset name (data.name).", "--data")] = None,
    model: Annotated[str | None, _opt("Model name or module:factory (model.name).", "--model")] = None,
    loss: Annotated[str | None, _opt("Loss name (loss.name).", "--loss")] = None,
    optimizer: Annotated[str | None, _opt("Optimizer name (optimizer.name).", "--optimizer")] = None,
    lr: Annotated[float | None, _opt("Learning rate (optimizer.lr).", "--lr")] = None,
    weight_decay: Annotated[
        float | None, _opt("Weight decay (optimizer.weight_decay).", "--weight-decay")
    ] = None,
    schedule: Annotated[str | None, _opt("LR schedule name (schedule.name).", "--schedule")] = None,
    steps: Annotated[int | None, _opt("Optimizer steps (train.steps).", "--steps")] = None,
    epochs: Annotated[int | None, _opt("Epochs (train.epochs).", "--epochs")] = None,
    batch_size: Annotated[int | None, _opt("Batch size (train.batch_size).", "--batch-size")] = None,
    grad_accum_steps: Annotated[
        int | None, _opt("Micro-batches per step (train.grad_accum_steps).", "--grad-accum-steps")
    ] = None,
    grad_clip_norm: Annotated[
        float | None, _opt("Clip gradient norm (train.grad_clip_norm).", "--grad-clip-norm")
    ] = None,
    precision: Annotated[str | None, _opt("fp32, bf16 or fp16 (train.precision).", "--precision")] = None,
    seed: Annotated[int | None, _opt("Seed (train.seed).", "--seed")] = None,
    eval_every: Annotated[
        int | None, _opt("Validate every N steps (train.eval_every).", "--eval-every")
    ] = None,
    device: Annotated[str | None, _opt("cpu, cuda, mps or auto (train.device).", "--device")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress and no tables: only the closing line.")
    ] = False,
    trust_code: Annotated[
        bool,
        typer.Option(
            "--trust-code", help="Allow module:factory references in the recipe to import and run that code."
        ),
    ] = False,
    resume: Annotated[
        Path | None, _opt("Continue the run in RUN_DIR from its newest complete checkpoint.", "--resume")
    ] = None,
    nproc: Annotated[
        int | None,
        _opt("Train data-parallel in N local processes via torchrun (gloo on CPU, nccl on GPU).", "--nproc"),
    ] = None,
    diagnose: Annotated[
        bool,
        typer.Option(
            "--diagnose",
            help="Run the default instruments (diagnose.enabled=true): diagnostics.jsonl and pictures.",
        ),
    ] = False,
    run_preflight: Annotated[
        bool,
        typer.Option(
            "--preflight", help="Run `trainlab preflight` first; a failed check stops before training."
        ),
    ] = False,
) -> None:
    """Train from a recipe, or from the quick form: trainlab fit --data mnist1d --model cnn1d --steps 6000."""
    fields: dict[str, Any] = {
        "out": out,
        "name": name,
        "data": data,
        "model": model,
        "loss": loss,
        "optimizer": optimizer,
        "lr": lr,
        "weight_decay": weight_decay,
        "schedule": schedule,
        "steps": steps,
        "epochs": epochs,
        "batch_size": batch_size,
        "grad_accum_steps": grad_accum_steps,
        "grad_clip_norm": grad_clip_norm,
        "precision": precision,
        "seed": seed,
        "eval_every": eval_every,
        "device": device,
    }
    if diagnose:
        set_ = [*set_, "diagnose.enabled=true"]
    if run_preflight and "RANK" not in os.environ:
        from trainlab.commands.preflight import preflight_before_fit

        checked = recipe if recipe is not None or resume is None else resume / "recipe.yaml"
        preflight_before_fit(
            checked, overrides=set_, trust_code=trust_code, quiet=quiet, to_stderr=as_json, **fields
        )
    if nproc is not None and "RANK" not in os.environ:
        from trainlab.api import preflight
        from trainlab.train.launch import launch

        if nproc < 1:
            raise TrainlabError(f"--nproc must be at least 1, got {nproc}")
        # Check once here, so that a mistake is one message, not one per process.
        preflight(recipe, overrides=set_, resume=resume, trust_code=trust_code, world_size=nproc, **fields)
        raise typer.Exit(launch(nproc, _without_nproc(_ARGV)))
    from trainlab.api import fit as run_fit

    result = run_fit(
        recipe,
        overrides=set_,
        resume=resume,
        trust_code=trust_code,
        verbose=0 if quiet or as_json else 1,
        **fields,
    )
    if os.environ.get("RANK", "0") != "0":
        return  # in a data-parallel run, rank 0 reports
    from trainlab.commands.doctor import diagnose_finished_run

    diagnosis = diagnose_finished_run(result)
    if as_json:
        print(json.dumps(result.summary, indent=2))
        return
    print_summary(result.summary, console, tables=not quiet)
    if diagnosis is not None and not quiet:
        from trainlab.diagnose.diagnosis_table import print_diagnosis

        print_diagnosis(diagnosis, console)


@app.command()
@reports_user_errors
def evaluate(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `trainlab fit`.")],
    data: Annotated[str | None, _opt("Evaluate on this dataset instead of the run's.", "--data")] = None,
    set_: Annotated[
        list[str],
        typer.Option(
            "--set", help="Override a key of the run's recipe: --set data.path=new.csv (repeatable)."
        ),
    ] = [],
    weights: Annotated[
        str,
        typer.Option("--weights", help="last: the final weights; best: the best checkpoint by validation."),
    ] = "last",
    split: Annotated[list[str], typer.Option("--split", help="Split(s) to evaluate: train, val, test.")] = [
        "test"
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    trust_code: Annotated[
        bool,
        typer.Option(
            "--trust-code", help="Allow module:factory references in the recipe to import and run that code."
        ),
    ] = False,
) -> None:
    """Evaluate a finished run's weights on its test split (or another split or dataset)."""
    from trainlab.api import evaluate as run_evaluate

    bad = [s for s in split if s not in ("train", "val", "test")]
    if bad:
        raise TrainlabError(f"--split {bad[0]!r} is not a split; use train, val or test")
    results = run_evaluate(
        run_dir, data=data, splits=split, overrides=set_, weights=weights, trust_code=trust_code
    )
    if as_json:
        print(json.dumps(results, indent=2))
        return
    for name, metrics in results.items():
        console.print(metrics_table(name, metrics))


@app.command()
@reports_user_errors
def catalog(
    kind: Annotated[
        str | None, typer.Argument(help="optimizers, losses, models, datasets, ... (default: all).")
    ] = None,
    pattern: Annotated[
        str, typer.Option("--pattern", help="Shell-style filter on names, e.g. 'adam*'.")
    ] = "*",
    as_json: Annotated[bool, typer.Option("--json", help="Print entries as JSON.")] = False,
) -> None:
    """List registered components with their descriptions and references."""
    from trainlab.registry import catalog as list_entries

    entries = list_entries(kind, pattern)
    if as_json:
        print(json.dumps([e.describe() for e in entries], indent=2))
        return
    table = Table(show_lines=False)
    for column in ("kind", "name", "description", "reference"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        name = entry.name + (f" ({', '.join(entry.aliases)})" if entry.aliases else "")
        table.add_row(entry.kind, name, entry.description, entry.reference)
    console.print(table)


@app.command()
@reports_user_errors
def playground(
    optimizers: Annotated[
        str, _opt("Comma-separated optimizer names, e.g. sgd,momentum,adam.", "--optimizers")
    ] = "sgd,momentum,nesterov,adagrad,rmsprop,adam",
    function: Annotated[
        str, _opt("rosenbrock, beale, himmelblau, saddle, quadratic or rastrigin.", "--function")
    ] = "rosenbrock",
    out: Annotated[Path, _opt("Plot file (.png, .svg or .pdf).", "--out")] = Path("playground.png"),
    steps: Annotated[int, _opt("Steps per optimizer.", "--steps")] = 500,
    lr: Annotated[
        float | None, _opt("One learning rate for all (default: per-optimizer playground rates).", "--lr")
    ] = None,
    tolerance: Annotated[
        float, _opt("Distance to a minimizer that counts as reached.", "--tolerance")
    ] = 1e-3,
) -> None:
    """Race optimizers on a 2-D test function: contour plot with trajectories, table of steps to tolerance."""
    from trainlab.playground import get_function, plot_trajectories, run_playground
    from trainlab.playground.figures import check_figure_path

    names = [n.strip() for n in optimizers.split(",") if n.strip()]
    if not names:
        raise TrainlabError("--optimizers: name at least one optimizer, e.g. --optimizers sgd,adam")
    check_figure_path(out)  # before the race, not after it
    test_function = get_function(function)
    trajectories = run_playground(test_function, names, steps=steps, tolerance=tolerance, lr=lr)
    written = plot_trajectories(test_function, trajectories, out)
    table = Table(title=f"{test_function.name}, {steps} steps, tolerance {tolerance:g}")
    for column in ("optimizer", "steps to tolerance", "final f", "final point"):
        table.add_column(column, justify="left" if column == "optimizer" else "right")
    for t in trajectories:
        x, y = t.points[-1].tolist()
        reached = str(t.steps_to_tolerance) if t.steps_to_tolerance else "not reached"
        table.add_row(t.optimizer, reached, f"{float(t.values[-1]):.3g}", f"({x:.4g}, {y:.4g})")
    console.print(table)
    console.print(f"plot: {written}")


schedule_app = typer.Typer(no_args_is_help=True, help="Learning-rate schedules.")
app.add_typer(schedule_app, name="schedule")


@schedule_app.command("plot")
@reports_user_errors
def schedule_plot(
    spec: Annotated[
        str, typer.Argument(help="A schedule name or YAML mapping, e.g. '{name: cosine, warmup_steps: 100}'.")
    ],
    steps: Annotated[int, typer.Option("--steps", help="Total optimizer steps.")] = 1000,
    lr: Annotated[float, typer.Option("--lr", help="Base learning rate.")] = 1.0,
    out: Annotated[
        Path | None, _opt("Plot file, .png, .svg or .pdf (default schedule-<name>.png).", "--out")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the curve as JSON instead of drawing it.")
    ] = False,
) -> None:
    """Draw a schedule's learning-rate curve (and momentum, where it changes)."""
    from trainlab.playground.schedule_plot import parse_spec, plot_schedule, schedule_curve

    if steps < 1:
        raise TrainlabError(f"--steps {steps}: a schedule needs at least 1 step")
    if not (lr > 0 and math.isfinite(lr)):
        raise TrainlabError(f"--lr {lr}: the base learning rate must be a positive number, e.g. --lr 0.1")
    parsed = parse_spec(spec)
    curve = schedule_curve(parsed, steps, lr)
    if as_json:
        print(json.dumps(curve))
        return
    path = plot_schedule(
        curve, f"{parsed['name']} ({steps} steps)", out or Path(f"schedule-{parsed['name']}.png")
    )
    console.print(f"wrote {path}")


def _without_nproc(args: list[str]) -> list[str]:
    # The workers run the same command line, minus the option that launched them.
    kept, skip_next = [], False
    for arg in args:
        if skip_next:
            skip_next = False
        elif arg == "--nproc":
            skip_next = True
        elif not arg.startswith("--nproc="):
            kept.append(arg)
    return kept


register_all(app)

_ARGV: list[str] = []


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the app and returns its exit code (2 for a user's mistake)."""
    global _ARGV
    _ARGV = list(sys.argv[1:] if argv is None else argv)
    # Like `python -m`, let recipes name user models in the working directory (my_models:build).
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        app(args=argv, prog_name="trainlab")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
