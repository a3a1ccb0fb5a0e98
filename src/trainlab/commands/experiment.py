"""``trainlab experiment run|status|report``: a grid of recipe variants over seeds, run in parallel and resumably."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trainlab.commands.support import console, option, reports_user_errors, trust_code_option

if TYPE_CHECKING:
    from trainlab.experiment.results import ExperimentResults, RunRecord
    from trainlab.experiment.workers import WorkerPool

experiment_app = typer.Typer(
    no_args_is_help=True, help="Compare recipe variants over seeds: run, status, report."
)


def register(app: typer.Typer) -> None:
    app.add_typer(experiment_app, name="experiment")


@experiment_app.command("run")
@reports_user_errors
def run(
    spec_file: Annotated[
        Path, typer.Argument(help="The experiment spec (experiment.yaml).", metavar="EXP.yaml")
    ],
    out: Annotated[
        Path | None, option("Experiment directory (default experiments/<name>).", "--out", "-o")
    ] = None,
    workers: Annotated[
        int,
        option(
            "Worker processes on this machine; torch threads are split among them (default 1).", "--workers"
        ),
    ] = 1,
    storage: Annotated[
        str | None,
        option(
            "Optuna storage URL shared by runners on several machines, e.g. postgresql://USER@HOST/DB "
            "(default sqlite:///DIR/optuna.db).",
            "--storage",
        ),
    ] = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Run the cells that failed with an error again.")
    ] = False,
    trust_code: Annotated[bool, trust_code_option()] = False,
) -> None:
    """Run every cell (variant x seed) not done yet; the same command again resumes an interrupted experiment."""
    from trainlab.experiment.warm_up import start_training_workers

    # Started before anything imports torch here: the workers import it (and the trainer) on the
    # other cores while this process reads the spec and opens the storage. A bad spec kills them;
    # --workers below 1 is refused by the pool, with the fix.
    with start_training_workers(workers) as pool:
        _run(spec_file, out, pool, storage, retry_failed, trust_code)


def _run(
    spec_file: Path,
    out: Path | None,
    pool: WorkerPool,
    storage: str | None,
    retry_failed: bool,
    trust_code: bool,
) -> None:
    from trainlab.experiment.runner import run_experiment
    from trainlab.experiment.spec import load_spec
    from trainlab.interrupts import interrupts_raise

    spec = load_spec(spec_file)
    directory = out or Path("experiments") / spec.name

    def show(record: RunRecord, done: int, total: int) -> None:
        console.print(
            f"[{done}/{total}] {record.variant}/seed-{record.seed}: {_outcome(record, spec.primary_metric.name)}",
            markup=False,
            highlight=False,
        )

    with interrupts_raise():  # Ctrl-C: in-flight runs checkpoint, their cells go back to the queue
        results = run_experiment(
            spec,
            directory,
            storage=storage,
            trust_code=trust_code,
            progress=show,
            retry_failed=retry_failed,
            pool=pool,
        )
    _print_status(results)
    console.print(f"experiment directory: {directory}")


@experiment_app.command("status")
@reports_user_errors
def status(
    directory: Annotated[Path, typer.Argument(help="The experiment directory (--out of experiment run).")],
    storage: Annotated[
        str | None, option("The storage URL, when it is not the one experiment.yaml records.", "--storage")
    ] = None,
) -> None:
    """A table of the cells: finished, diverged, failed, running or pending, with wall time and the primary metric."""
    from trainlab.experiment.results import load_results

    _print_status(load_results(directory, storage=storage))


@experiment_app.command("report")
@reports_user_errors
def report(
    directory: Annotated[Path, typer.Argument(help="The experiment directory (--out of experiment run).")],
    out: Annotated[Path | None, option("The HTML file (default DIR/report.html).", "--out", "-o")] = None,
    split: Annotated[
        str | None,
        option("The split the statistics compare (default test, val when runs were not tested).", "--split"),
    ] = None,
) -> None:
    """Write DIR/report.html: statistics against the baseline, per-variant plots, curves with seed bands."""
    from trainlab.report import write_report

    console.print(f"wrote {write_report(directory, out=out, split=split)}")


def _print_status(results: ExperimentResults) -> None:
    from rich.table import Table

    metric = results.spec.primary_metric.name
    table = Table(title=f"experiment {results.spec.name}")
    for column in ("variant", "seed", "status", f"test {metric}", "wall s"):
        table.add_column(column, justify="right" if column in ("seed", "wall s") else "left")
    for record in results.runs:
        value = record.metrics.get(f"test.{metric}")
        table.add_row(
            record.variant,
            str(record.seed),
            record.status,
            f"{value:.4g}" if value is not None else "",
            f"{record.wall_s:.1f}" if record.wall_s is not None else "",
        )
    console.print(table)
    counts = ", ".join(f"{count} {state}" for state, count in results.counts().items() if count)
    console.print(f"{len(results.runs)} cells: {counts}")
    for record in results.runs:
        if record.status in ("failed", "diverged") and record.error:
            console.print(
                f"{record.variant}/seed-{record.seed} {record.status}: {record.error.splitlines()[-1]}"
            )


def _outcome(record: RunRecord, metric: str) -> str:
    value = record.metrics.get(f"test.{metric}")
    wall = f" in {record.wall_s:.1f} s" if record.wall_s is not None else ""
    if record.status == "finished" and value is not None:
        return f"finished, test {metric} {value:.4g}{wall}"
    return f"{record.status}{wall}" + (f" ({record.error.splitlines()[-1]})" if record.error else "")
