"""How well the run fits: not learning at all (loss at ln C), overfitting (variance), underfitting (bias)."""

from __future__ import annotations

import math
from typing import Any

from trainlab.diagnose.detectors._base import recommended_init
from trainlab.diagnose.evidence import RunEvidence
from trainlab.diagnose.findings import Evidence, Finding, step_range
from trainlab.registry import DETECTORS

BIAS_VARIANCE_REFERENCE = (
    "Goodfellow et al. 2016, Deep Learning §5.2 (capacity, overfitting, underfitting); "
    "Ng 2018, Machine Learning Yearning ch. 20-32 (bias and variance)"
)


def _final_metric(evidence: RunEvidence, split: str, metric: str) -> float | None:
    """A split's metric from summary.json, else the split's last evaluation."""
    value = (evidence.summary or {}).get(split, {}).get(metric)
    if value is None:
        evals = [r for r in evidence.evals(split) if metric in r]
        value = evals[-1][metric] if evals else None
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def _chance_accuracy(evidence: RunEvidence, classes: int) -> float:
    """The accuracy of always answering the most frequent class (1/C when the counts are unknown)."""
    for record in reversed(evidence.evals()):
        matrix = record.get("confusion_matrix")
        if isinstance(matrix, list) and matrix:
            counts = [sum(row) for row in matrix]
            return max(counts) / max(sum(counts), 1)
    return 1.0 / classes


@DETECTORS.register(
    "not_learning",
    reference="Karpathy 2019, A Recipe for Training Neural Networks (verify loss @ init); Goodfellow et al. 2016 §11.5",
)
class NotLearning:
    """Not learning: the training loss stays at ln C, or accuracy stays at chance.

    Args:
        loss_tolerance: The final training loss counts as "at ln C" when it is within this fraction
            of ln C, the loss of a uniform prediction over C classes (Karpathy 2019: -ln(1/C) is the
            loss to expect at initialization, and a run should leave it).
        accuracy_margin: Accuracy counts as "at chance" when it is below chance plus this fraction of
            the distance from chance to 1.
    """

    needs = ("classification",)

    def __init__(self, loss_tolerance: float = 0.1, accuracy_margin: float = 0.1):
        self.loss_tolerance = loss_tolerance
        self.accuracy_margin = accuracy_margin

    def check(self, evidence: RunEvidence) -> list[Finding]:
        classes = evidence.num_classes()
        losses = evidence.train_losses()
        if not classes or classes < 2 or not losses:
            return []
        chance_loss = math.log(classes)
        final_loss = losses[-1][1]
        distance = abs(final_loss - chance_loss) / chance_loss
        evidences = []
        if distance < self.loss_tolerance:
            evidences.append(
                Evidence(
                    f"|final training loss - ln {classes}| / ln {classes}", distance, self.loss_tolerance, "<"
                )
            )
        split = evidence.eval_split()
        accuracy = _final_metric(evidence, split, "accuracy") if split else None
        chance = _chance_accuracy(evidence, classes)
        at_chance = chance + self.accuracy_margin * (1 - chance)
        if accuracy is not None and accuracy < at_chance:
            evidences.append(Evidence(f"{split} accuracy (chance {chance:.3g})", accuracy, at_chance, "<"))
        if not evidences or (accuracy is not None and accuracy >= at_chance):
            return []
        return [
            Finding(
                id="not_learning",
                severity="error",
                title=f"not learning: loss at ln {classes} = {chance_loss:.3g}, accuracy at chance",
                steps=step_range([step for step, _ in losses]),
                layers=(),
                evidence=tuple(evidences),
                cause=(
                    "The model predicts no better than a uniform guess: the labels carry no signal the model can "
                    "reach (shuffled or misaligned labels), or no useful gradient reaches the weights."
                ),
                fix=_symmetry_fix(evidence),
                remedy=(
                    "Weights that start equal stay equal: a constant init needs a random one. Otherwise "
                    "run `trainlab preflight RECIPE`: overfit one small batch (fails: the wiring or the lr is "
                    "wrong), the shuffled-label control and the label checks (fails: the data is broken); "
                    "look at the other findings for the lr and the gradients."
                ),
                reference="Karpathy 2019, A Recipe for Training Neural Networks; Goodfellow et al. 2016 §11.5",
                details={"ln_classes": chance_loss, "chance_accuracy": chance},
            )
        ]


