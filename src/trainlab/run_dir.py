"""The run directory: recipe.yaml, metrics.jsonl, summary.json, model.safetensors and checkpoints/, written atomically."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import json
import os
import platform
import tempfile
import traceback
from importlib import metadata
from pathlib import Path
from typing import Any

from safetensors import SafetensorError
from torch import nn

from trainlab import _weights
from trainlab._io import remove_temp_files, write_json_atomic, write_text_atomic, write_with_atomic
from trainlab.data import load_data
from trainlab.errors import TrainlabError
from trainlab.models import build_model
from trainlab.recipe import validate_recipe
from trainlab.recipe_yaml import read_recipe_file
from trainlab.references import trusting_code
from trainlab.train.checkpoint import CheckpointManager, load_state
from trainlab.train.signals import TrainingInterrupted

RECIPE = "recipe.yaml"
METRICS = "metrics.jsonl"
SUMMARY = "summary.json"
WEIGHTS = "model.safetensors"
CHECKPOINTS = "checkpoints"
ERROR = "error.txt"
CALIBRATION = "calibration.json"  # written by `trainlab calibrate`


class RunDirectory:
    """One run's files. Only the main process writes (the caller checks the rank)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)

    @classmethod
    def create(cls, out: str | None, run_name: str, *, root: str | Path = "runs") -> RunDirectory:
        """A new run directory: ``out`` if given, else ``runs/<run_name>/<timestamp>``.

        Raises:
            TrainlabError: if ``out`` already holds a run, so that nothing is overwritten.
        """
        if out is None:
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            path = Path(root) / _safe_name(run_name) / stamp
        else:
            path = Path(out)
        run = cls(path)
        if run.holds_run():
            raise TrainlabError(
                f"out: '{path}' already holds a run ({SUMMARY} or {METRICS} exists); "
                "choose another --out, or delete that directory first"
            )
        if path.exists() and not path.is_dir():
            raise TrainlabError(f"out: '{path}' is a file, not a directory; choose another --out")
        existed = path.exists()
        try:
            path.mkdir(parents=True, exist_ok=True)
            # Prove the directory takes files now, not after training (read-only, immutable, /proc, ...).
            with tempfile.TemporaryFile(dir=path):
                pass
        except OSError as exc:
            if not existed:
                with contextlib.suppress(OSError):
                    path.rmdir()
            reason = exc.strerror or str(exc)
            raise TrainlabError(
                f"out: cannot write the run directory '{path}' ({reason}); choose another --out"
                + (" or a shorter --name" if exc.errno == errno.ENAMETOOLONG else "")
            ) from None
        return run

    @classmethod
    def reopen(cls, path: str | Path) -> RunDirectory:
        """An existing run directory to resume into; removes temporary files a killed writer left.

        Raises:
            TrainlabError: if ``path`` is not a run directory.
        """
        run = cls(path)
        if not (run.path / RECIPE).is_file():
            raise TrainlabError(f"--resume: '{run.path}' is not a run directory (it has no {RECIPE})")
        remove_temp_files(run.path)
        return run

    @property
    def checkpoints_path(self) -> Path:
        return self.path / CHECKPOINTS

    def rewrite_metrics(self, records: list[dict[str, Any]]) -> None:
        """Replace metrics.jsonl with ``records`` (a resumed run's history up to its checkpoint),
        so that lines logged after that checkpoint by the interrupted run are not repeated."""
        write_text_atomic(self.metrics_path, "".join(json.dumps(record) + "\n" for record in records))

    def require_finished(self) -> None:
        """Raise unless the directory holds a finished run: its recipe and its summary.

        Raises:
            TrainlabError: naming the missing files and what to give instead.
        """
        if not (self.path / RECIPE).is_file() or not (self.path / SUMMARY).is_file():
            raise TrainlabError(
                f"'{self.path}' is not a finished run directory (it needs {RECIPE} and {SUMMARY}); "
                "give a directory written by `trainlab fit`"
            )

    def holds_run(self) -> bool:
        return (self.path / SUMMARY).exists() or (self.path / METRICS).exists()

    @property
    def metrics_path(self) -> Path:
        return self.path / METRICS

    def write_recipe(self, recipe_yaml: str, note: str = "") -> None:
        header = (
            "# Resolved trainlab recipe: every default written out. Re-run with `trainlab fit <this file>`.\n"
        )
        if note:
            header += "".join(f"# {line}\n" for line in note.splitlines())
        write_text_atomic(self.path / RECIPE, header + recipe_yaml)

    def write_summary(self, summary: dict[str, Any]) -> None:
        write_json_atomic(self.path / SUMMARY, summary)

    def record_failure(self, error: BaseException, *, step: int) -> None:
        """Say why the run stopped: ``error.txt`` (the message; a traceback for a bug) and a summary.json
        whose ``status`` is ``interrupted`` (SIGTERM/SIGINT, resumable) or ``failed``."""
        # Ctrl-C and SIGTERM (TrainingInterrupted, KeyboardInterrupt or any BaseException that is not an Exception)
        interrupted = isinstance(error, TrainingInterrupted) or not isinstance(error, Exception)
        message = str(error) or type(error).__name__
        text = message if isinstance(error, TrainlabError) else "".join(traceback.format_exception(error))
        write_text_atomic(self.path / ERROR, text.rstrip() + "\n")
        status = "interrupted" if interrupted else "failed"
        self.write_summary(
            {"status": status, "error": f"{type(error).__name__}: {message}", "run": {"step": step}}
        )

    def save_weights(self, model: nn.Module) -> None:
        write_with_atomic(self.path / WEIGHTS, lambda tmp: _weights.save_weights(model, tmp))

    def load_weights(self, model: nn.Module) -> None:
        path = self.path / WEIGHTS
        if not path.exists():
            raise TrainlabError(f"'{self.path}' has no {WEIGHTS}; was the run finished?")
        try:
            missing, unexpected = _weights.load_weights(model, path)
        except SafetensorError as exc:
            raise TrainlabError(
                f"{path} is damaged or not a safetensors file ({exc}); re-run the training, or copy the "
                f"weights back from where the run was made"
            ) from None
        except RuntimeError as exc:  # load_state_dict: shapes that differ from the recipe's model
            first = next(
                (line.strip() for line in str(exc).splitlines() if "size mismatch" in line), str(exc)
            )
            raise TrainlabError(
                f"{path} does not fit the recipe's model ({first}); was recipe.yaml edited after the run?"
            ) from None
        if missing or unexpected:
            raise TrainlabError(
                f"{path} does not fit the recipe's model (missing {sorted(missing)[:5]}, unexpected "
                f"{sorted(unexpected)[:5]}); was recipe.yaml edited after the run?"
            )

    def read_summary(self) -> dict[str, Any]:
        path = self.path / SUMMARY
        if not path.exists():
            raise TrainlabError(f"'{self.path}' has no {SUMMARY}; is it a finished trainlab run directory?")
        return json.loads(path.read_text())


