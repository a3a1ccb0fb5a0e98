"""Temperature scaling (Guo et al. 2017): one scalar T divides the logits; T minimizes the held-out NLL."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from trainlab.registry import METRICS

# T is kept within these bounds: a validation split the model classifies perfectly drives the NLL
# minimum to T -> 0, and one it gets all wrong to T -> inf.
MIN_TEMPERATURE, MAX_TEMPERATURE = 1e-2, 1e2


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor, *, max_iter: int = 100) -> float:
    """The temperature T that minimizes the mean NLL of ``softmax(logits / T)`` against ``labels``.

    L-BFGS (strong-Wolfe line search) on log T, which keeps T positive and makes the problem
    well scaled; the NLL is convex in 1/T, so the minimum is the global one. Computed in float64.

    Args:
        logits: ``(N, C)`` held-out logits (the validation split's: fitting on training data
            would learn the training set's overconfidence).
        labels: ``(N,)`` class indices.
        max_iter: L-BFGS iterations.

    Returns:
        T, clamped to ``[MIN_TEMPERATURE, MAX_TEMPERATURE]``.
    """
    logits = logits.detach().to(torch.float64)
    labels = labels.detach().long()
    log_temperature = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS(
        [log_temperature],
        lr=1.0,
        max_iter=max_iter,
        tolerance_grad=1e-12,
        tolerance_change=1e-14,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(logits / log_temperature.exp(), labels)
        loss.backward()
        return loss

    optimizer.step(closure)
    temperature = math.exp(float(log_temperature.detach()))
    return min(max(temperature, MIN_TEMPERATURE), MAX_TEMPERATURE)


def calibration_scores(
    logits: torch.Tensor, labels: torch.Tensor, temperature: float = 1.0, *, bins: int = 15
) -> dict[str, float]:
    """ECE (the registry's ``ece`` metric, equal-width bins), NLL and accuracy of ``softmax(logits / T)``."""
    scaled = logits.detach().to(torch.float64) / temperature
    labels = labels.detach().long()
    ece = METRICS.get("ece").build(num_classes=logits.shape[1], bins=bins)
    ece.update(scaled.softmax(dim=1).float(), labels)
    return {
        "ece": float(ece.compute()),
        "nll": float(F.cross_entropy(scaled, labels)),
        "accuracy": float((scaled.argmax(dim=1) == labels).double().mean()),
    }
