"""Classification metrics against scikit-learn on random inputs."""

import numpy as np
import pytest
import torch
from sklearn import metrics as sk

import trainlab

C = 4


def _data(seed=0, n=300):
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, C, (n,), generator=generator)
    logits = torch.randn(n, C, generator=generator) + 1.5 * torch.nn.functional.one_hot(labels, C)
    return logits, labels


def _compute(name, logits, labels, **options):
    metric = (
        trainlab.create("metric", name, num_classes=C, **options)
        if name != "log_loss"
        else trainlab.create("metric", name)
    )
    for start in range(0, len(labels), 64):  # batched updates, as in evaluation
        metric.update(logits[start : start + 64], labels[start : start + 64])
    return metric.compute()


@pytest.mark.parametrize("kind", ["precision", "recall", "f1"])
@pytest.mark.parametrize("average", ["micro", "macro", "weighted"])
def test_averaged_scores_equal_sklearn(kind, average):
    logits, labels = _data()
    predicted = logits.argmax(1).numpy()
    reference = {"precision": sk.precision_score, "recall": sk.recall_score, "f1": sk.f1_score}[kind]
    expected = reference(labels.numpy(), predicted, average=average)
    assert _compute(f"{kind}_{average}", logits, labels).item() == pytest.approx(expected, abs=1e-6)


def test_accuracy_top_k_and_confusion_matrix_equal_sklearn():
    logits, labels = _data(1)
    y, scores = labels.numpy(), logits.numpy()
    assert _compute("accuracy", logits, labels).item() == pytest.approx(
        sk.accuracy_score(y, scores.argmax(1))
    )
    assert _compute("top_k_accuracy", logits, labels, k=2).item() == pytest.approx(
        sk.top_k_accuracy_score(y, scores, k=2)
    )
    np.testing.assert_array_equal(
        _compute("confusion_matrix", logits, labels).numpy(), sk.confusion_matrix(y, scores.argmax(1))
    )


def test_roc_auc_average_precision_and_log_loss_equal_sklearn():
    logits, labels = _data(2)
    y, probs = labels.numpy(), torch.softmax(logits.double(), 1).numpy()
    assert _compute("roc_auc", logits, labels).item() == pytest.approx(
        sk.roc_auc_score(y, probs, multi_class="ovr", average="macro"), abs=1e-5
    )
    expected_ap = np.mean([sk.average_precision_score(y == c, probs[:, c]) for c in range(C)])
    assert _compute("average_precision", logits, labels).item() == pytest.approx(expected_ap, abs=1e-5)
    assert _compute("log_loss", logits, labels).item() == pytest.approx(
        sk.log_loss(y, probs, labels=range(C)), rel=1e-6
    )


def test_roc_and_pr_curves_match_sklearn_at_the_bin_thresholds():
    logits, labels = _data(3)
    y, probs = labels.numpy(), torch.softmax(logits, 1).numpy()
    thresholds = np.linspace(0, 1, 11)[::-1]  # torchmetrics orders binned curves by decreasing threshold
    roc = _compute("roc_curve", logits, labels, thresholds=11).numpy()
    for c in range(C):
        positive = y == c
        for i, t in enumerate(thresholds):
            predicted = probs[:, c] >= t
            assert roc[1, c, i] == pytest.approx((predicted & positive).sum() / positive.sum(), abs=1e-6)
            assert roc[0, c, i] == pytest.approx((predicted & ~positive).sum() / (~positive).sum(), abs=1e-6)
    pr = _compute("pr_curve", logits, labels, thresholds=11).numpy()
    assert pr.shape[:2] == (2, C)


def test_ece_matches_its_formula():
    logits, labels = _data(4)
    probs = torch.softmax(logits.double(), 1)
    confidence, predicted = probs.max(1)
    correct = (predicted == labels).double()
    edges = torch.linspace(0, 1, 16, dtype=torch.float64)
    ece = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        in_bin = (confidence > low) & (confidence <= high)
        if in_bin.any():
            ece += in_bin.double().mean() * (confidence[in_bin].mean() - correct[in_bin].mean()).abs()
    assert _compute("ece", logits, labels).item() == pytest.approx(float(ece), abs=1e-5)