@DETECTORS.register("overfitting", reference=BIAS_VARIANCE_REFERENCE)
class Overfitting:
    """Overfitting (variance): validation loss rises while training loss falls, or a large accuracy gap.

    Args:
        min_rise: Flag a final validation loss above its best by more than this fraction while the
            training loss kept falling (Goodfellow et al. 2016 §7.8, Fig. 7.3: the U-shaped
            validation curve that early stopping cuts).
        patience: ... when at least this many evaluations came after the best, all of them above it
            (early stopping's patience: one noisy evaluation on a small validation set is no trend).
        max_accuracy_gap: Flag a training accuracy above the validation accuracy by more than this
            (Ng 2018 ch. 21: variance is the gap between training and dev error).
    """

    needs = ("validation",)

    def __init__(self, min_rise: float = 0.1, patience: int = 2, max_accuracy_gap: float = 0.15):
        self.min_rise = min_rise
        self.patience = patience
        self.max_accuracy_gap = max_accuracy_gap

    def check(self, evidence: RunEvidence) -> list[Finding]:
        split = evidence.eval_split()
        evals = [r for r in evidence.evals(split) if isinstance(r.get("loss"), (int, float))]
        evidences, steps = [], []
        if len(evals) >= 3:
            best = min(evals, key=lambda r: r["loss"])
            final = evals[-1]
            rise = final["loss"] / best["loss"] - 1 if best["loss"] > 0 else 0.0
            after_best = evals[evals.index(best) + 1 :]
            train_then, train_now = (
                _train_loss_at(evidence, best["step"]),
                _train_loss_at(evidence, final["step"]),
            )
            if (
                len(after_best) >= self.patience
                and rise > self.min_rise
                and train_then is not None
                and train_now is not None
                and train_now < train_then
            ):
                evidences.append(
                    Evidence(
                        f"{split} loss rise since its best (step {best['step']})", rise, self.min_rise, ">"
                    )
                )
                steps += [best["step"], final["step"]]
        train_accuracy, split_accuracy = (
            _final_metric(evidence, "train", "accuracy"),
            _final_metric(evidence, split or "val", "accuracy"),
        )
        if train_accuracy is not None and split_accuracy is not None:
            gap = train_accuracy - split_accuracy
            if gap > self.max_accuracy_gap:
                evidences.append(Evidence(f"train - {split} accuracy", gap, self.max_accuracy_gap, ">"))
        if not evidences:
            return []
        return [
            Finding(
                id="overfitting",
                severity="warn",
                title="overfitting (high variance)",
                steps=step_range(steps),
                layers=(),
                evidence=tuple(evidences),
                cause="The model fits noise in the training set that does not carry over to new data.",
                fix=_variance_fix(evidence),
                remedy=(
                    "Variance remedies: more training data or augmentation, regularization (weight decay, "
                    "dropout), early stopping (callbacks: [early_stopping]) or a smaller model."
                ),
                reference=BIAS_VARIANCE_REFERENCE,
                details={"train_accuracy": train_accuracy, f"{split}_accuracy": split_accuracy},
            )
        ]


@DETECTORS.register("underfitting", reference=BIAS_VARIANCE_REFERENCE)
class Underfitting:
    """Underfitting (bias): the model does not fit even the training set.

    Args:
        max_train_error: Flag a final training error (1 - accuracy) above this. The right value is
            your task's achievable error plus a margin (Ng 2018 ch. 22-23 compare training error with
            the optimal error); 0.2 suits the built-in datasets, which small models fit to > 90%.
    """

    needs = ("classification",)

    def __init__(self, max_train_error: float = 0.2):
        self.max_train_error = max_train_error

    def check(self, evidence: RunEvidence) -> list[Finding]:
        accuracy = _final_metric(evidence, "train", "accuracy")
        if accuracy is None or not 1 - accuracy > self.max_train_error:
            return []
        return [
            Finding(
                id="underfitting",
                severity="warn",
                title="underfitting (high bias)",
                steps=None,
                layers=(),
                evidence=(Evidence("final training error", 1 - accuracy, self.max_train_error, ">"),),
                cause="The model cannot represent the training data well, or it was not trained long enough.",
                fix=_bias_fix(evidence),
                remedy=(
                    "Bias remedies: a bigger model (model.width, model.depth), training longer (train.steps), "
                    "less regularization, a better optimizer or learning rate."
                ),
                reference=BIAS_VARIANCE_REFERENCE,
                details={"train_accuracy": accuracy},
            )
        ]


def _train_loss_at(evidence: RunEvidence, step: int) -> float | None:
    """The last logged training loss at or before ``step``."""
    before = [loss for s, loss in evidence.train_losses() if s <= step]
    return before[-1] if before else None


def _symmetry_fix(evidence: RunEvidence) -> tuple[str, ...]:
    """A random init when the model's starts constant: equal weights get equal gradients (Goodfellow et al. §8.4)."""
    init = evidence.setting("model.init.name", evidence.setting("model.init"))
    if init in ("zeros", "constant"):
        return (f"model.init={recommended_init(evidence)}",)
    return ()


def _variance_fix(evidence: RunEvidence) -> tuple[str, ...]:
    edits = []
    dropout = evidence.setting("model.dropout")
    if isinstance(dropout, (int, float)) and dropout < 0.3:
        edits.append("model.dropout=0.3")
    decay = evidence.setting("optimizer.weight_decay")
    if isinstance(decay, (int, float)):
        edits.append(f"optimizer.weight_decay={max(decay * 10, 0.05):g}")
    return tuple(edits)


def _bias_fix(evidence: RunEvidence) -> tuple[str, ...]:
    width: Any = evidence.setting("model.width")
    steps: Any = evidence.setting("train.steps")
    edits = []
    if isinstance(width, int):
        edits.append(f"model.width={max(width * 4, 64)}")
    if isinstance(steps, int):
        edits.append(f"train.steps={steps * 2}")
    return tuple(edits)
