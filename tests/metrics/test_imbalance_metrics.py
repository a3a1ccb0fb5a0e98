"""Imbalance and cost metrics against scikit-learn and imbalanced-learn; cost curves against brute force."""

import numpy as np
import pytest
import torch
from sklearn import metrics as skm
from sklearn.metrics import roc_curve

import trainlab
from trainlab.errors import ConfigError
from trainlab.metrics.cost_curve import cost_curve, plot_cost_curve

CLASSES = 4


def _predictions(seed=0, n=300):
    """Imbalanced labels (60/25/10/5 %) and logits that are right about 60% of the time."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.multinomial(torch.tensor([0.6, 0.25, 0.1, 0.05]), n, replacement=True, generator=generator)
    logits = torch.randn(n, CLASSES, generator=generator)
    logits[torch.arange(n), labels] += 1.5
    return logits, labels


def _score(name, logits, labels, **options):
    metric = trainlab.create("metric", name, num_classes=CLASSES, **options)
    metric.update(logits, labels)
    return float(metric.compute())


@pytest.mark.parametrize(
    ("name", "options", "reference"),
    [
        ("mcc", {}, skm.matthews_corrcoef),
        ("cohen_kappa", {}, skm.cohen_kappa_score),
        (
            "cohen_kappa",
            {"weights": "quadratic"},
            lambda y, p: skm.cohen_kappa_score(y, p, weights="quadratic"),
        ),
        ("balanced_accuracy", {}, skm.balanced_accuracy_score),
        ("fbeta", {}, lambda y, p: skm.fbeta_score(y, p, beta=2.0, average="macro")),
        (
            "fbeta",
            {"beta": 0.5, "average": "weighted"},
            lambda y, p: skm.fbeta_score(y, p, beta=0.5, average="weighted"),
        ),
    ],
)
def test_metric_equals_scikit_learn(name, options, reference):
    logits, labels = _predictions()
    predicted = logits.argmax(1).numpy()
    assert _score(name, logits, labels, **options) == pytest.approx(
        reference(labels.numpy(), predicted), abs=1e-6
    )


def test_g_mean_equals_imbalanced_learn_and_the_recall_formula():
    from imblearn.metrics import geometric_mean_score

    logits, labels = _predictions(1)
    predicted = logits.argmax(1).numpy()
    recalls = skm.recall_score(labels.numpy(), predicted, average=None)
    assert _score("g_mean", logits, labels) == pytest.approx(
        float(np.prod(recalls) ** (1 / CLASSES)), abs=1e-6
    )
    assert _score("g_mean", logits, labels) == pytest.approx(
        geometric_mean_score(labels.numpy(), predicted), abs=1e-6
    )


def test_cost_error_is_the_mean_cost_of_the_predictions():
    logits, labels = _predictions(2)
    predicted = logits.argmax(1)
    costs = [[0, 1, 2, 3], [5, 0, 1, 2], [10, 5, 0, 1], [20, 10, 5, 0]]
    expected = float(torch.tensor(costs, dtype=torch.float64)[labels, predicted].mean())
    assert _score("cost_error", logits, labels, costs=costs) == pytest.approx(expected, abs=1e-12)
    assert _score("cost_error", logits, labels) == pytest.approx(
        1 - skm.accuracy_score(labels, predicted), abs=1e-12
    )


def test_a_cost_matrix_of_the_wrong_shape_names_costs():
    with pytest.raises(ConfigError, match="costs: needs a 4 x 4 matrix"):
        trainlab.create("metric", "cost_error", num_classes=CLASSES, costs=[[0, 1], [1, 0]])


def test_cost_curve_is_the_lower_envelope_of_the_roc_points_lines(tmp_path):
    generator = torch.Generator().manual_seed(3)
    positives = torch.rand(200, generator=generator) < 0.3
    scores = positives.double() + torch.randn(200, generator=generator, dtype=torch.float64)
    scores[:20] = scores[20:40]  # ties share one threshold, as in scikit-learn's roc_curve
    curve = cost_curve(scores, positives, points=11)
    fpr, tpr, _ = roc_curve(positives.numpy(), scores.numpy(), drop_intermediate=False)
    for pc, cost in zip(curve["probability_cost"].tolist(), curve["normalized_cost"].tolist(), strict=True):
        brute = min((1 - t) * pc + f * (1 - pc) for f, t in zip(fpr, tpr, strict=True))
        assert cost == pytest.approx(brute, abs=1e-12)
    # The trivial classifiers bound it: never above min(PC, 1 − PC).
    assert bool(
        (
            curve["normalized_cost"]
            <= torch.minimum(curve["probability_cost"], 1 - curve["probability_cost"]) + 1e-12
        ).all()
    )
    out = plot_cost_curve(curve, tmp_path / "cost.png") or tmp_path / "cost.png"
    assert out.stat().st_size > 0
