"""RawData: the arrays a registered dataset factory returns, before splitting and scaling."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trainlab.data.bundle import Task
from trainlab.errors import DataError

TASKS: tuple[str, ...] = ("classification", "regression")


@dataclass(kw_only=True)
class RawData:
    """Arrays exactly as a dataset provides them; :func:`trainlab.data.load_data` does the rest.

    A factory registered in ``trainlab.registry.DATASETS`` returns one of these. It does not
    split off validation data, scale inputs or convert to tensors: ``load_data`` does that the
    same way for every dataset, so splits and scaling never depend on who wrote the loader.

    Attributes:
        x_train: Inputs, one sample per row, channels first: ``(N, F)``, ``(N, C, L)`` or ``(N, C, H, W)``.
        y_train: Targets, ``(N,)`` class indices for classification; ``(N,)`` or ``(N, k)`` for regression.
            Labels may arrive as floats; ``load_data`` checks they are whole numbers before casting.
        x_test: Inputs of the dataset's own test split, or None when it has none (then one is carved).
        y_test: Targets of the test split; given exactly when ``x_test`` is.
        task: ``"classification"`` or ``"regression"``.
        input_shape: Shape of one sample; defaults to ``x_train.shape[1:]``.
        num_classes: Number of classes; None lets ``load_data`` use the largest label + 1.
        class_names: Human-readable class names, index-aligned with the labels.
        info: JSON-ready facts recorded in the run summary (generator arguments, file path, ...).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    task: Task
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    input_shape: tuple[int, ...] = ()
    num_classes: int | None = None
    class_names: list[str] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Loaders of user files build RawData from whatever the file held, so inconsistencies
        # here are the user's data problems and are reported as DataError, not assertions.
        if self.task not in TASKS:
            raise DataError(f"task must be 'classification' or 'regression', got {self.task!r}")
        self.x_train = np.asarray(self.x_train)
        self.y_train = np.asarray(self.y_train)
        if (self.x_test is None) != (self.y_test is None):
            given, missing = ("x_test", "y_test") if self.y_test is None else ("y_test", "x_test")
            raise DataError(f"the data has {given} but no {missing}; give both test arrays or neither")
        if self.x_test is not None:
            self.x_test = np.asarray(self.x_test)
            self.y_test = np.asarray(self.y_test)
        # A sample has at least one axis, so an empty shape (the default) can only mean "not given".
        self.input_shape = tuple(self.input_shape or (int(d) for d in self.x_train.shape[1:]))
        for split, x, y in self.splits():
            if x.ndim < 2:
                raise DataError(
                    f"the {split} inputs have shape {x.shape}; they need one row per sample and at least "
                    "one feature, e.g. reshape a single feature column to (N, 1)"
                )
            if len(x) != len(y):
                raise DataError(
                    f"the {split} inputs have {len(x)} rows but the {split} targets have {len(y)}; "
                    "every sample needs exactly one target"
                )
            if tuple(x.shape[1:]) != self.input_shape:
                raise DataError(
                    f"the {split} inputs have samples of shape {tuple(x.shape[1:])}, "
                    f"but the dataset declares input_shape {self.input_shape}"
                )
        if self.class_names is not None and self.num_classes is not None:
            if len(self.class_names) != self.num_classes:
                raise DataError(
                    f"{len(self.class_names)} class names were given for {self.num_classes} classes; "
                    "give one name per class"
                )

    @property
    def has_test(self) -> bool:
        return self.x_test is not None

    def splits(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """``(split name, inputs, targets)`` for the train split and, when present, the test split."""
        pairs = [("train", self.x_train, self.y_train)]
        if self.x_test is not None and self.y_test is not None:
            pairs.append(("test", self.x_test, self.y_test))
        return pairs
