"""Margin softmax: SphereFace (A-Softmax), CosFace (AM-Softmax) and ArcFace on a cosine head's outputs.

All three read cos(theta_j), the cosine between a sample's normalized features and class j's
normalized weight vector (a model with ``head: cosine``), penalize the true class's angle by a
margin m, scale every logit by s, and take the softmax cross-entropy (Wang et al. 2018, Deng et al.
2019, Liu et al. 2017). A sample then has to be closer to its class by the margin to be at the
loss's minimum, which tightens the classes and widens the gaps between them. They differ in
where the margin goes:

- SphereFace:  s * psi(theta_y),  psi(theta) = (-1)^k cos(m theta) - 2k on [k pi / m, (k + 1) pi / m]
- CosFace:     s * (cos theta_y - m)
- ArcFace:     s * cos(theta_y + m)

The other classes' logits stay s * cos(theta_j).
"""

from __future__ import annotations

import math
from typing import Annotated

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from trainlab.errors import ConfigError, Problem
from trainlab.nn.cosine import CosineLinear
from trainlab.registry import LOSSES

Scale = Annotated[float, Field(gt=0.0)]
FLAGS = {"task": "classification", "target": "class_index", "soft_targets": False, "needs": "cosine_head"}
# cos(theta) is clamped just inside [-1, 1] before acos: its gradient is infinite at the ends.
COSINE_LIMIT = 1.0 - 1e-7


class MarginSoftmax(nn.Module):
    """Scaled softmax cross-entropy with the true class's cosine replaced by :meth:`target_logit`.

    ``attach(model)`` (trainlab calls it when the run is built) refuses a model whose ``head`` is not a
    :class:`~trainlab.nn.CosineLinear`: on unnormalized outputs the margins are meaningless.
    """

    name = "margin softmax"

    def __init__(self, scale: float, margin: float):
        super().__init__()
        self.scale, self.margin = scale, margin

    def target_logit(self, cosine: torch.Tensor) -> torch.Tensor:
        """The true class's margined cosine, before scaling."""
        raise NotImplementedError(f"{type(self).__name__} must define target_logit")

    def logits(self, cosine: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """``s * cos(theta_j)`` for every class, with the true class's entry margined."""
        true = cosine.gather(1, target[:, None])
        margined = cosine.scatter(1, target[:, None], self.target_logit(true))
        return self.scale * margined

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(self.logits(input, target.long()), target.long())

    def attach(self, model: nn.Module) -> None:
        if not isinstance(getattr(model, "head", None), CosineLinear):
            raise ConfigError(
                [
                    Problem(
                        "loss.name",
                        f"{self.name} puts its margin on the angle between normalized features and normalized "
                        "class weights, so the model must output cosines in [-1, 1], and its output layer is "
                        "not a cosine head; set model.head: cosine (mlp, cnn1d, cnn2d, resnet), or give your "
                        "own model a trainlab.nn.CosineLinear named 'head'",
                    )
                ]
            )


@LOSSES.register(
    "cosface",
    aliases=("am_softmax",),
    reference="Wang et al. 2018, CosFace: Large Margin Cosine Loss for Deep Face Recognition, arXiv:1801.09414; "
    "Wang, Cheng, Liu & Liu 2018, Additive Margin Softmax for Face Verification, arXiv:1801.05599",
    flags=FLAGS,
)
class CosFace(MarginSoftmax):
    """CosFace / AM-Softmax: an additive cosine margin, logit ``s * (cos theta_y - m)`` for the true class.

    Args:
        scale: s, the logits' scale (64 in CosFace for faces; ~10-30 for ten classes).
        margin: m, subtracted from the true class's cosine (0.35 in CosFace).
    """

    name = "cosface"

    def __init__(self, scale: Scale = 16.0, margin: Annotated[float, Field(ge=0.0, lt=2.0)] = 0.35):
        super().__init__(scale, margin)

    def target_logit(self, cosine: torch.Tensor) -> torch.Tensor:
        return cosine - self.margin


@LOSSES.register(
    "arcface",
    reference="Deng, Guo, Xue & Zafeiriou 2019, ArcFace: Additive Angular Margin Loss for Deep Face Recognition, "
    "arXiv:1801.07698",
    flags=FLAGS,
)
class ArcFace(MarginSoftmax):
    """ArcFace: an additive angular margin, logit ``s * cos(theta_y + m)`` for the true class.

    Past theta_y = pi - m, cos(theta + m) would rise again and reward a worse angle, so there the
    target logit continues as ``cos theta - m sin m``, the linear penalty of the official code
    (``easy_margin`` off), which keeps the logit decreasing in theta.

    Args:
        scale: s, the logits' scale (64 in ArcFace for faces; ~10-30 for ten classes).
        margin: m, added to the true class's angle, in radians (0.5 in ArcFace).
    """

    name = "arcface"

    def __init__(self, scale: Scale = 16.0, margin: Annotated[float, Field(ge=0.0, lt=math.pi / 2)] = 0.5):
        super().__init__(scale, margin)

    def target_logit(self, cosine: torch.Tensor) -> torch.Tensor:
        cosine = cosine.clamp(-COSINE_LIMIT, COSINE_LIMIT)
        sine = torch.sqrt(1.0 - cosine**2)
        shifted = cosine * math.cos(self.margin) - sine * math.sin(self.margin)  # cos(theta + m)
        past_turn = cosine <= math.cos(math.pi - self.margin)
        return torch.where(past_turn, cosine - self.margin * math.sin(self.margin), shifted)


@LOSSES.register(
    "sphereface",
    aliases=("a_softmax",),
    reference="Liu et al. 2017, SphereFace: Deep Hypersphere Embedding for Face Recognition, arXiv:1704.08063 "
    "(the feature-normalized form: s in place of |x|)",
    flags=FLAGS,
)
class SphereFace(MarginSoftmax):
    """SphereFace / A-Softmax: a multiplicative angular margin, logit ``s * psi(theta_y)`` for the true class.

    ``psi(theta) = (-1)^k cos(m theta) - 2k`` for theta in [k pi / m, (k + 1) pi / m], the
    monotone extension of cos(m theta) to [0, pi] (Liu et al., Eq. 7). Features are normalized
    (a cosine head), so the scale s replaces the paper's feature norm |x|.

    Args:
        scale: s, the logits' scale (the feature norm of the original, which normalized features fix).
        margin: m, the integer angle multiplier (4 in SphereFace).
    """

    name = "sphereface"

    def __init__(self, scale: Scale = 16.0, margin: Annotated[int, Field(ge=1, le=8)] = 4):
        super().__init__(scale, margin)

    def target_logit(self, cosine: torch.Tensor) -> torch.Tensor:
        theta = torch.acos(cosine.clamp(-COSINE_LIMIT, COSINE_LIMIT))
        k = torch.floor(theta * self.margin / math.pi)
        sign = 1.0 - 2.0 * torch.remainder(k, 2.0)  # (-1)^k
        return sign * torch.cos(self.margin * theta) - 2.0 * k
