"""n_pair, lifted_structure, proxy_nca and multi_similarity against their papers' sums written as loops, and recall@k."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.neighbors import NearestNeighbors

import trainlab
from trainlab.losses.deep_metric import LiftedStructureLoss, MultiSimilarityLoss, NPairLoss, ProxyNCALoss
from trainlab.metrics.recall_at_k import RecallAtK


@pytest.fixture
def batch():
    generator = torch.Generator().manual_seed(0)
    embeddings = torch.randn(12, 5, generator=generator, dtype=torch.float64)
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 3, 1, 2, 0, 4])  # classes 3 and 4 have no positive
    return embeddings, labels


def test_n_pair_matches_sohns_sum(batch):
    f, y = batch
    total, anchors = 0.0, 0
    for i in range(len(y)):
        positives = [j for j in range(len(y)) if j != i and y[j] == y[i]]
        if not positives:
            continue
        p = positives[0]
        negatives = [j for j in range(len(y)) if y[j] != y[i]]
        total += math.log(1 + sum(math.exp(float(f[i] @ f[j] - f[i] @ f[p])) for j in negatives))
        anchors += 1
    l2 = 0.002 * float(f.pow(2).sum(1).mean())
    assert NPairLoss()(f, y).item() == pytest.approx(total / anchors + l2, rel=1e-10)


def test_lifted_structure_matches_the_papers_equation(batch):
    f, y = batch
    d = torch.cdist(f, f)
    terms = []
    for i in range(len(y)):
        for j in range(i + 1, len(y)):
            if y[i] != y[j]:
                continue
            neg_i = sum(math.exp(1.0 - float(d[i, k])) for k in range(len(y)) if y[k] != y[i])
            neg_j = sum(math.exp(1.0 - float(d[j, k])) for k in range(len(y)) if y[k] != y[j])
            terms.append(max(0.0, math.log(neg_i + neg_j) + float(d[i, j])) ** 2)
    expected = sum(terms) / (2 * len(terms))
    assert LiftedStructureLoss(margin=1.0)(f, y).item() == pytest.approx(expected, rel=1e-8)


def test_proxy_nca_matches_nca_over_normalized_proxies(batch):
    f, y = batch
    loss = ProxyNCALoss(num_classes=5, scale=2.0)
    loss.proxies = torch.nn.Parameter(torch.randn(5, 5, dtype=torch.float64))
    x, p = F.normalize(f, dim=1), F.normalize(loss.proxies.detach(), dim=1)
    expected = 0.0
    for i in range(len(y)):
        d = [2.0 * float((x[i] - p[c]).pow(2).sum()) for c in range(5)]
        expected += d[int(y[i])] + math.log(sum(math.exp(-d[c]) for c in range(5) if c != int(y[i])))
    assert loss(f, y).item() == pytest.approx(expected / len(y), rel=1e-10)


def test_multi_similarity_mines_then_weighs_pairs_as_in_the_paper(batch):
    f, y = batch
    s = F.normalize(f, dim=1) @ F.normalize(f, dim=1).T
    alpha, beta, base, eps = 2.0, 50.0, 0.5, 0.1
    losses = []
    for i in range(len(y)):
        pos = [j for j in range(len(y)) if j != i and y[j] == y[i]]
        neg = [k for k in range(len(y)) if y[k] != y[i]]
        if not pos or not neg:
            continue
        kept_neg = [k for k in neg if s[i, k] + eps > min(s[i, j] for j in pos)]
        kept_pos = [j for j in pos if s[i, j] - eps < max(s[i, k] for k in neg)]
        if not kept_neg or not kept_pos:
            continue
        losses.append(
            math.log(1 + sum(math.exp(-alpha * (float(s[i, j]) - base)) for j in kept_pos)) / alpha
            + math.log(1 + sum(math.exp(beta * (float(s[i, k]) - base)) for k in kept_neg)) / beta
        )
    assert MultiSimilarityLoss()(f, y).item() == pytest.approx(sum(losses) / len(losses), rel=1e-8)


@pytest.mark.parametrize("loss", [NPairLoss(), LiftedStructureLoss(), MultiSimilarityLoss()])
def test_a_batch_without_positive_pairs_gives_zero_with_a_graph(loss):
    f = torch.randn(4, 3, requires_grad=True)
    value = loss(f, torch.arange(4))
    value.backward()
    assert value.item() == 0.0 and f.grad is not None


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("distance", ["euclidean", "cosine"])
def test_recall_at_k_matches_a_scikit_learn_neighbour_search(k, distance):
    generator = torch.Generator().manual_seed(k)
    x = torch.randn(60, 4, generator=generator, dtype=torch.float64)
    y = torch.randint(4, (60,), generator=generator)
    metric = RecallAtK(k=k, distance=distance)
    metric.update(x[:25], y[:25])
    metric.update(x[25:], y[25:])
    index = (
        NearestNeighbors(n_neighbors=k + 1, metric=distance).fit(x.numpy()).kneighbors(return_distance=False)
    )
    expected = np.mean([np.any(y.numpy()[index[i][:k]] == y.numpy()[i]) for i in range(60)])
    assert metric.compute().item() == pytest.approx(expected)


def test_proxy_nca_trains_its_proxies_with_the_model_and_recall_at_k_judges_it(tmp_path):
    recipe = {
        "data": "iris",
        "model": {"name": "mlp", "width": 16},
        "loss": "proxy_nca",
        "metrics": ["recall_at_k"],
        "optimizer": {"name": "adam", "lr": 0.01},
        "train": {"steps": 80, "batch_size": 32, "checkpoint_every": 40, "deterministic": True},
    }
    whole = trainlab.fit({**recipe, "out": str(tmp_path / "whole")}, verbose=0)
    assert whole.summary["test"]["recall_at_k"] > 0.8
    trainlab.fit({**recipe, "out": str(tmp_path / "split")}, steps=40, verbose=0)
    resumed = trainlab.fit(resume=tmp_path / "split", steps=80, verbose=0)
    for a, b in zip(whole.model.state_dict().values(), resumed.model.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
