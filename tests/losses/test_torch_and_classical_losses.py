"""Exponential, log-cosh, quantile and the torch losses registered here, against torch's modules or the formula."""

import math

import pytest
import torch
from torch import nn

import trainlab
from trainlab.losses.margins import label_index_lists

GENERATOR = torch.Generator().manual_seed(0)
SCORES = torch.randn(12, 4, generator=GENERATOR, dtype=torch.float64)
LABELS = torch.randint(0, 4, (12,), generator=GENERATOR)
ONE_HOT = torch.nn.functional.one_hot(LABELS, 4).double()
TARGETS = torch.randn(12, 4, generator=GENERATOR, dtype=torch.float64)


def loss(name, **options):
    return trainlab.create("loss", name, **options)


def test_exponential_loss_is_the_mean_of_exp_minus_margin():
    signs = 2 * ONE_HOT - 1
    expected = (
        sum(
            math.exp(-s * f) for s, f in zip(signs.flatten().tolist(), SCORES.flatten().tolist(), strict=True)
        )
        / 48
    )
    assert float(loss("exponential")(SCORES, ONE_HOT)) == pytest.approx(expected, rel=1e-12)


def test_log_cosh_is_log_of_cosh_and_does_not_overflow():
    expected = torch.log(torch.cosh(SCORES - TARGETS)).mean()
    assert float(loss("log_cosh")(SCORES, TARGETS)) == pytest.approx(float(expected), rel=1e-12)
    assert float(loss("log_cosh")(torch.tensor([1000.0]), torch.tensor([0.0]))) == pytest.approx(
        1000 - math.log(2)
    )


@pytest.mark.parametrize("quantile", [0.1, 0.5, 0.9])
def test_quantile_loss_is_the_pinball_formula_and_its_minimizer_is_the_quantile(quantile):
    error = (TARGETS - SCORES).flatten().tolist()
    expected = sum(quantile * e if e >= 0 else (quantile - 1) * e for e in error) / len(error)
    assert float(loss("quantile", quantile=quantile)(SCORES, TARGETS)) == pytest.approx(expected, rel=1e-12)
    samples = torch.randn(2001, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    constant = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([constant], lr=0.05)
    pinball = loss("quantile", quantile=quantile)
    for _ in range(600):
        optimizer.zero_grad()
        pinball(constant.expand_as(samples), samples).backward()
        optimizer.step()
    assert float(constant.detach()) == pytest.approx(float(torch.quantile(samples, quantile)), abs=0.05)


def test_poisson_and_gaussian_nll_equal_torch():
    counts = torch.poisson(torch.full((12, 4), 3.0, dtype=torch.float64), generator=GENERATOR)
    for full in (False, True):
        assert float(loss("poisson_nll", full=full)(SCORES, counts)) == pytest.approx(
            float(nn.PoissonNLLLoss(log_input=True, full=full)(SCORES, counts)), rel=1e-12
        )
    variance = torch.full_like(SCORES, 0.7)
    assert float(loss("gaussian_nll", variance=0.7, full=True)(SCORES, TARGETS)) == pytest.approx(
        float(nn.GaussianNLLLoss(full=True)(SCORES, TARGETS, variance)), rel=1e-12
    )
    mle = (TARGETS - SCORES).pow(2).mean()
    assert float(loss("gaussian_nll")(SCORES, TARGETS)) == pytest.approx(
        float(0.5 * (torch.log(mle) + 1)), rel=1e-12
    )


def test_soft_margin_and_multilabel_soft_margin_equal_torch():
    assert float(loss("soft_margin")(SCORES, ONE_HOT)) == pytest.approx(
        float(nn.SoftMarginLoss()(SCORES, 2 * ONE_HOT - 1)), rel=1e-12
    )
    multi_hot = (torch.rand(12, 4, generator=GENERATOR) < 0.4).double()
    assert float(loss("multilabel_soft_margin")(SCORES, multi_hot)) == pytest.approx(
        float(nn.MultiLabelSoftMarginLoss()(SCORES, multi_hot)), rel=1e-12
    )


def test_multilabel_margin_equals_torch_on_index_lists_and_the_formula():
    multi_hot = torch.tensor([[0, 1, 0, 1], [1, 0, 0, 0], [0, 0, 0, 0]], dtype=torch.float64)
    assert label_index_lists(multi_hot).tolist() == [[1, 3, -1, -1], [0, -1, -1, -1], [-1, -1, -1, -1]]
    scores = SCORES[:3]
    expected = []
    for row, labels in zip(scores, ([1, 3], [0], []), strict=True):
        others = [i for i in range(4) if i not in labels]
        expected.append(sum(max(0.0, 1 - float(row[j] - row[i])) for j in labels for i in others) / 4)
    assert float(loss("multilabel_margin")(scores, multi_hot)) == pytest.approx(sum(expected) / 3, rel=1e-12)


def test_margin_ranking_over_pairs_equals_torch_on_the_ordered_pairs():
    scores, targets = SCORES[:, 0], TARGETS[:, 0]
    targets[1] = targets[0]  # a tie, which is skipped
    first, second, signs = [], [], []
    for i in range(12):
        for j in range(i + 1, 12):
            if targets[i] != targets[j]:
                first.append(scores[i])
                second.append(scores[j])
                signs.append(1.0 if targets[i] > targets[j] else -1.0)
    expected = nn.MarginRankingLoss(margin=0.2)(
        torch.stack(first), torch.stack(second), torch.tensor(signs, dtype=torch.float64)
    )
    assert float(loss("margin_ranking", margin=0.2)(scores, targets)) == pytest.approx(
        float(expected), rel=1e-12
    )


def test_hinge_embedding_over_pairs_equals_the_formula():
    value = float(loss("hinge_embedding", margin=2.0)(SCORES, LABELS))
    terms = []
    for i in range(12):
        for j in range(i + 1, 12):
            distance = float((SCORES[i] - SCORES[j]).norm())
            terms.append(distance if LABELS[i] == LABELS[j] else max(0.0, 2.0 - distance))
    assert value == pytest.approx(sum(terms) / len(terms), rel=1e-12)
