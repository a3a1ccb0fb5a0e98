"""``trainlab study list | run | report``: the canon's claims as experiments with computed verdicts."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from trainlab.commands.support import console, option, reports_user_errors
from trainlab.errors import TrainlabError

if TYPE_CHECKING:
    from trainlab.studies import StudyResult

STUDIES_DIR = "studies"
RUNS_DIR = "runs/studies"

study_app = typer.Typer(
    no_args_is_help=True, help="Studies: the canon's claims run as experiments, with verdicts."
)


def register(app: typer.Typer) -> None:
    app.add_typer(study_app, name="study")
    study_app.command("list")(reports_user_errors(list_command))
    study_app.command("run")(reports_user_errors(run_command))
    study_app.command("report")(reports_user_errors(report_command))


StudiesOption = Annotated[Path, option("Folder of study YAML files (default studies/).", "--studies")]
DirOption = Annotated[
    Path, option("Folder of the studies' runs, one sub-folder per study (default runs/studies).", "--dir")
]


def list_command(studies: StudiesOption = Path(STUDIES_DIR)) -> None:
    """List the studies: claim, source, arms, seeds and budget."""
    from rich.table import Table

    from trainlab.studies.spec import read_study_outline

    table = Table("study", "claim", "source", "arms", "seeds", "budget (min)")
    for path in _study_files(studies):
        outline = read_study_outline(path)
        table.add_row(
            path.stem,
            outline.claim,
            outline.source,
            ", ".join(outline.arms),
            str(len(outline.seed_list)),
            f"{outline.budget:g}",
        )
    console.print(table)


def run_command(
    names: Annotated[
        list[str] | None,
        typer.Argument(help="Study names (files in --studies) or paths to study YAML files."),
    ] = None,
    run_all: Annotated[
        bool, typer.Option("--all", help="Run every study in --studies and write STUDIES.md and the report.")
    ] = False,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Parallel worker processes (workers x threads <= cores).")
    ] = 1,
    budget: Annotated[
        float | None,
        option(
            "With --all: stop starting studies once this many CPU-minutes are spent; the rest are listed as not run.",
            "--budget",
        ),
    ] = None,
    directory: DirOption = Path(RUNS_DIR),
    studies: StudiesOption = Path(STUDIES_DIR),
    markdown: Annotated[
        Path, option("With --all: where the report card goes (default STUDIES.md).", "--markdown")
    ] = Path("STUDIES.md"),
    storage: Annotated[
        str | None,
        option("Optuna storage URL shared by several machines (default SQLite per study).", "--storage"),
    ] = None,
) -> None:
    """Run studies through the experiments runner (resumable: finished runs are kept) and print their verdicts."""
    from trainlab.studies import load_study, run_study
    from trainlab.studies.checks import estimated_minutes
    from trainlab.studies.report import collect_results, describe_machine, write_markdown, write_report

    if run_all == bool(names):
        raise TrainlabError(
            "give study names or --all (one of them); `trainlab study list` shows the studies"
        )
    if budget is not None and not run_all:
        raise TrainlabError("--budget caps a --all run; a single study has its own `budget:`")
    paths = _study_files(studies) if run_all else [_study_path(name, studies) for name in names or []]
    machine = describe_machine()  # before the workers start: the load average is other jobs'
    from trainlab.experiment.warm_up import start_training_workers

    # One pool for every study: the workers' start-up (imports, torch) is paid once, not per study,
    # and while the studies are read and checked here (a bad study kills the workers unused).
    with start_training_workers(workers) as pool:
        loaded = [load_study(path) for path in paths]  # every study checked before any runs
        spent, skipped = 0.0, []
        for study in loaded:
            if budget is not None and spent + estimated_minutes(study) > budget:
                skipped.append(study.name)
                continue
            started = time.perf_counter()
            console.print(f"[bold]{study.name}[/]: {study.claim}", highlight=False)
            result = run_study(study, directory / study.name, workers=workers, storage=storage, pool=pool)
            spent += result.minutes
            _print_result(result, time.perf_counter() - started)
    if run_all:
        command = "trainlab study run --all " + shlex.join(
            sys.argv[sys.argv.index("--all") + 1 :] if "--all" in sys.argv else []
        )
        results = [r for r in collect_results(directory) if r["name"] in {s.name for s in loaded}]
        write_markdown(results, markdown, command=command.strip(), machine=machine, not_run=skipped)
        report = write_report(results, directory / "report.html", command=command.strip())
        console.print(f"wrote {markdown} and {report}")
    if skipped:
        console.print(f"not run (over --budget {budget:g} minutes): {', '.join(skipped)}", highlight=False)


def report_command(
    directory: DirOption = Path(RUNS_DIR),
    out: Annotated[Path | None, option("The HTML file (default DIR/report.html).", "--out")] = None,
    markdown: Annotated[
        Path | None, option("Also write the report card as Markdown (STUDIES.md) to this file.", "--markdown")
    ] = None,
) -> None:
    """Write the HTML report of every finished study in DIR: one section per claim, every seed's value."""
    from trainlab.studies.report import collect_results, describe_machine, write_markdown, write_report

    results = collect_results(directory)
    command = "trainlab study report " + shlex.join(
        sys.argv[sys.argv.index("report") + 1 :] if "report" in sys.argv else []
    )
    path = write_report(results, out or directory / "report.html", command=command.strip())
    console.print(f"wrote {path}")
    if markdown is not None:
        write_markdown(results, markdown, command=command.strip(), machine=describe_machine(with_load=False))
        console.print(f"wrote {markdown}")


def _study_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise TrainlabError(f"--studies: '{folder}' holds no study YAML files")
    return files


def _study_path(name: str, folder: Path) -> Path:
    path = Path(name)
    if path.suffix in (".yaml", ".yml"):
        return path
    candidate = folder / f"{name}.yaml"
    if candidate.is_file():
        return candidate
    from trainlab.errors import did_you_mean

    known = [p.stem for p in folder.glob("*.yaml")]
    hint = did_you_mean(name, known) or "; `trainlab study list` shows the studies"
    raise TrainlabError(f"'{name}' is not a study in {folder}{hint}")


def _print_result(result: StudyResult, seconds: float) -> None:
    style = {"supported": "green", "not supported": "red", "inconclusive": "yellow"}[result.outcome]
    budget = f"{result.minutes:.2f} of {result.budget:g} CPU-minutes" + (
        " [red]OVER BUDGET[/]" if result.over_budget else ""
    )
    console.print(
        f"  verdict: [bold {style}]{result.outcome}[/] ({budget}; {seconds:.0f} s wall)", highlight=False
    )
    for verdict in result.verdicts:
        p = "n/a" if verdict.p_value != verdict.p_value else f"{verdict.p_value:.3g}"
        console.print(
            f"  {verdict.rule}: {verdict.outcome}, p = {p}, seeds {verdict.seeds}: {verdict.reading}",
            highlight=False,
        )
    for label, table in result.tables.items():
        for arm, runs in table.missing.items():
            for seed, why in runs.items():
                console.print(f"  [red]missing[/] {label}, {arm} seed {seed}: {why}", highlight=False)
