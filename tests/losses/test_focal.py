"""Focal loss against its formula, and gamma = 0 against torch's cross-entropy."""

import torch
import torch.nn.functional as F

import trainlab
from trainlab.losses import sigmoid_focal_loss, softmax_focal_loss


def test_focal_with_gamma_zero_is_cross_entropy():
    torch.manual_seed(0)
    logits, labels = torch.randn(32, 5, dtype=torch.float64), torch.randint(0, 5, (32,))
    loss = trainlab.create("loss", "focal", gamma=0.0)
    torch.testing.assert_close(loss(logits, labels), F.cross_entropy(logits, labels))


def test_softmax_focal_matches_the_papers_formula():
    torch.manual_seed(1)
    logits, labels = torch.randn(16, 4, dtype=torch.float64), torch.randint(0, 4, (16,))
    p_true = torch.softmax(logits, 1).gather(1, labels[:, None]).squeeze(1)
    expected = (-((1 - p_true) ** 2) * torch.log(p_true)).mean()
    torch.testing.assert_close(trainlab.create("loss", "focal", gamma=2.0)(logits, labels), expected)


def test_softmax_focal_accepts_soft_targets():
    logits = torch.randn(8, 3, dtype=torch.float64)
    labels = torch.randint(0, 3, (8,))
    one_hot = F.one_hot(labels, 3).double()
    torch.testing.assert_close(
        softmax_focal_loss(logits, one_hot, 2.0), softmax_focal_loss(logits, labels, 2.0)
    )


def test_sigmoid_focal_matches_the_papers_formula():
    torch.manual_seed(2)
    logits, targets = torch.randn(10, 3, dtype=torch.float64), torch.randint(0, 2, (10, 3)).double()
    p = torch.sigmoid(logits)
    p_t = torch.where(targets == 1, p, 1 - p)
    alpha_t = torch.where(targets == 1, 0.25, 0.75)
    expected = (-alpha_t * (1 - p_t) ** 2 * torch.log(p_t)).mean()
    torch.testing.assert_close(sigmoid_focal_loss(logits, targets, 2.0, 0.25), expected)


def test_sigmoid_focal_without_focusing_or_alpha_is_bce():
    logits, targets = torch.randn(10, 3, dtype=torch.float64), torch.randint(0, 2, (10, 3)).double()
    torch.testing.assert_close(
        sigmoid_focal_loss(logits, targets, 0.0, None), F.binary_cross_entropy_with_logits(logits, targets)
    )