def load_model(run_dir: str | os.PathLike[str], *, trust_code: bool = False) -> nn.Module:
    """The trained model of a finished run, rebuilt from its recipe and summary and loaded with its weights.

    Args:
        run_dir: A directory written by ``fit``.
        trust_code: Consent to run the code the run's recipe references (``module:factory``).

    Raises:
        TrainlabError: the directory holds no finished run, its model was passed from Python, or
            it needs code and ``trust_code`` is False.
    """
    run = RunDirectory(run_dir)
    if not (run.path / RECIPE).exists() or not (run.path / SUMMARY).exists():
        raise TrainlabError(f"'{run.path}' holds no finished run ({RECIPE} and {SUMMARY}); check the path")
    raw = read_recipe_file(run.path / RECIPE)
    model_spec = raw.get("model")
    if not model_spec:
        raise TrainlabError(f"the run in '{run.path}' trained a model passed from Python; load it yourself")
    model_spec = {"name": model_spec} if isinstance(model_spec, str) else dict(model_spec)
    summary = run.read_summary()
    if summary.get("status", "finished") != "finished":
        raise TrainlabError(
            f"the run in '{run.path}' {summary['status']} at step {summary['run']['step']} ({summary.get('error')}; "
            f"see {ERROR}) and has no final weights; continue it with `trainlab fit --resume {run.path}`"
        )
    data = summary["data"]
    with trusting_code(trust_code):
        num_outputs = (
            data.get("num_outputs") or data["num_classes"] or _num_outputs_of(raw, run.path / RECIPE)
        )
        network = build_model(model_spec.pop("name"), tuple(data["input_shape"]), num_outputs, **model_spec)
    run.load_weights(network)
    return network


def _num_outputs_of(raw: dict[str, Any], source: Path) -> int:
    """The output width of a regression run whose summary predates ``num_outputs``: from its data."""
    spec = validate_recipe(raw, source=str(source)).data
    return load_data(
        spec.name,
        val_fraction=spec.val_fraction,
        test_fraction=spec.test_fraction,
        split_seed=spec.split_seed,
        scaling=spec.scaling,
        **spec.options,
    ).num_outputs


def package_versions() -> dict[str, str]:
    return dict(_installed_versions())


@functools.cache
def _installed_versions() -> dict[str, str]:
    # Read once per process: an experiment worker writes many summaries, and the lookups cost ~0.1 s each time.
    versions = {"python": platform.python_version()}
    for package in ("trainlab", "torch", "numpy", "torchmetrics", "scikit-learn", "mnist1d"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "run"


def load_best_weights(run: RunDirectory, network: nn.Module, *, higher_is_better: bool) -> None:
    """Load the model weights of the run's best checkpoint (the one ``keep_last`` pruning always keeps)."""
    manager = CheckpointManager(run.checkpoints_path, higher_is_better=higher_is_better)
    best = manager.best()
    if best is None:
        reason = (
            "it has no checkpoints" if not manager.complete() else "no checkpoint was scored on a validation"
        )
        raise TrainlabError(
            f"--weights best: {reason} in '{run.checkpoints_path}'; the run needs train.checkpoint_every and "
            "train.eval_every for that. Use --weights last for its final weights"
        )
    manager.verify(best)
    network.load_state_dict(load_state(best.state_path)["model"])
