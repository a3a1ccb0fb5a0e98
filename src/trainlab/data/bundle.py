"""DataBundle: the train/val/test splits of one task, with what the model needs to know about them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from torch.utils.data import Dataset

Task = Literal["classification", "regression"]


@dataclass
class DataBundle:
    """The splits a run trains, validates and tests on.

    Attributes:
        name: The dataset's registry name (or ``"custom"`` for data passed from Python).
        task: ``"classification"`` (integer labels in ``[0, num_classes)``) or ``"regression"``.
        train: Training split. A ``torch.utils.data.TensorDataset`` gets the fast in-memory iterator.
        val: Validation split, or None when ``val_fraction`` is 0.
        test: Test split, or None when the data has none.
        input_shape: Shape of one sample, channels first: ``(F,)`` for a feature vector,
            ``(C, L)`` for a signal (mnist1d is ``(1, 40)``), ``(C, H, W)`` for an image (digits is ``(1, 8, 8)``).
        num_classes: Number of classes for classification, None for regression.
        target_shape: Shape of one regression target: ``()`` for a scalar, ``(k,)`` for k outputs.
        class_names: Optional human-readable class names.
        info: Free-form facts recorded in the run summary (source, sizes, scaling).
    """

    name: str
    task: Task
    train: Dataset
    val: Dataset | None
    test: Dataset | None
    input_shape: tuple[int, ...]
    num_classes: int | None = None
    target_shape: tuple[int, ...] = ()
    class_names: list[str] | None = None
    info: dict = field(default_factory=dict)

    @property
    def num_outputs(self) -> int:
        """Width of the model's last layer: classes, or the flattened regression target."""
        if self.task == "classification":
            assert self.num_classes is not None
            return self.num_classes
        size = 1
        for dim in self.target_shape:
            size *= dim
        return size

    def split(self, name: str) -> Dataset | None:
        if name not in ("train", "val", "test"):
            raise ValueError(f"unknown split {name!r}; expected train, val or test")
        return getattr(self, name)
