"""Regression losses: squared, absolute and robust (Huber) errors."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from torch import nn

from trainlab.registry import LOSSES

Positive = Annotated[float, Field(gt=0.0)]


@LOSSES.register(
    "mse",
    aliases=("l2_loss",),
    reference="https://pytorch.org/docs/stable/generated/torch.nn.MSELoss.html",
    flags={"task": "any", "target": "dense"},
)
def mse() -> nn.Module:
    """Mean squared error; on a classification task the target is the one-hot label.

    Returns:
        ``torch.nn.MSELoss``.
    """
    return nn.MSELoss()


@LOSSES.register(
    "l1",
    aliases=("mae",),
    reference="https://pytorch.org/docs/stable/generated/torch.nn.L1Loss.html",
    flags={"task": "any", "target": "dense"},
)
def l1() -> nn.Module:
    """Mean absolute error.

    Returns:
        ``torch.nn.L1Loss``.
    """
    return nn.L1Loss()


@LOSSES.register(
    "huber",
    reference="Huber 1964, Robust Estimation of a Location Parameter; torch.nn.HuberLoss",
    flags={"task": "any", "target": "dense"},
)
def huber(delta: Positive = 1.0) -> nn.Module:
    """Huber loss: quadratic within ``delta`` of the target, linear beyond it.

    Args:
        delta: Where the loss turns from quadratic to linear.

    Returns:
        ``torch.nn.HuberLoss``.
    """
    return nn.HuberLoss(delta=delta)


@LOSSES.register(
    "smooth_l1",
    reference="Girshick 2015, Fast R-CNN; torch.nn.SmoothL1Loss",
    flags={"task": "any", "target": "dense"},
)
def smooth_l1(beta: Positive = 1.0) -> nn.Module:
    """Smooth L1: Huber divided by ``beta``, so the linear part has slope 1.

    Args:
        beta: Where the loss turns from quadratic to linear.

    Returns:
        ``torch.nn.SmoothL1Loss``.
    """
    return nn.SmoothL1Loss(beta=beta)
