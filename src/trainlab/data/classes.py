"""Class labels as a model sees them: indices 0..K-1 of at least two classes, and what each index stands for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from trainlab.errors import DataError

# A target read as class labels only because its values are whole numbers is more likely a
# quantity (a count, a price, an age) when most samples have a label of their own: then most
# classes have a single sample and no classifier can generalise. Below this many distinct values
# the data is too small to tell.
UNIQUE_LABELS_SHARE = 0.5
UNIQUE_LABELS_MIN_CLASSES = 20


def index_classes(
    labels: Mapping[str, np.ndarray], declared: int | None
) -> tuple[list[Any], dict[str, np.ndarray]]:
    """The label each class index stands for, and every split's labels as class indices.

    With ``declared`` classes the labels already are indices in ``[0, declared)`` and are kept.
    Otherwise the distinct labels of all splits, sorted, become classes ``0..K-1``: labels
    ``{0, 5, 1000}`` make a model with 3 outputs, not 1001, and ``{-1, 1}`` become ``{0, 1}``.

    Args:
        labels: Whole-number labels per split (checked by :func:`trainlab.data.check_labels`).
        declared: The number of classes the dataset declares, or None to index the labels found.

    Returns:
        ``(classes, indexed)``: the original label of each class index (plain Python numbers,
        ready for JSON), and the labels of each split as int64 class indices.
    """
    if declared is not None:
        return list(range(declared)), {split: np.asarray(values) for split, values in labels.items()}
    found = np.unique(np.concatenate([np.asarray(values).reshape(-1) for values in labels.values()]))
    indexed = {split: np.searchsorted(found, values).astype(np.int64) for split, values in labels.items()}
    return [int(label) for label in found], indexed


def index_known_classes(
    labels: Mapping[str, np.ndarray], known: Sequence[Any], *, names: Sequence[str] | None, origin: str
) -> dict[str, np.ndarray]:
    """Every split's labels as indices into ``known``, the classes a trained model already has.

    New data can hold fewer classes than the data a model was trained on, or the same ones in
    another order of appearance; indexing it afresh would then give a label another class's
    output. Labels are matched by what they stand for: their name when the dataset names its
    classes (text labels of a CSV), else their value.

    Args:
        labels: Class indices per split, as the dataset gives them.
        known: What each class index of the model stands for (a run's ``data.classes``).
        names: The dataset's class names, index-aligned with its labels, or None.
        origin: Where the labels come from, named in the message.

    Raises:
        DataError: a label stands for a class the model does not have.
    """
    position = {str(label): index for index, label in enumerate(known)}
    indexed = {}
    for split, values in labels.items():
        found, inverse = np.unique(np.asarray(values), return_inverse=True)
        meant = [str(names[int(label)]) if names is not None else str(int(label)) for label in found]
        unknown = [label for label in meant if label not in position]
        if unknown:
            raise DataError(
                f"{origin}: the {split} labels {', '.join(unknown)} are not among the classes the model "
                f"was trained on ({', '.join(str(label) for label in known)}); evaluate on data of those classes"
            )
        indexed[split] = np.asarray([position[label] for label in meant], dtype=np.int64)[inverse.reshape(-1)]
    return indexed


def check_classes(
    train_labels: np.ndarray,
    classes: Sequence[Any],
    *,
    origin: str,
    inferred: bool,
) -> None:
    """Refuse labels a classifier cannot learn from: a single class, or (when the task was only
    inferred) so many distinct values that the target is most likely a quantity.

    Args:
        train_labels: Class indices of the training samples.
        classes: What each class index stands for (see :func:`index_classes`).
        origin: Where the labels come from, named in the message (``data.target (column 'y' of ...)``).
        inferred: Whether the task was inferred from the values (``task: auto``) rather than chosen.

    Raises:
        DataError: naming the labels' origin, what is wrong, and the fix.
    """
    present = np.unique(train_labels)
    if len(present) < 2:
        only = f"the label {classes[int(present[0])]!r}" if len(present) else "no label"
        raise DataError(
            f"{origin}: every one of the {len(train_labels)} training samples has {only}, a single class. "
            "A classifier needs at least two classes; with one, its accuracy is 1.0 whatever it learns. "
            "Check that the labels come from the right column or array, add samples of other classes, "
            "or set data.task: regression if the target is a quantity."
        )
    many = len(classes) >= UNIQUE_LABELS_MIN_CLASSES and len(classes) > UNIQUE_LABELS_SHARE * len(
        train_labels
    )
    if inferred and many:
        raise DataError(
            f"{origin}: was read as class labels because its values are whole numbers, but "
            f"{len(classes)} distinct values in {len(train_labels)} training samples leave most classes "
            "with a single sample. If the target is a quantity, set data.task: regression; if these "
            "really are classes, set data.task: classification."
        )


def is_text(labels: np.ndarray) -> bool:
    """Whether ``labels`` are text (str or bytes, or Python strings in an object array)."""
    if labels.dtype.kind in "US":
        return True
    return (
        labels.dtype.kind == "O" and labels.size > 0 and all(isinstance(v, (str, bytes)) for v in labels.flat)
    )


def index_text_labels(labels: Sequence[np.ndarray]) -> tuple[list[str], list[np.ndarray]]:
    """Class names (the sorted text labels of all splits) and each split's labels as int64 indices into them."""
    names = np.unique(np.concatenate([np.asarray(split).astype(str).reshape(-1) for split in labels]))
    indices = [np.searchsorted(names, np.asarray(split).astype(str)).astype(np.int64) for split in labels]
    return [str(name) for name in names], indices
