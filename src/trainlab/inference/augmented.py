"""Test-time augmentation: predictions averaged over the run's own training augmentations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from trainlab.errors import TrainlabError
from trainlab.inference.predictor import Predictor

# Mixup and cutmix blend a sample with another sample of the batch: averaged at test time they
# would mix other rows' inputs into each prediction, so they take no part in TTA.
LABEL_MIXING = frozenset({"mixup", "cutmix"})
DEFAULT_PASSES = 8
# Augmentations draw from torch's generator: a fixed seed makes a TTA prediction repeatable.
TTA_SEED = 0


class Augmented:
    """A predictor's scores averaged over the unaugmented inputs and ``passes`` augmented copies.

    Args:
        predictor: A loaded run.
        transform: The run's augmentations, ``(inputs, targets) -> (inputs, targets)`` on scaled batches.
        passes: Augmented copies per sample, on top of the sample itself.
    """

    def __init__(self, predictor: Predictor, transform: Any, passes: int = DEFAULT_PASSES):
        self.predictor = predictor
        self.transform = transform
        self.passes = passes

    def scores(self, inputs: torch.Tensor) -> torch.Tensor:
        """Mean scores (probabilities or values) of preprocessed ``inputs`` over the augmented copies."""
        total = self.predictor.scores(inputs)
        placeholder_targets = torch.zeros(len(inputs), dtype=torch.long)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(TTA_SEED)
            for _ in range(self.passes):
                augmented, _ = self.transform(inputs, placeholder_targets)
                total = total + self.predictor.scores(augmented)
        return total / (self.passes + 1)


def run_augmentations(predictor: Predictor) -> Any:
    """The augmentations the predictor's run trained with (its recipe's ``augment:``), composed, less
    the label-mixing ones.

    Raises:
        TrainlabError: the run has no augmentation that applies at test time.
    """
    from trainlab.data import AUGMENTATIONS, Compose
    from trainlab.recipe_yaml import read_recipe_file

    run_dir = Path(predictor.run_dir or ".")
    specs = [
        {"name": spec} if isinstance(spec, str) else dict(spec)
        for spec in read_recipe_file(run_dir / "recipe.yaml").get("augment") or []
    ]
    kept = [spec for spec in specs if spec["name"] not in LABEL_MIXING]
    if not kept:
        used = ", ".join(spec["name"] for spec in specs)
        why = (
            f"only label-mixing augmentations ({used}), which need other samples,"
            if used
            else "no augmentation"
        )
        raise TrainlabError(
            f"--tta: the run in '{run_dir}' trained with {why} under augment:; test-time augmentation averages "
            "over the run's own augmentations, so drop --tta (or train with augment: [shift, noise, ...])"
        )
    transforms = []
    for index, spec in enumerate(kept):
        entry = AUGMENTATIONS.get(spec.pop("name"), key=f"augment[{index}].name")
        provided = (
            {"num_classes": len(predictor.classes or ())}
            if "num_classes" in entry.parameters() and "num_classes" not in spec
            else {}
        )
        transforms.append(entry.build(**provided, **spec))
    return Compose(transforms)
