"""Run an experiment's cells on long-lived workers, coordinated through Optuna storage, resumably.

The experiment directory holds ``experiment.yaml`` (the resolved spec), ``runs/<variant>/seed-<k>/``
(ordinary run directories) and, by default, the storage ``optuna.db``. Running the same command
again skips the cells that are done and continues interrupted ones from their checkpoints; several
runners (on one machine, or on several with ``storage="postgresql://..."``) share the cells, none
run twice. See :mod:`trainlab.experiment.storage` for how cells are claimed and taken over.
"""

from __future__ import annotations

import concurrent.futures
import math
import os
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING

from trainlab._io import write_text_atomic
from trainlab.errors import TrainlabError
from trainlab.experiment.results import SPEC_FILE, ExperimentResults, RunRecord, load_results
from trainlab.experiment.spec import Cell, ExperimentSpec

if TYPE_CHECKING:
    from trainlab.experiment.workers import WorkerPool

Progress = Callable[[RunRecord, int, int], None]
SPEC_ATTR = "trainlab.spec"


def run_experiment(
    spec: ExperimentSpec,
    directory: str | os.PathLike[str],
    *,
    workers: int = 1,
    storage: str | None = None,
    trust_code: bool = False,
    progress: Progress | None = None,
    retry_failed: bool = False,
    pool: WorkerPool | None = None,
) -> ExperimentResults:
    """Run every cell of ``spec`` that is not done yet, ``workers`` at a time, into ``directory``.

    Args:
        spec: The experiment (see :func:`trainlab.experiment.spec.load_spec`).
        directory: The experiment directory; created if needed.
        workers: Worker processes on this machine; torch threads are split so that workers × threads ≤ cores.
        storage: An Optuna RDB URL shared with other runners; default ``sqlite:///<directory>/optuna.db``.
        trust_code: Consent to run the code that ``module:factory`` references in the recipe name.
        progress: Called after each cell this runner finishes with (record, cells done, cells in all).
        retry_failed: Run the cells that failed with an error again (diverged cells are results and stay).
        pool: Workers to run the cells in, kept open for the caller (several experiments in a row, like
            ``trainlab study run --all``, then pay the workers' start-up once); default a pool of
            ``workers`` for this call.

    Returns:
        The experiment's results, every cell included (those other runners did too).

    Raises:
        ConfigError: any problem with the spec or its recipes, before anything runs.
        TrainlabError: an unreachable storage, or a directory or storage holding a different experiment.
    """
    from trainlab.experiment.warm_up import start_training_workers

    owned = pool is None
    # Started first: the workers import torch and the trainer while this process opens the storage.
    pool = pool if pool is not None else start_training_workers(workers)
    try:
        return _run_cells(spec, Path(directory), pool, storage, trust_code, progress, retry_failed)
    finally:
        if owned:
            pool.close(cancel=True)


def _run_cells(
    spec: ExperimentSpec,
    path: Path,
    pool: WorkerPool,
    storage: str | None,
    trust_code: bool,
    progress: Progress | None,
    retry_failed: bool,
) -> ExperimentResults:
    """:func:`run_experiment` in the given pool: claim, run and close cells until none is left."""
    from trainlab.experiment import storage as cells_storage
    from trainlab.experiment.cell import run_cell

    cells = {cell.key: cell for cell in spec.runs()}
    url = storage or spec.storage or cells_storage.default_storage_url(path)
    # A server storage is reached before anything is written; SQLite's file goes in the directory.
    server = None if url == cells_storage.default_storage_url(path) else cells_storage.open_storage(url)
    _write_spec(spec, path, url)
    study = cells_storage.ExperimentStudy(
        server or cells_storage.open_storage(url),
        spec.name,
        maximize=spec.primary_metric.maximize,
    )
    _check_same_experiment(study, spec, url)
    if retry_failed:
        study.retry_failed()

    workers = pool.workers
    in_flight: dict[concurrent.futures.Future[dict], tuple[cells_storage.Claim, Cell]] = {}
    finished = sum(
        1 for r in load_results(path, storage=study.storage).runs if r.status not in ("pending", "running")
    )
    try:
        while True:
            study.fail_dead_runners()
            study.queue(cells)
            while len(in_flight) < workers and (claim := study.claim()) is not None:
                cell = cells[claim.cell]
                task = pool.submit(
                    run_cell,
                    cell.variant,
                    cell.seed,
                    _cell_recipe(cell),
                    str(cell.run_dir(path)),
                    trust_code,
                )
                in_flight[task] = (claim, cell)
            if not in_flight:
                if study.running_elsewhere() == 0:
                    break
                time.sleep(cells_storage.HEARTBEAT_S)  # another runner holds cells; take them over if it dies
                continue
            done, _ = concurrent.futures.wait(
                in_flight, timeout=cells_storage.HEARTBEAT_S, return_when=concurrent.futures.FIRST_COMPLETED
            )
            study.heartbeat(claim for task, (claim, _) in in_flight.items() if task not in done)
            for task in done:
                claim, cell = in_flight.pop(task)
                record = _outcome(task, cell, path)
                if record.status == "pending":  # stopped by a signal: queued again
                    study.release(claim)
                    continue
                study.finish(claim, record.as_dict(), _value(record, spec))
                finished += 1
                if progress is not None:
                    progress(record, finished, len(cells))
            if any(isinstance(task.exception(), BrokenProcessPool) for task in done):
                pool.restart()
    except BaseException:
        pool.interrupt()  # in-flight runs checkpoint and stop; their cells go back to the queue
        for claim, _ in in_flight.values():
            study.release(claim)
        raise
    return load_results(path, storage=study.storage)


