"""Likely mislabelled training samples, by confident learning on out-of-fold predicted probabilities.

Confident learning (Northcutt, Jiang & Chuang 2021) asks a model that never saw a sample what
that sample is. Class j's threshold t_j is the model's average confidence in j over the samples
labelled j; a sample "confidently belongs" to the classes whose probability reaches their
threshold, and its likely true class is the most probable of those. Samples whose likely class
differs from their label are the off-diagonal of the *confident joint* (given label x likely
class): the suspects. Out-of-fold probabilities (each fold predicted by a model trained on the
others) keep a model from vouching for labels it memorized.

The probabilities come from the recipe's own model and training, run once per fold, so the
detector improves with the classifier. ``cleanlab`` implements the same method; the tests check
this one against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.utils.data import TensorDataset

from trainlab.data.bundle import DataBundle
from trainlab.errors import ConfigError, Problem

# A probability counts as reaching its threshold within float noise (as cleanlab does).
THRESHOLD_SLACK = 1e-6


@dataclass
class LabelIssues:
    """The suspects, most suspicious first, and what confident learning saw.

    Attributes:
        indices: Training-split indices of the suspects, by rising confidence in their given label.
        given: Their given labels (class indices).
        suggested: The class confident learning believes instead.
        self_confidence: The out-of-fold probability of the given label.
        confident_joint: ``(K, K)`` counts of (given label, likely class) over the confidently counted samples.
        thresholds: Per-class thresholds t_j.
    """

    indices: np.ndarray
    given: np.ndarray
    suggested: np.ndarray
    self_confidence: np.ndarray
    confident_joint: np.ndarray
    thresholds: np.ndarray

    def scores_against(self, flipped: Any) -> dict[str, float]:
        """Precision and recall of the suspects against the samples known to be flipped."""
        truth = {int(i) for i in flipped}
        found = {int(i) for i in self.indices}
        hits = len(truth & found)
        return {
            "suspects": len(found),
            "flipped": len(truth),
            "precision": hits / len(found) if found else float("nan"),
            "recall": hits / len(truth) if truth else float("nan"),
        }


def confident_learning(labels: np.ndarray, probabilities: np.ndarray) -> LabelIssues:
    """The off-diagonal of the confident joint (Northcutt et al. 2021, Eq. 1 and Sec. 3.1) as suspects.

    Args:
        labels: ``(N,)`` given class indices.
        probabilities: ``(N, K)`` out-of-fold predicted probabilities.
    """
    labels = np.asarray(labels, dtype=np.int64)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    num_classes = probabilities.shape[1]
    thresholds = np.array(
        [probabilities[labels == j, j].mean() if np.any(labels == j) else np.inf for j in range(num_classes)]
    )
    confident = probabilities >= thresholds - THRESHOLD_SLACK
    counted = confident.any(axis=1)
    likely = np.where(confident, probabilities, -np.inf).argmax(axis=1)
    joint = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(joint, (labels[counted], likely[counted]), 1)
    suspects = np.flatnonzero(counted & (likely != labels))
    self_confidence = probabilities[suspects, labels[suspects]]
    order = np.argsort(self_confidence, kind="stable")
    suspects = suspects[order]
    return LabelIssues(
        indices=suspects,
        given=labels[suspects],
        suggested=likely[suspects],
        self_confidence=self_confidence[order],
        confident_joint=joint,
        thresholds=thresholds,
    )


def out_of_fold_probabilities(
    recipe: Any, bundle: DataBundle, *, folds: int = 5, seed: int = 0, trust_code: bool = False
) -> np.ndarray:
    """``(N, K)`` probabilities for the training split, each fold predicted by the recipe trained on the others.

    Raises:
        ConfigError: not an in-memory classification split, or a class with fewer samples than folds.
    """
    from sklearn.model_selection import StratifiedKFold

    from trainlab.api import fit

    if bundle.task != "classification" or not isinstance(bundle.train, TensorDataset):
        raise ConfigError([Problem("data", "label issues need an in-memory classification dataset")])
    inputs, labels = bundle.train.tensors[:2]
    num_classes = bundle.num_outputs
    smallest = int(torch.bincount(labels, minlength=num_classes).min())
    if smallest < folds:
        raise ConfigError(
            [
                Problem(
                    "folds",
                    f"a class has {smallest} training samples, fewer than the {folds} folds; lower --folds",
                )
            ]
        )
    probabilities = np.zeros((len(labels), num_classes))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for fit_index, held_index in splitter.split(np.zeros(len(labels)), labels.numpy()):
        fold = DataBundle(
            name=bundle.name,
            task="classification",
            train=TensorDataset(inputs[fit_index], labels[fit_index]),
            val=None,
            test=None,
            input_shape=bundle.input_shape,
            num_classes=num_classes,
            info={"classes": bundle.info.get("classes"), "scaling": bundle.info.get("scaling", "none")},
        )
        model = fit(recipe, data=fold, save=False, verbose=0, trust_code=trust_code).model.eval()
        with torch.no_grad():
            probabilities[held_index] = torch.softmax(model(inputs[held_index]), dim=1).double().numpy()
    return probabilities


def find_label_issues(
    recipe: Any, *, folds: int = 5, seed: int = 0, trust_code: bool = False
) -> tuple[LabelIssues, DataBundle]:
    """Suspects in the recipe's training split, and the split they index (noise injected, if the recipe asks)."""
    from trainlab.api import resolve_recipe
    from trainlab.build import build_data

    resolved = resolve_recipe(recipe)
    bundle = build_data(resolved)
    probabilities = out_of_fold_probabilities(resolved, bundle, folds=folds, seed=seed, trust_code=trust_code)
    return confident_learning(bundle.train.tensors[1].numpy(), probabilities), bundle  # type: ignore[attr-defined]
