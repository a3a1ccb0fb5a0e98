"""One experiment cell in a worker: train (or continue) its run directory and say how it ended.

Runs in a long-lived worker (see :mod:`trainlab.experiment.workers`), which keeps the datasets it built:
cells with the same ``data`` section train on the same bundle instead of loading and splitting it again.
"""

from __future__ import annotations

import json
import time
import traceback
from collections import OrderedDict
from pathlib import Path
from typing import Any

from trainlab.experiment.results import RunRecord, record_from_run_dir

# Datasets kept per worker; an experiment usually varies the training, not the data.
CACHED_DATASETS = 4
_datasets: OrderedDict[str, Any] = OrderedDict()


def run_cell(
    variant: str, seed: int, recipe: dict[str, Any], run_dir: str, trust_code: bool = False
) -> dict[str, Any]:
    """Train one cell into ``run_dir``, continuing its newest checkpoint if an earlier session was cut short.

    A divergence (NaN/Inf loss, or a loss that blew up) and an error are results, recorded with the
    cell, never raised: the other cells go on.

    Returns:
        The cell's :class:`RunRecord` as a dict, with ``wall_s`` the task's wall time in this worker.
    """
    from trainlab.api import fit
    from trainlab.train.anomaly import NonFiniteLossError
    from trainlab.train.signals import TrainingInterrupted

    started = time.perf_counter()  # after the imports: a worker pays them once, not per run
    path = Path(run_dir)
    done = record_from_run_dir(variant, seed, path)
    if done.status in ("finished", "diverged"):
        return done.as_dict()  # finished before its trial was closed (the runner died in between)
    resume = path if (path / "recipe.yaml").is_file() else None
    error = None
    try:
        fit(
            recipe,
            data=_dataset(recipe, trust_code),
            resume=resume,
            trust_code=trust_code,
            verbose=0,
            out=None if resume else str(path),
        )
    except NonFiniteLossError:
        pass  # summary.json says so; the record below reads it as diverged
    except TrainingInterrupted:
        return RunRecord(
            variant, seed, path, "pending", error="interrupted; it resumes from its checkpoint"
        ).as_dict()
    except Exception as exc:  # noqa: BLE001 - any error is this cell's result; the others go on
        error = _describe(exc)
    record = record_from_run_dir(variant, seed, path)
    if error is not None and record.status not in ("failed", "diverged"):
        record.status, record.error = "failed", error  # it failed before its run directory could say so
    if record.wall_s is None:
        record.wall_s = time.perf_counter() - started
    return record.as_dict()


def _dataset(recipe: dict[str, Any], trust_code: bool) -> Any:
    """The cell's dataset, built once per worker for each ``data`` section (a user's own data loader is
    called every time: trainlab cannot know that it gives the same data twice)."""
    from trainlab import build
    from trainlab.recipe import validate_recipe
    from trainlab.references import is_reference, trusting_code

    data = recipe.get("data")
    name = data if isinstance(data, str) else (data or {}).get("name")
    if is_reference(name):
        return None
    key = json.dumps(data, sort_keys=True, default=str)
    if key in _datasets:
        _datasets.move_to_end(key)
        return _datasets[key]
    with trusting_code(trust_code):
        bundle = build.build_data(validate_recipe(recipe))
    _datasets[key] = bundle
    while len(_datasets) > CACHED_DATASETS:
        _datasets.popitem(last=False)
    return bundle


def _describe(exc: BaseException) -> str:
    from trainlab.errors import TrainlabError

    if isinstance(exc, TrainlabError):
        return f"{type(exc).__name__}: {exc}"
    return "".join(traceback.format_exception(exc)).strip()
