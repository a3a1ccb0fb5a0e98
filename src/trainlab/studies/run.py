"""Running a study: its arms through the experiments runner (or the playground), then measures and verdicts."""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainlab._io import write_json_atomic
from trainlab.errors import TrainlabError
from trainlab.recipe import Component
from trainlab.studies.registries import MEASURES
from trainlab.studies.spec import Study, measure_label
from trainlab.studies.table import MeasurementTable
from trainlab.studies.verdict import Outcome, Verdict, combine, judge

if TYPE_CHECKING:
    from trainlab.experiment.workers import WorkerPool

RESULT_FILE = "study.json"


@dataclass
class StudyResult:
    """A study's outcome, as written to ``DIR/study.json``.

    Attributes:
        name: The study's name (its file's stem).
        outcome: The combined verdict of its rules.
        verdicts: One per rule.
        tables: Each measure per arm and seed, by the measure's label.
        minutes: CPU-minutes its runs took (their training wall times summed; one thread each).
        over_budget: ``minutes`` exceeded the study's budget (the verdict is still computed).
    """

    name: str
    claim: str
    source: str
    arms: dict[str, dict[str, Any]]
    seeds: list[int]
    measure: str
    budget: float
    note: str
    outcome: Outcome
    verdicts: list[Verdict]
    tables: dict[str, MeasurementTable]
    minutes: float
    wall_minutes: float
    over_budget: bool
    runs: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "claim": self.claim,
            "source": self.source,
            "arms": self.arms,
            "seeds": self.seeds,
            "measure": self.measure,
            "budget_minutes": self.budget,
            "note": self.note,
            "outcome": self.outcome,
            "verdicts": [v.to_dict() for v in self.verdicts],
            "tables": {label: table.to_dict() for label, table in self.tables.items()},
            "minutes": self.minutes,
            "wall_minutes": self.wall_minutes,
            "over_budget": self.over_budget,
            "runs": self.runs,
        }


def run_study(
    study: Study,
    directory: str | Path,
    *,
    workers: int = 1,
    storage: str | None = None,
    pool: WorkerPool | None = None,
) -> StudyResult:
    """Run every arm at every seed (finished runs are kept: running again resumes), then judge the claim.

    Args:
        study: A checked study (:func:`trainlab.studies.load_study`).
        directory: The study's directory; runs go to ``DIR/runs/<arm>/seed-<k>/``.
        workers: Parallel worker processes of the experiments runner.
        storage: An Optuna storage URL shared by several machines (default: SQLite in ``directory``).
        pool: Workers shared by several studies run in a row (their start-up is paid once); default
            a pool of ``workers`` for this study.

    Returns:
        The result, also written to ``DIR/study.json``.
    """
    directory = Path(directory)
    started = time.perf_counter()
    if study.playground is not None:
        runs = _run_playground(study, directory)
    else:
        runs = _run_recipes(study, directory, workers=workers, storage=storage, pool=pool)
    tables = {label: measure_runs(study, measure, runs) for label, measure in study.measures().items()}
    verdicts = [
        dataclasses.replace(judge(rule, tables[label], name), measure=label)
        for name, rule, label in study.build_rules()
    ]
    minutes = math.fsum(run["wall_s"] or 0.0 for run in runs) / 60.0
    result = StudyResult(
        name=study.name,
        claim=study.claim,
        source=study.source,
        arms=study.arms,
        seeds=study.seed_list,
        measure=measure_label(study.measure),
        budget=study.budget,
        note=study.note,
        outcome=combine(verdicts),
        verdicts=verdicts,
        tables=tables,
        minutes=minutes,
        wall_minutes=(time.perf_counter() - started) / 60.0,
        over_budget=minutes > study.budget,
        runs=runs,
    )
    write_json_atomic(directory / RESULT_FILE, result.to_dict())
    return result


def _run_recipes(
    study: Study, directory: Path, *, workers: int, storage: str | None, pool: WorkerPool | None
) -> list[dict[str, Any]]:
    from trainlab.experiment.results import load_results
    from trainlab.experiment.runner import run_experiment

    run_experiment(study.experiment_spec(), directory, workers=workers, storage=storage, pool=pool)
    return [
        {
            "arm": record.variant,
            "seed": record.seed,
            "run_dir": str(record.run_dir),
            "status": record.status,
            "wall_s": record.wall_s,
            "error": record.error,
        }
        for record in load_results(directory, storage=storage).runs
    ]


def _run_playground(study: Study, directory: Path) -> list[dict[str, Any]]:
    from trainlab.experiment.spec import run_path
    from trainlab.studies.playground_arm import run_playground_arm

    runs = []
    for arm in study.arms:
        for seed in study.seed_list:
            run_dir = run_path(directory, arm, seed)
            record = run_playground_arm(study.playground_arm(arm), seed, run_dir)
            runs.append(
                {
                    "arm": arm,
                    "seed": seed,
                    "run_dir": str(run_dir),
                    "status": "finished",
                    "wall_s": record["wall_s"],
                }
            )
    return runs


def measure_runs(study: Study, spec: Component, runs: list[dict[str, Any]]) -> MeasurementTable:
    """``spec`` measured on every run; a run that failed or cannot be measured is recorded as missing, with why."""
    measure = MEASURES.get(spec.name).build(**spec.options)
    table = MeasurementTable({arm: {} for arm in study.arms})
    for run in runs:
        if run["status"] not in ("finished", "diverged") and spec.name != "diverged":
            table.add(run["arm"], run["seed"], None, f"{run['status']}: {run.get('error') or ''}".strip(": "))
            continue
        try:
            table.add(run["arm"], run["seed"], float(measure(Path(run["run_dir"]))))
        except TrainlabError as exc:
            # A diverged run has no final metrics: say it diverged, not that a metric is missing.
            why = f"{run['status']}: {run.get('error') or ''}" if run["status"] != "finished" else str(exc)
            table.add(run["arm"], run["seed"], None, why)
    return table


def read_result(directory: str | Path) -> dict[str, Any]:
    """A study directory's study.json as plain data.

    Raises:
        TrainlabError: the directory holds no finished study.
    """
    path = Path(directory) / RESULT_FILE
    if not path.is_file():
        raise TrainlabError(f"'{directory}' holds no {RESULT_FILE}: run `trainlab study run` first")
    data: dict[str, Any] = json.loads(path.read_text())
    return data
