"""What an experiment ran and measured: one record per (variant, seed) cell, read from its run directory.

A cell's run directory (``DIR/runs/<variant>/seed-<k>``) is the source of its numbers; the storage says
which cells are running or queued, and holds the numbers of cells run on another machine (whose run
directory is not on this one).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from trainlab.errors import TrainlabError
from trainlab.experiment.spec import ExperimentSpec, load_spec, run_path

if TYPE_CHECKING:
    from optuna.storages import RDBStorage

Status = Literal["finished", "diverged", "failed", "pending", "running"]
SPEC_FILE = "experiment.yaml"
SPLITS = ("train", "val", "test")


@dataclass
class RunRecord:
    """One cell's outcome.

    Attributes:
        variant: The variant's name.
        seed: The training seed.
        run_dir: The cell's run directory (on the machine that ran it).
        status: ``finished``, ``diverged`` (a NaN/Inf loss, or a loss that blew up: a result, not an
            error), ``failed`` (an error; see ``error``), ``pending`` (not run, or interrupted and
            resumable) or ``running``.
        metrics: Final scalar metrics as ``"<split>.<metric>"`` (``"test.accuracy"``, ``"val.loss"``).
        wall_s: Training wall time of the run's last session, in seconds (None until it finishes).
        error: Why it failed or diverged.
    """

    variant: str
    seed: int
    run_dir: Path
    status: Status
    metrics: dict[str, float] = field(default_factory=dict)
    wall_s: float | None = None
    error: str | None = None

    def metric(self, name: str, split: str = "test") -> float:
        """The final value of ``name`` on ``split``; NaN for a diverged run or a missing value."""
        if self.status == "diverged":
            return math.nan
        return self.metrics.get(f"{split}.{name}", math.nan)

    def as_dict(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "seed": self.seed,
            "run_dir": str(self.run_dir),
            "status": self.status,
            "metrics": self.metrics,
            "wall_s": self.wall_s,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        return cls(
            variant=data["variant"],
            seed=int(data["seed"]),
            run_dir=Path(data["run_dir"]),
            status=data["status"],
            metrics={key: float(value) for key, value in (data.get("metrics") or {}).items()},
            wall_s=data.get("wall_s"),
            error=data.get("error"),
        )


@dataclass
class ExperimentResults:
    """Every cell of an experiment, in the spec's order (variants, then seeds)."""

    spec: ExperimentSpec
    runs: list[RunRecord]
    directory: Path

    def table(self, metric: str | None = None, split: str = "test") -> dict[str, dict[int, float]]:
        """``{variant: {seed: value}}`` of the cells that finished or diverged (diverged ones give NaN).

        Args:
            metric: A metric name; default the spec's primary metric.
            split: ``test`` (default), ``val`` or ``train``.
        """
        name = metric or self.spec.primary_metric.name
        table: dict[str, dict[int, float]] = {variant: {} for variant in self.spec.variant_overrides()}
        for record in self.runs:
            if record.status in ("finished", "diverged"):
                table[record.variant][record.seed] = record.metric(name, split)
        return table

    def counts(self) -> dict[str, int]:
        """How many cells are in each status."""
        counts = {status: 0 for status in ("finished", "diverged", "failed", "running", "pending")}
        for record in self.runs:
            counts[record.status] += 1
        return counts

    @property
    def complete(self) -> bool:
        """Whether every cell has a result (finished, diverged or failed)."""
        return all(record.status in ("finished", "diverged", "failed") for record in self.runs)


def load_results(
    directory: str | os.PathLike[str], *, storage: str | RDBStorage | None = None
) -> ExperimentResults:
    """Read an experiment directory: its spec, and each cell's record.

    Args:
        directory: The experiment directory (``trainlab experiment run --out DIR``).
        storage: The storage URL, when it is not the one recorded in experiment.yaml (a password
            the recorded URL leaves out, say); the SQLite file in ``directory`` by default. Or the
            storage itself, already open (the runner's: connecting again costs a few tenths of a second).

    Raises:
        TrainlabError: ``directory`` holds no experiment.
    """
    path = Path(directory)
    if not (path / SPEC_FILE).is_file():
        raise TrainlabError(
            f"'{path}' is not an experiment directory (it has no {SPEC_FILE}); "
            "pass the --out folder of `trainlab experiment run`"
        )
    spec = load_spec(path / SPEC_FILE)
    stored = _stored_records(spec, path, storage)
    runs = []
    for variant in spec.variant_overrides():
        for seed in spec.seed_list:
            local = record_from_run_dir(variant, seed, run_path(path, variant, seed))
            remote = stored.get(f"{variant}/seed-{seed}")
            runs.append(remote if local.status == "pending" and remote is not None else local)
    return ExperimentResults(spec=spec, runs=runs, directory=path)


def record_from_run_dir(variant: str, seed: int, run_dir: Path) -> RunRecord:
    """A cell's record from its run directory's summary.json (``pending`` while it has none)."""
    summary_path = run_dir / "summary.json"
    if not summary_path.is_file():
        return RunRecord(variant, seed, run_dir, "pending")
    summary = json.loads(summary_path.read_text())
    status = summary.get("status", "finished")
    run = summary.get("run") or {}
    if status == "interrupted":
        return RunRecord(variant, seed, run_dir, "pending")
    if status == "failed":
        error = str(summary.get("error", ""))
        non_finite = error.startswith("NonFiniteLossError")
        return RunRecord(variant, seed, run_dir, "diverged" if non_finite else "failed", error=error)
    metrics = {
        f"{split}.{name}": float(value)
        for split in SPLITS
        for name, value in (summary.get(split) or {}).items()
        if isinstance(value, (int, float))
    }
    diverged: str | None = run.get("diverged")
    return RunRecord(
        variant,
        seed,
        run_dir,
        "diverged" if diverged else "finished",
        metrics=metrics,
        wall_s=run.get("wall_time_s"),
        error=diverged,
    )


def _stored_records(
    spec: ExperimentSpec, directory: Path, storage: str | RDBStorage | None
) -> dict[str, RunRecord]:
    """Records the storage holds: results of cells run elsewhere, and which cells are running now."""
    from trainlab.experiment import storage as cells

    if storage is not None and not isinstance(storage, str):
        opened = storage
    else:
        url = storage or spec.storage or cells.default_storage_url(directory)
        if url.startswith("sqlite") and not (directory / cells.STORAGE_FILE).exists() and storage is None:
            return {}
        opened = cells.open_storage(url)
    study = cells.ExperimentStudy(opened, spec.name, create=False)
    records = {}
    for cell, trial in study.latest_by_cell().items():
        variant, _, seed = cell.rpartition("/seed-")
        if trial.state.name == "RUNNING":
            records[cell] = RunRecord(variant, int(seed), run_path(directory, variant, int(seed)), "running")
        elif cells.RECORD_ATTR in trial.user_attrs:
            records[cell] = RunRecord.from_dict(trial.user_attrs[cells.RECORD_ATTR])
    return records
