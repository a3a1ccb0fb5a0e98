"""Triplet (batch-hard), contrastive and cosine-embedding losses against brute-force loops."""

import itertools

import torch
import torch.nn.functional as F

import trainlab


def _batch():
    torch.manual_seed(0)
    return torch.randn(8, 3, dtype=torch.float64), torch.tensor([0, 0, 1, 1, 2, 2, 0, 1])


def test_batch_hard_triplet_matches_a_loop():
    x, y = _batch()
    losses = []
    for a in range(len(y)):
        pos = [torch.dist(x[a], x[p]) for p in range(len(y)) if p != a and y[p] == y[a]]
        neg = [torch.dist(x[a], x[n]) for n in range(len(y)) if y[n] != y[a]]
        losses.append(torch.clamp(max(pos) - min(neg) + 0.3, min=0))
    loss = trainlab.create("loss", "triplet", margin=0.3)(x, y)
    torch.testing.assert_close(loss, torch.stack(losses).mean())


def test_contrastive_matches_a_loop_over_pairs():
    x, y = _batch()
    terms = []
    for i, j in itertools.permutations(range(len(y)), 2):
        d = torch.dist(x[i], x[j])
        terms.append(d**2 if y[i] == y[j] else torch.clamp(1.0 - d, min=0) ** 2)
    torch.testing.assert_close(trainlab.create("loss", "contrastive")(x, y), 0.5 * torch.stack(terms).mean())


def test_cosine_embedding_over_pairs_matches_the_formula():
    x, y = _batch()
    terms = []
    for i, j in itertools.combinations(range(len(y)), 2):
        cos = F.cosine_similarity(x[i], x[j], dim=0)
        terms.append(1 - cos if y[i] == y[j] else torch.clamp(cos - 0.1, min=0))
    torch.testing.assert_close(
        trainlab.create("loss", "cosine_embedding", margin=0.1)(x, y), torch.stack(terms).mean()
    )
