"""Collapse onto one class: the model predicts (nearly) one class whatever the input."""

from __future__ import annotations

from trainlab.diagnose.evidence import RunEvidence
from trainlab.diagnose.findings import Evidence, Finding
from trainlab.registry import DETECTORS

COLLAPSE_REFERENCE = "Buda, Maki & Mazurowski 2018, A systematic study of the class imbalance problem in CNNs"


def predicted_and_true_counts(evidence: RunEvidence) -> tuple[list[float], list[float] | None, int | None]:
    """Predictions per class and, when known, true labels per class, with the step they were counted at.

    The last evaluation's confusion matrix gives both (columns: predicted, rows: true); without one,
    the output instrument's predicted-class histogram gives the predictions alone.
    """
    for record in reversed(evidence.evals()):
        matrix = record.get("confusion_matrix")
        if isinstance(matrix, list) and matrix and all(isinstance(row, list) for row in matrix):
            predicted = [float(sum(column)) for column in zip(*matrix, strict=True)]
            return predicted, [float(sum(row)) for row in matrix], int(record["step"])
    for record in reversed(evidence.rows("output")):
        if isinstance(record.get("class_hist"), list) and record["class_hist"]:
            return [float(count) for count in record["class_hist"]], None, int(record["step"])
    return [], None, None


@DETECTORS.register("class_collapse", reference=COLLAPSE_REFERENCE)
class ClassCollapse:
    """Collapse onto one class: most predictions go to one class, far beyond its share of the labels.

    Args:
        max_class_share: Flag when one class receives more than this fraction of the predictions.
        min_excess: ... and that fraction exceeds the class's share of the true labels (1/C when
            they are unknown) by more than this, so a genuinely dominant class is not flagged.
        imbalance_ratio: Labels whose largest class outnumbers the smallest by this factor are called
            imbalanced in the hint (Buda et al. 2018 study ratios from 10 upwards).
    """

    needs = ("classification", "outputs")

    def __init__(self, max_class_share: float = 0.8, min_excess: float = 0.2, imbalance_ratio: float = 10.0):
        self.max_class_share = max_class_share
        self.min_excess = min_excess
        self.imbalance_ratio = imbalance_ratio

    def check(self, evidence: RunEvidence) -> list[Finding]:
        predicted, true, step = predicted_and_true_counts(evidence)
        total = sum(predicted)
        if len(predicted) < 2 or total <= 0:
            return []
        top = max(range(len(predicted)), key=lambda c: predicted[c])
        share = predicted[top] / total
        true_share = true[top] / max(sum(true), 1.0) if true else 1.0 / len(predicted)
        if not (share > self.max_class_share and share - true_share > self.min_excess):
            return []
        # The evaluated split's labels, or the recipe's long-tailed training split (data.imbalance.ratio).
        imbalance = max(true) / max(min(true), 1.0) if true else None
        recipe_ratio = evidence.setting("data.imbalance.ratio")
        if isinstance(recipe_ratio, (int, float)) and recipe_ratio > (imbalance or 0):
            imbalance = float(recipe_ratio)
        imbalanced = imbalance is not None and imbalance >= self.imbalance_ratio
        hint = (
            f" The training labels are imbalanced (largest/smallest class {imbalance:.0f}x): weight the loss by class."
            if imbalanced
            else ""
        )
        classes = (evidence.summary or {}).get("data", {}).get("classes") or []
        name = classes[top] if top < len(classes) else str(top)
        return [
            Finding(
                id="class_collapse",
                severity="warn",
                title=f"predictions collapse onto class {name}",
                steps=(step, step) if step is not None else None,
                layers=("output",),
                evidence=(
                    Evidence(
                        f"share of predictions for class {name} (labels: {true_share:.2f})",
                        share,
                        self.max_class_share,
                        ">",
                    ),
                ),
                cause=(
                    "The model found that answering the most rewarded class lowers the loss more than telling "
                    "the classes apart: a rare class is outvoted, or the features carry little signal." + hint
                ),
                fix=("loss.class_weights=inverse_frequency",) if imbalanced else (),
                remedy=(
                    "Weight the loss by class (loss.class_weights=inverse_frequency or effective_number), "
                    "resample (sampler: class_balanced), use focal or LDAM loss; judge with f1_macro, not accuracy."
                ),
                reference=f"{COLLAPSE_REFERENCE}; Cui et al. 2019, Class-Balanced Loss",
                details={"predicted_per_class": predicted, "labels_per_class": true},
            )
        ]
