"""A run's fitted preprocessing and label mapping, saved as data beside its weights.

``preprocessing.json`` holds what a new input needs to become a model input, and what a model
output stands for: the task, one sample's shape, the scaling kind, the class labels in index
order, a regression target's shape and, for a table, its feature and target columns.
``preprocessing.safetensors`` holds the scaler's two statistics (``shift``, ``scale``) and the fitted
arrays of the ``data.preprocess`` steps (``step<i>.<name>``) as tensors. Both are plain data: reading them runs no code and unpickles nothing.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from trainlab._io import write_json_atomic, write_with_atomic
from trainlab.build import build_data
from trainlab.data import DataBundle
from trainlab.data.transforms._affine import AffineScaler
from trainlab.data.transforms.preprocessors import PREPROCESSORS, Preprocessor, apply_steps, describe
from trainlab.data.transforms.scaling import SCALERS
from trainlab.errors import DataError, TrainlabError
from trainlab.recipe import Recipe

PREPROCESSING_JSON = "preprocessing.json"
PREPROCESSING_TENSORS = "preprocessing.safetensors"
FORMAT_VERSION = 1


@dataclass
class Preprocessing:
    """What turns a user's input into a model input, and a model output back into the user's labels.

    Attributes:
        task: ``"classification"`` or ``"regression"``.
        input_shape: One sample's shape, channels first, as the user gives it (before any ``steps``).
        scaling: A name of ``trainlab.data.transforms.scaling.SCALERS`` (``"standardize"``, ...) or ``"none"``.
        scaler: The statistics fitted on the run's training split, or None (no scaling, or unknown).
        classes: What each class index stands for, in index order (the user's own labels).
        target_shape: One regression target's shape (``()`` for a scalar).
        feature_columns: A table's feature columns by header name, in the model's order.
        target_column: A table's target column, dropped from new inputs that still hold it.
        notes: What could not be recovered for a run saved before this file existed.
        steps: The fitted ``data.preprocess`` steps, applied before the scaler.
    """

    task: str
    input_shape: tuple[int, ...]
    scaling: str = "none"
    scaler: AffineScaler | None = None
    classes: list[Any] | None = None
    target_shape: tuple[int, ...] = ()
    feature_columns: list[str] | None = None
    target_column: str | None = None
    notes: list[str] = field(default_factory=list)
    steps: list[Preprocessor] = field(default_factory=list)

    @classmethod
    def from_bundle(cls, bundle: DataBundle) -> Preprocessing:
        """The preprocessing ``load_data`` (or ``bundle_from_python``) fitted for ``bundle``."""
        info = bundle.info
        scaling = info.get("scaling", "none")
        stats = info.get("scaler")
        scaler = SCALERS[scaling].from_state_dict(stats) if stats and scaling in SCALERS else None
        return cls(
            task=bundle.task,
            input_shape=tuple(info.get("input_shape_before_preprocess", bundle.input_shape)),
            scaling=scaling if scaler is not None else "none",
            scaler=scaler,
            classes=info.get("classes"),
            target_shape=tuple(bundle.target_shape),
            feature_columns=info.get("feature_columns"),
            target_column=info.get("target_column"),
            steps=list(info.get("preprocessors", [])),
        )

    @property
    def num_features(self) -> int:
        """Values in one sample: a CSV row's width, without a target column."""
        return math.prod(self.input_shape)

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        """Preprocess and scale a batch ``(N, *input_shape)`` in the user's units as training did its inputs."""
        if self.steps:
            inputs = apply_steps(self.steps, inputs, self.input_shape)
        return self.scaler(inputs) if self.scaler is not None else inputs

    @property
    def fills_missing(self) -> bool:
        """Whether the first step imputes, so new inputs may hold NaN."""
        return bool(self.steps) and self.steps[0].allows_missing

    def check_inputs(self, inputs: torch.Tensor, *, source: str = "input", first_row: int = 0) -> None:
        """Refuse a batch of the wrong sample shape, or with NaN or infinite values.

        Raises:
            DataError: naming the shape expected, or the first sample (row) with a bad value.
        """
        if tuple(inputs.shape[1:]) != self.input_shape:
            raise DataError(
                f"{source}: samples have shape {tuple(inputs.shape[1:])} ({math.prod(inputs.shape[1:])} values) but "
                f"the run was trained on samples of shape {self.input_shape} ({self.num_features} values); "
                "give inputs in the run's column layout"
            )
        values = inputs.reshape(len(inputs), -1)
        finite = ~torch.isinf(values) if self.fills_missing else torch.isfinite(values)
        if not bool(finite.all()):
            row, column = (int(i) for i in torch.nonzero(~finite)[0])
            value = inputs.reshape(len(inputs), -1)[row, column].item()
            raise DataError(
                f"{source}: sample {first_row + row} holds {value} at position {column}; a model cannot predict from "
                "NaN or infinite values: fill or drop those samples first"
            )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "task": self.task,
            "input_shape": list(self.input_shape),
            "scaling": self.scaling,
            "scaler_keys": list(type(self.scaler).STATE_KEYS) if self.scaler is not None else None,
            "classes": self.classes,
            "target_shape": list(self.target_shape),
            "feature_columns": self.feature_columns,
            "target_column": self.target_column,
            "steps": describe(self.steps),
        }