def _cell_recipe(cell: Cell) -> dict:
    """The cell's recipe as a worker trains it, with no progress bar.

    ``train.threads: auto`` stays: in a worker it is capped by the worker's share of the cores
    (OMP_NUM_THREADS), takes fewer when other processes keep cores busy, and a resumed cell keeps the
    count its checkpoints were written with, so that it ends as an uninterrupted run would.
    """
    recipe = cell.recipe.to_dict()
    recipe["train"]["progress"] = False
    return recipe


def _outcome(task: concurrent.futures.Future[dict], cell: Cell, directory: Path) -> RunRecord:
    """The worker's record, or a failed one when the worker itself broke (killed, out of memory)."""
    try:
        return RunRecord.from_dict(task.result())
    except Exception as exc:  # noqa: BLE001 - the worker process died under this cell
        return RunRecord(
            cell.variant, cell.seed, cell.run_dir(directory), "failed", error=f"worker died: {exc!r}"
        )


def _value(record: RunRecord, spec: ExperimentSpec) -> float | None:
    """The trial's value in the storage: the primary metric on test (val when the run has no test split)."""
    name = spec.primary_metric.name
    for split in ("test", "val"):
        value = record.metric(name, split)
        if math.isfinite(value):
            return value
    return None


def _write_spec(spec: ExperimentSpec, path: Path, url: str) -> None:
    """Write the resolved spec to the directory; refuse a directory that holds a different experiment."""
    from trainlab.experiment.spec import spec_from_mapping
    from trainlab.experiment.storage import default_storage_url, shown_url
    from trainlab.recipe_yaml import parse_yaml

    resolved = spec.model_copy(
        update={"storage": None if url == default_storage_url(path) else shown_url(url)}
    )
    resolved._source_dir = spec._source_dir
    text = resolved.to_yaml()
    target = path / SPEC_FILE
    if target.is_file():
        recorded = spec_from_mapping(parse_yaml(target.read_text(), source=str(target)), source=target)
        if _comparable(recorded.to_yaml()) != _comparable(text):
            raise TrainlabError(
                f"'{path}' holds another experiment ({target} differs from this spec); "
                "use another --out, or delete that directory to start over"
            )
        return
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TrainlabError(f"--out: cannot create '{path}' ({exc.strerror}); choose another --out") from None
    write_text_atomic(target, text)


def _comparable(spec_yaml: str) -> str:
    """The spec without its storage line: the same experiment may be reached through another URL."""
    return "\n".join(line for line in spec_yaml.splitlines() if not line.startswith("storage:"))


def _check_same_experiment(study: object, spec: ExperimentSpec, url: str) -> None:
    """The storage's study of this name must be this experiment (another machine may have started it)."""
    from trainlab.experiment.storage import ExperimentStudy, shown_url

    assert isinstance(study, ExperimentStudy)
    text = _comparable(spec.to_yaml())
    attrs = study.storage.get_study_user_attrs(study.study_id)
    if SPEC_ATTR not in attrs:
        study.storage.set_study_user_attr(study.study_id, SPEC_ATTR, text)
    elif attrs[SPEC_ATTR] != text:
        raise TrainlabError(
            f"--storage {shown_url(url)} holds another experiment named '{spec.name}'; "
            "rename this one (name: in the spec) or use another storage"
        )
