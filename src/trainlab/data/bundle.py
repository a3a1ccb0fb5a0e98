"""DataBundle: the train/val/test splits of one task, with what the model needs to know about them."""

from __future__ import annotations

from collections.abc import Sized
from dataclasses import dataclass, field
from typing import Literal

from torch.utils.data import Dataset

from trainlab.errors import DataError

Task = Literal["classification", "regression"]


@dataclass
class DataBundle:
    """The splits a run trains, validates and tests on.

    Attributes:
        name: The dataset's registry name (or ``"custom"`` for data passed from Python).
        task: ``"classification"`` (integer labels in ``[0, num_classes)``) or ``"regression"``.
        train: Training split. A ``torch.utils.data.TensorDataset`` gets the fast in-memory iterator.
        val: Validation split, or None when ``val_fraction`` is 0.
        test: Test split, or None when the data has none. No split is ever empty: an empty one
            would be evaluated to scores of 0 that read like results, so making one raises DataError.
        input_shape: Shape of one sample, channels first: ``(F,)`` for a feature vector,
            ``(C, L)`` for a signal (mnist1d is ``(1, 40)``), ``(C, H, W)`` for an image (digits is ``(1, 8, 8)``).
        num_classes: Number of classes for classification, None for regression.
        target_shape: Shape of one regression target: ``()`` for a scalar, ``(k,)`` for k outputs.
        class_names: Optional human-readable class names.
        info: Free-form facts recorded in the run summary (source, sizes, scaling, and ``classes``:
            what each class index stands for, its name or its label in the source data).
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

    def __post_init__(self) -> None:
        # An empty split evaluates to scores of 0 that look like results; refuse it where it is made.
        for split in ("train", "val", "test"):
            dataset = self.split(split)
            if dataset is not None and _length(dataset) == 0:
                raise DataError(
                    f"Data '{self.name}': the {split} split has no samples. Give it samples"
                    + (", or pass None for no split." if split != "train" else ".")
                )

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

    def size(self, name: str) -> int:
        """Samples in a split; 0 when there is no such split.

        Raises:
            DataError: a split that does not know its length (an iterable Dataset).
        """
        dataset = self.split(name)
        if dataset is None:
            return 0
        length = _length(dataset)
        if length is None:
            raise DataError(
                f"the {name} split ({type(dataset).__name__}) has no len(); trainlab needs map-style Datasets"
            )
        return length

    def split(self, name: str) -> Dataset | None:
        if name not in ("train", "val", "test"):
            raise ValueError(f"unknown split {name!r}; expected train, val or test")
        return getattr(self, name)


def _length(dataset: Dataset) -> int | None:
    """``len(dataset)``, or None for a Dataset that does not know its length (an iterable one)."""
    return len(dataset) if isinstance(dataset, Sized) else None
