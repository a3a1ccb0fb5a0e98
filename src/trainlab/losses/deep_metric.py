"""Deep metric learning losses beyond triplets: N-pair, lifted structure, proxy-NCA and multi-similarity.

Like ``triplet`` and ``contrastive``, the model's output is the embedding and the class labels say
which samples of a batch are positives of each other. They differ in how much of the batch one
anchor sees: N-pair and lifted structure weigh every negative in a softmax; multi-similarity mines
the informative pairs first; proxy-NCA compares each sample with one learned proxy per class
instead of with other samples, so it needs no positive in the batch at all. ``recall_at_k``
(metric) judges the embeddings they learn.
"""

from __future__ import annotations

from typing import Annotated

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from trainlab.errors import ConfigError, Problem
from trainlab.losses.metric_learning import _FLAGS, _pair_masks
from trainlab.registry import LOSSES

Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]


def _no_pairs(embeddings: torch.Tensor) -> torch.Tensor:
    """A zero that keeps the graph: a batch without a usable pair teaches nothing, but must not crash."""
    return embeddings.sum() * 0.0


@LOSSES.register(
    "n_pair",
    reference="Sohn 2016, Improved Deep Metric Learning with Multi-class N-pair Loss Objective (NeurIPS), Eq. 6",
    flags=_FLAGS,
)
class NPairLoss(nn.Module):
    """Multi-class N-pair loss: each anchor's positive against all of the batch's other-class samples.

    For an anchor f with positive f+ (the next sample of its class in the batch) and the batch's
    samples f_j of other classes: ``log(1 + sum_j exp(f . f_j - f . f+))``, the softmax cross-entropy
    that picks f+ among them; averaged over the anchors that have a positive. Sohn keeps the
    embeddings from growing with an L2 penalty on them.

    Args:
        l2_weight: Weight of the mean squared embedding norm (0.002 in the paper's code).
    """

    def __init__(self, l2_weight: NonNegative = 0.002):
        super().__init__()
        self.l2_weight = l2_weight

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        positive, negative = _pair_masks(labels)
        has_positive = positive.any(dim=1)
        if not has_positive.any():
            return _no_pairs(embeddings)
        partner = positive.float().argmax(dim=1)  # the first other sample of the anchor's class
        similarity = embeddings @ embeddings.T
        gaps = similarity - similarity.gather(1, partner[:, None])  # f.f_j - f.f+
        gaps = gaps.masked_fill(~negative, float("-inf"))
        zero = torch.zeros_like(gaps[:, :1])
        per_anchor = torch.logsumexp(torch.cat([zero, gaps], dim=1), dim=1)  # log(1 + sum exp)
        l2 = self.l2_weight * embeddings.pow(2).sum(dim=1).mean()
        return per_anchor[has_positive].mean() + l2


@LOSSES.register(
    "lifted_structure",
    reference="Oh Song, Xiang, Jegelka & Savarese 2016, Deep Metric Learning via Lifted Structured Feature "
    "Embedding (CVPR), Eq. 4",
    flags=_FLAGS,
)
class LiftedStructureLoss(nn.Module):
    """Lifted structured loss: every positive pair against all the negatives of both its samples.

    For a positive pair (i, j) at Euclidean distance D_ij:
    ``J_ij = log(sum_{k in N(i)} exp(margin - D_ik) + sum_{l in N(j)} exp(margin - D_jl)) + D_ij``,
    and the loss is ``sum max(0, J_ij)^2 / (2 |P|)`` over the batch's positive pairs.

    Args:
        margin: alpha, the required gap between negative and positive distances (1 in the paper).
    """

    def __init__(self, margin: Positive = 1.0):
        super().__init__()
        self.margin = margin

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        positive, negative = _pair_masks(labels)
        # The distance of a sample to itself has no useful gradient (sqrt at 0): clamp before the root.
        squared = (embeddings[:, None, :] - embeddings[None, :, :]).pow(2).sum(-1)
        distances = squared.clamp_min(1e-12).sqrt()
        negative_terms = (self.margin - distances).masked_fill(~negative, float("-inf"))
        per_sample = torch.logsumexp(negative_terms, dim=1)  # log sum_{k in N(i)} exp(margin - D_ik)
        rows, cols = torch.nonzero(torch.triu(positive, diagonal=1), as_tuple=True)
        if len(rows) == 0 or not negative.any():
            return _no_pairs(embeddings)
        joint = torch.logaddexp(per_sample[rows], per_sample[cols]) + distances[rows, cols]
        return joint.clamp_min(0.0).pow(2).sum() / (2 * len(rows))


