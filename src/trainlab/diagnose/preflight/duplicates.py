"""Duplicate samples within the training split and across train/val/test (leakage), found by hashing rows."""

from __future__ import annotations

import hashlib
from typing import Annotated

import torch
from pydantic import Field

from trainlab.diagnose.preflight._base import CheckResult, PreflightContext
from trainlab.registry import PREFLIGHT_CHECKS


@PREFLIGHT_CHECKS.register(
    "duplicates",
    reference="Kaufman, Rosset, Perlich & Stitelman 2012, Leakage in Data Mining (TKDD 6(4)); "
    "Barz & Denzler 2020, Do We Train on Test Data? Purging CIFAR of Near-Duplicates",
)
class DuplicatesCheck:
    """Exact duplicate inputs within the training split, and evaluation samples that are training samples.

    Every sample's input is hashed (BLAKE2b of its bytes after scaling, which maps equal rows to
    equal rows), so the check is one pass over the data.

    Args:
        max_leak_fraction: Fraction of a validation or test split that may repeat training
            samples before the split counts as leaked (fail); any repeat at all is a warning.
        max_duplicate_fraction: Fraction of repeated samples within the training split before it
            is a warning (they weigh those samples double).
    """

    def __init__(
        self,
        max_leak_fraction: Annotated[float, Field(ge=0, le=1)] = 0.01,
        max_duplicate_fraction: Annotated[float, Field(ge=0, le=1)] = 0.01,
    ):
        self.max_leak_fraction = max_leak_fraction
        self.max_duplicate_fraction = max_duplicate_fraction

    def run(self, context: PreflightContext) -> list[CheckResult]:
        train = context.split("train")
        assert train is not None
        train_labels = _labels_by_hash(*train)
        rows = [self.within_train(train_labels, len(train[0]))]
        for name in ("val", "test"):
            split = context.split(name)
            if split is not None:
                rows.append(self.across(name, row_hashes(split[0]), train_labels))
        return rows

    def within_train(self, labels: dict[bytes, set], size: int) -> CheckResult:
        repeated = size - len(labels)
        conflicting = sum(len(seen) > 1 for seen in labels.values())
        fraction = repeated / size
        measured = f"{repeated} of {size} training samples repeat another ({fraction:.2%})"
        if conflicting:
            measured += f"; {conflicting} inputs carry different labels"
        if fraction <= self.max_duplicate_fraction and not conflicting:
            return CheckResult("duplicates.train", "pass", measured)
        return CheckResult(
            "duplicates.train",
            "warn",
            measured,
            fix="deduplicate the training data; inspect inputs that carry different labels (label noise)",
            meaning="repeated samples count several times in the loss; one input with two labels cannot be fitted",
        )

    def across(self, name: str, hashes: list[bytes], train_labels: dict[bytes, set]) -> CheckResult:
        leaked = sum(h in train_labels for h in hashes)
        fraction = leaked / len(hashes)
        measured = f"{leaked} of {len(hashes)} {name} samples are also training samples ({fraction:.2%})"
        check = f"duplicates.train_{name}"
        if leaked == 0:
            return CheckResult(check, "pass", measured)
        return CheckResult(
            check,
            "fail" if fraction > self.max_leak_fraction else "warn",
            measured,
            fix=f"remove the training samples' copies from the {name} split (split after deduplicating)",
            meaning=f"the {name} score partly measures memorization: it overstates how well the model generalizes",
        )


def row_hashes(inputs: torch.Tensor) -> list[bytes]:
    """A BLAKE2b digest of each sample's bytes."""
    rows = inputs.reshape(len(inputs), -1).contiguous().numpy()
    return [hashlib.blake2b(row.tobytes(), digest_size=16).digest() for row in rows]


def _labels_by_hash(inputs: torch.Tensor, targets: torch.Tensor) -> dict[bytes, set]:
    labels: dict[bytes, set] = {}
    for digest, target in zip(row_hashes(inputs), targets.reshape(len(targets), -1).tolist(), strict=True):
        labels.setdefault(digest, set()).add(tuple(target))
    return labels
