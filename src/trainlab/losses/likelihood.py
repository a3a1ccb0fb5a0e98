"""Negative log-likelihoods of count and Gaussian targets: torch's Poisson NLL and Gaussian NLL losses."""

from __future__ import annotations

from typing import Annotated

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from trainlab.registry import LOSSES

_TORCH = "https://pytorch.org/docs/stable/generated/torch.nn.{}.html"


@LOSSES.register(
    "poisson_nll",
    reference="McCullagh & Nelder 1989, Generalized Linear Models, ch. 6; " + _TORCH.format("PoissonNLLLoss"),
    flags={"task": "any", "target": "dense"},
)
class PoissonNLL(nn.Module):
    """Poisson negative log-likelihood of count targets, the output being the log-rate: exp(f) − y f.

    Args:
        full: Add Stirling's approximation of log(y!), so the value is the full NLL (the gradient is the same).
    """

    def __init__(self, full: bool = False):
        super().__init__()
        self.full = full

    def forward(self, log_rates: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
        return F.poisson_nll_loss(log_rates, counts, log_input=True, full=self.full)


@LOSSES.register(
    "gaussian_nll",
    reference="Nix & Weigend 1994, Estimating the Mean and Variance of the Target Probability Distribution; "
    + _TORCH.format("GaussianNLLLoss"),
    flags={"task": "any", "target": "dense"},
)
class GaussianNLL(nn.Module):
    """Gaussian negative log-likelihood ½(log σ² + (y − f)²/σ²) of a homoscedastic model with mean f.

    The model predicts the mean; the variance is fixed, or (``variance: null``) the batch's
    maximum-likelihood estimate mean (y − f)², held constant in the gradient, so that the loss
    reads in the units of a log-likelihood while the step is a rescaled squared error.

    Args:
        variance: The fixed σ²; null for the batch's maximum-likelihood estimate.
        full: Add the constant ½ log 2π, so the value is the full NLL.
    """

    def __init__(self, variance: Annotated[float, Field(gt=0.0)] | None = None, full: bool = False):
        super().__init__()
        self.variance = variance
        self.full = full

    def forward(self, means: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if self.variance is None:
            variance = (targets - means).detach().pow(2).mean().clamp_min(1e-6).expand_as(means)
        else:
            variance = torch.full_like(means, self.variance)
        return F.gaussian_nll_loss(means, targets, variance, full=self.full)