@LOSSES.register(
    "proxy_nca",
    reference="Movshovitz-Attias et al. 2017, No Fuss Distance Metric Learning using Proxies, arXiv:1703.07464",
    flags=_FLAGS,
)
class ProxyNCALoss(nn.Module):
    """Proxy-NCA: each normalized embedding pulled to its class's learned proxy and pushed from the others.

    ``-log( exp(-s d(x, p_y)) / sum_{z != y} exp(-s d(x, p_z)) )`` with d the squared Euclidean
    distance between the L2-normalized embedding and proxies (the paper's form, whose denominator
    leaves out the true proxy). The proxies are parameters of the loss, which trainlab optimizes with
    the model's (and checkpoints); attaching the loss sizes them from the model's output width.

    Args:
        num_classes: Proxies, one per class; trainlab fills it in.
        scale: s, multiplies the distances; on the unit sphere distances lie in [0, 4], and 1 (the paper)
            gives weak gradients, so implementations commonly use ~3 or more.
    """

    def __init__(self, num_classes: int | None = None, scale: Positive = 3.0):
        super().__init__()
        if num_classes is None:
            raise ConfigError(
                [Problem("loss", "proxy_nca needs num_classes (trainlab fills it in from the data)")]
            )
        self.scale = scale
        self.num_classes = num_classes
        self.proxies = nn.Parameter(torch.zeros(0))

    def attach(self, model: nn.Module) -> None:
        out_features = getattr(getattr(model, "head", None), "out_features", None)
        if out_features is None:
            raise ConfigError(
                [
                    Problem(
                        "loss.name", "proxy_nca sizes its proxies from the model's output layer named 'head'"
                    )
                ]
            )
        generator = torch.Generator().manual_seed(0)
        self.proxies = nn.Parameter(torch.randn(self.num_classes, out_features, generator=generator) / 8)

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if self.proxies.dim() != 2:
            raise RuntimeError(
                "proxy_nca: call attach(model) before the first forward pass (it sizes the proxies)"
            )
        x = F.normalize(embeddings, dim=1)
        proxies = F.normalize(self.proxies.to(x.dtype), dim=1)
        distances = self.scale * torch.cdist(x, proxies).pow(2)  # (N, classes)
        labels = labels.long()
        true = distances.gather(1, labels[:, None]).squeeze(1)
        others = (-distances).scatter(1, labels[:, None], float("-inf"))
        return (true + torch.logsumexp(others, dim=1)).mean()


@LOSSES.register(
    "multi_similarity",
    reference="Wang et al. 2019, Multi-Similarity Loss with General Pair Weighting for Deep Metric Learning, "
    "arXiv:1904.06627, Eq. 13 (with its pair mining, Eq. 10-11)",
    flags=_FLAGS,
)
class MultiSimilarityLoss(nn.Module):
    """Multi-similarity loss: mined pairs weighted by their own and their neighbours' cosine similarities.

    Pairs are mined per anchor first: a negative is kept if its similarity exceeds the anchor's
    least similar positive minus ``epsilon``, a positive if its similarity is below the most similar
    negative plus ``epsilon``. Then, for each anchor with both kinds left:
    ``(1/alpha) log(1 + sum_P exp(-alpha (S_ij - base))) + (1/beta) log(1 + sum_N exp(beta (S_ik - base)))``.

    Args:
        alpha: Weight scale of positive pairs (2 in the paper).
        beta: Weight scale of negative pairs (50 in the paper).
        base: lambda, the similarity margin both sides are measured from (0.5).
        epsilon: The mining margin (0.1).
    """

    def __init__(
        self, alpha: Positive = 2.0, beta: Positive = 50.0, base: float = 0.5, epsilon: NonNegative = 0.1
    ):
        super().__init__()
        self.alpha, self.beta, self.base, self.epsilon = alpha, beta, base, epsilon

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        x = F.normalize(embeddings, dim=1)
        similarity = x @ x.T
        positive, negative = _pair_masks(labels)
        hardest_positive = similarity.masked_fill(~positive, float("inf")).amin(dim=1, keepdim=True)
        hardest_negative = similarity.masked_fill(~negative, float("-inf")).amax(dim=1, keepdim=True)
        kept_negative = negative & (similarity + self.epsilon > hardest_positive)
        kept_positive = positive & (similarity - self.epsilon < hardest_negative)
        anchors = kept_positive.any(dim=1) & kept_negative.any(dim=1)
        if not anchors.any():
            return _no_pairs(embeddings)
        zero = torch.zeros_like(similarity[:, :1])
        pos_terms = (-self.alpha * (similarity - self.base)).masked_fill(~kept_positive, float("-inf"))
        neg_terms = (self.beta * (similarity - self.base)).masked_fill(~kept_negative, float("-inf"))
        pos_loss = torch.logsumexp(torch.cat([zero, pos_terms], dim=1), dim=1) / self.alpha
        neg_loss = torch.logsumexp(torch.cat([zero, neg_terms], dim=1), dim=1) / self.beta
        return (pos_loss + neg_loss)[anchors].mean()
