"""What every detector shares: the protocol the doctor calls, what each one needs, and fixes as recipe edits."""

from __future__ import annotations

import math
from typing import Protocol

from trainlab.diagnose.evidence import RunEvidence
from trainlab.diagnose.findings import Finding

# What a detector can need, and how the doctor says it was missing.
NEEDS = {
    "records": "instruments (run with `trainlab fit --diagnose`)",
    "activations": "activation records (the activation instrument)",
    "outputs": "output records or a confusion matrix in the evaluations",
    "validation": "evaluations during training (train.eval_every)",
    "classification": "a classification task",
    "recipe": "the run's recipe.yaml",
}


class Detector(Protocol):
    """A check of one pathology: reads a run's evidence, returns findings (none when all is well)."""

    needs: tuple[str, ...]

    def check(self, evidence: RunEvidence) -> list[Finding]: ...


def unmet_needs(detector: Detector, evidence: RunEvidence) -> list[str]:
    """The evidence ``detector`` needs that this run lacks, in the words of :data:`NEEDS`."""
    have = {
        "records": evidence.instrumented,
        "activations": bool(evidence.rows("activation")),
        "outputs": bool(evidence.rows("output")) or any("confusion_matrix" in r for r in evidence.evals()),
        "validation": bool(evidence.evals()),
        "classification": evidence.num_classes() is not None,
        "recipe": evidence.recipe is not None,
    }
    unmet = [need for need in detector.needs if not have[need]]
    if "records" in unmet:  # without instruments, naming each missing kind of record says nothing more
        unmet = [need for need in unmet if need not in ("activations", "outputs")]
    return [NEEDS[need] for need in unmet]


def learning_rate(evidence: RunEvidence) -> float | None:
    """The recipe's peak learning rate (``optimizer.lr``), or None."""
    lr = evidence.setting("optimizer.lr")
    return float(lr) if isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0 else None


def lr_edit(evidence: RunEvidence, factor: float) -> tuple[str, ...]:
    """``("optimizer.lr=<lr × factor>",)``, rounded to one significant digit; empty if the lr is unknown."""
    lr = learning_rate(evidence)
    if lr is None:
        return ()
    return (f"optimizer.lr={float(f'{lr * factor:.1g}'):g}",)


def activation_name(evidence: RunEvidence) -> str:
    """The model's activation (``model.activation``), lower case, or ""."""
    return str(evidence.setting("model.activation", "") or "").lower()


def recommended_init(evidence: RunEvidence) -> str:
    """The initialization the canon pairs with the model's activation: He for ReLUs, Glorot otherwise."""
    return (
        "xavier_normal" if activation_name(evidence) in ("sigmoid", "tanh", "softsign") else "kaiming_normal"
    )


def worst_layers(
    values: dict[str, float], *, largest: bool = True, count: int | None = None
) -> tuple[str, ...]:
    """Layer names ordered worst first (the largest values, or the smallest), at most ``count``."""
    ordered = sorted(values, key=lambda layer: -values[layer] if largest else values[layer])
    return tuple(ordered[:count])
