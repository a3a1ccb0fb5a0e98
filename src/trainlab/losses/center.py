"""Center loss (Wen et al. 2016): softmax cross-entropy plus a pull of each feature towards its class centre.

Cross-entropy only separates the classes; the centre term ``(lambda / 2) |x_i - c_{y_i}|^2`` on
the features x_i entering the classifier also makes each class compact. The centres are not
learned by the optimizer but moved after each training batch towards the batch's features of
their class (Wen et al., Eq. 4):

    c_j <- c_j - alpha * sum_i [y_i = j] (c_j - x_i) / (1 + sum_i [y_i = j])

They are buffers of the loss, saved in every checkpoint, so a resumed run continues with them.
"""

from __future__ import annotations

from typing import Annotated

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from trainlab.errors import ConfigError, Problem
from trainlab.losses.terms import LossTerms
from trainlab.registry import LOSSES


@LOSSES.register(
    "center",
    aliases=("center_loss",),
    reference="Wen, Zhang, Li & Qiao 2016, A Discriminative Feature Learning Approach for Deep Face Recognition "
    "(ECCV), Eq. 2-4",
    flags={"task": "classification", "target": "class_index", "soft_targets": False},
)
class CenterLoss(nn.Module):
    """Cross-entropy on the logits plus ``(lambda / 2) * mean_i |x_i - c_{y_i}|^2`` on the head's input features.

    The features are what enters the model's ``head`` layer (captured by a forward pre-hook when
    trainlab attaches the loss). The centre term is averaged over the batch rather than summed as in
    the paper, so lambda does not depend on the batch size. Centres start at zero and move only in
    training steps (in train mode, under autograd), not when a split is evaluated or the loss is in eval mode. Both terms are logged
    (``loss.cross_entropy``, ``loss.center``).

    Args:
        weight: lambda, the centre term's weight (0.003-0.01 in the paper, with summed features).
        alpha: The centres' learning rate (0.5 in the paper).
    """

    def __init__(
        self,
        weight: Annotated[float, Field(ge=0.0)] = 0.01,
        alpha: Annotated[float, Field(gt=0.0, le=1.0)] = 0.5,
    ):
        super().__init__()
        self.weight, self.alpha = weight, alpha
        self.register_buffer("centers", torch.zeros(0))
        self._features: torch.Tensor | None = None

    def attach(self, model: nn.Module) -> None:
        head = getattr(model, "head", None)
        in_features, classes = getattr(head, "in_features", None), getattr(head, "out_features", None)
        if head is None or in_features is None or classes is None:
            raise ConfigError(
                [
                    Problem(
                        "loss.name",
                        "center reads the features entering the model's linear output layer named 'head', "
                        "and this model has none; use a built-in model (mlp, cnn1d, cnn2d, resnet, ...)",
                    )
                ]
            )
        self.centers = torch.zeros(classes, in_features)
        head.register_forward_pre_hook(self._keep_features)

    def _keep_features(self, module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
        self._features = inputs[0]

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> LossTerms:
        if self._features is None:
            raise RuntimeError("center loss: call attach(model) before the first forward pass")
        features = self._features.flatten(1)
        target = target.long()
        self.centers = self.centers.to(features.device, features.dtype)
        cross_entropy = F.cross_entropy(input, target)
        center = 0.5 * (features - self.centers[target]).pow(2).sum(dim=1).mean()
        if self.training and torch.is_grad_enabled():
            self._move_centers(features.detach(), target)
        return LossTerms(
            cross_entropy + self.weight * center, {"cross_entropy": cross_entropy, "center": center}
        )

    @torch.no_grad()
    def _move_centers(self, features: torch.Tensor, target: torch.Tensor) -> None:
        classes = self.centers.shape[0]
        counts = torch.bincount(target, minlength=classes).to(features.dtype)
        sums = torch.zeros_like(self.centers).index_add_(0, target, features)
        # sum_i [y_i = j] (c_j - x_i) = n_j c_j - sum of class j's features
        delta = (counts[:, None] * self.centers - sums) / (1.0 + counts[:, None])
        self.centers -= self.alpha * delta
