"""Frozen batch-norm statistics: batch-norm layers stay in eval mode while the rest of the model trains."""

from __future__ import annotations

from typing import Any

from torch import nn

from trainlab.registry import CALLBACKS


@CALLBACKS.register(
    "freeze_bn_stats",
    reference="Kornblith, Shlens & Le 2019, Do Better ImageNet Models Transfer Better?, arXiv:1805.08974",
)
class FreezeBatchNormStats:
    """Keep every batch-norm layer in eval mode: it normalizes with its running statistics and never updates them.

    Fine-tuning on a small dataset with small batches would otherwise overwrite the running
    mean and variance the pretrained weights rely on. The affine parameters (weight, bias) still
    train unless they are frozen too. The recipe's ``freeze_bn_stats: true`` adds this callback.
    """

    def __init__(self) -> None:
        self.layers: list[nn.Module] = []

    def on_fit_start(self, trainer: Any) -> None:
        self.layers = [m for m in trainer.model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        self.on_step_start(trainer)

    def on_step_start(self, trainer: Any) -> None:
        # Evaluation puts the whole model back in training mode afterwards, so this runs every step.
        for layer in self.layers:
            layer.eval()