def save_preprocessing(run_path: str | os.PathLike[str], bundle: DataBundle) -> Preprocessing:
    """Write ``bundle``'s fitted preprocessing into the run directory (both files, each atomically)."""
    preprocessing = Preprocessing.from_bundle(bundle)
    path = Path(run_path)
    tensors = {
        f"step{index}.{key}": value.contiguous()
        for index, step in enumerate(preprocessing.steps)
        for key, value in step.state_dict().items()
    }
    if preprocessing.scaler is not None:
        tensors |= {
            "shift": preprocessing.scaler.shift.contiguous(),
            "scale": preprocessing.scaler.scale.contiguous(),
        }
    if tensors:
        write_with_atomic(path / PREPROCESSING_TENSORS, lambda tmp: save_file(tensors, tmp))
    write_json_atomic(path / PREPROCESSING_JSON, preprocessing.to_json())
    return preprocessing


def read_preprocessing(run_path: str | os.PathLike[str]) -> Preprocessing | None:
    """The preprocessing saved in a run directory; None for a run made before it was saved.

    Raises:
        TrainlabError: a file is damaged or its tensors are missing.
    """
    path = Path(run_path)
    json_path = path / PREPROCESSING_JSON
    if not json_path.is_file():
        return None
    try:
        saved = json.loads(json_path.read_text())
        scaler = None
        described = saved.get("steps") or []
        tensors = (
            load_file(os.fspath(path / PREPROCESSING_TENSORS))
            if saved["scaling"] in SCALERS or described
            else {}
        )
        if saved["scaling"] in SCALERS:
            scaler = SCALERS[saved["scaling"]](tensors["shift"], tensors["scale"])
        steps = rebuild_steps(described, tensors)
        return Preprocessing(
            task=saved["task"],
            input_shape=tuple(saved["input_shape"]),
            scaling=saved["scaling"],
            scaler=scaler,
            classes=saved.get("classes"),
            target_shape=tuple(saved.get("target_shape") or ()),
            feature_columns=saved.get("feature_columns"),
            target_column=saved.get("target_column"),
            steps=steps,
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TrainlabError(
            f"{json_path} or {PREPROCESSING_TENSORS} beside it is damaged or incomplete ({type(exc).__name__}: "
            f"{exc}); copy the run directory again from where it was made"
        ) from None


def apply_saved_scaler(bundle: DataBundle, preprocessing: Preprocessing) -> DataBundle:
    """``bundle`` (loaded unscaled) with every split scaled by the run's saved statistics, in place.

    Raises:
        DataError: the data's samples do not have the shape the run was trained on.
    """
    if preprocessing.scaler is None and not preprocessing.steps:
        return bundle
    if tuple(bundle.input_shape) != preprocessing.input_shape:
        raise DataError(
            f"data '{bundle.name}' has samples of shape {tuple(bundle.input_shape)} but the run was trained on "
            f"{preprocessing.input_shape}; evaluate on data in the run's layout"
        )
    for split in ("train", "val", "test"):
        dataset = bundle.split(split)
        if dataset is not None:
            inputs, targets = dataset.tensors  # type: ignore[attr-defined]  # load_data makes TensorDatasets
            dataset.tensors = (preprocessing(inputs), targets)  # type: ignore[attr-defined]
            bundle.input_shape = tuple(dataset.tensors[0].shape[1:])  # type: ignore[attr-defined]
    bundle.info["scaler"] = preprocessing.scaler.to_info() if preprocessing.scaler is not None else None
    bundle.info["scaling"] = preprocessing.scaling
    return bundle


def evaluation_data(recipe: Recipe, run_path: str | os.PathLike[str], *, new_data: bool) -> DataBundle:
    """The recipe's data for evaluating a run's model: scaled with the run's saved statistics and its
    labels indexed against the run's classes, so new data is seen as the training data was.

    A run saved before its preprocessing was (no ``preprocessing.json``) falls back to fitting the
    scaling on the data's own training split, as evaluation always did; with new data that differs
    from the run's scaling, so a warning says so.
    """
    preprocessing = read_preprocessing(run_path)
    if preprocessing is None:
        if new_data:
            warnings.warn(
                f"'{run_path}' has no {PREPROCESSING_JSON} (it was made before runs saved their preprocessing): "
                "the scaling is fitted again on this data's training split and its labels are indexed afresh, "
                "which matches the run only if this data is distributed like its training data",
                stacklevel=3,
            )
        return build_data(recipe)
    # A class subset relabels the classes it keeps, so its labels are indexed by the subset, not the run.
    known = preprocessing.task == "classification" and recipe.data.subset is None
    # Loaded raw: the run's own fitted steps and scaler are applied, never ones refitted on this data.
    unscaled = recipe.model_copy(
        update={"data": recipe.data.model_copy(update={"scaling": "none", "preprocess": []})}
    )
    bundle = build_data(unscaled, classes=preprocessing.classes if known else None)
    return apply_saved_scaler(bundle, preprocessing)


def as_numpy_labels(classes: list[Any] | None, indices: np.ndarray) -> np.ndarray:
    """The user's labels for class indices; the indices themselves when the run recorded no classes."""
    if classes is None:
        return indices
    return np.asarray(classes)[indices]


def rebuild_steps(described: list[dict[str, Any]], tensors: dict[str, torch.Tensor]) -> list[Preprocessor]:
    """The fitted steps a run saved: each rebuilt from its name and options, its arrays loaded from the tensors."""
    steps = []
    for index, spec in enumerate(described):
        options = {key: value for key, value in spec.items() if key != "name"}
        step = PREPROCESSORS.get(spec["name"]).factory(**options)
        prefix = f"step{index}."
        step.load_state_dict(
            {key[len(prefix) :]: value for key, value in tensors.items() if key.startswith(prefix)}
        )
        steps.append(step)
    return steps
