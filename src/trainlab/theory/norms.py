"""Vector and matrix norms of a model's weights, per parameter tensor."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def tensor_norms(tensor: torch.Tensor) -> dict[str, Any]:
    """L0 (non-zeros), L1, L2, L∞ of the entries, and for a tensor of 2+ dims the Frobenius, nuclear
    and spectral norms of its matrix (out, in·kernel): a convolution kernel is viewed as the matrix
    that maps each flattened input patch to the output channels."""
    values = tensor.detach().double()
    flat = values.reshape(-1)
    norms: dict[str, Any] = {
        "l0": int(torch.count_nonzero(flat)),
        "l1": float(flat.abs().sum()),
        "l2": float(flat.norm()),
        "linf": float(flat.abs().max()) if flat.numel() else 0.0,
        "frobenius": None,
        "nuclear": None,
        "spectral": None,
    }
    if values.dim() >= 2:
        singular_values = torch.linalg.svdvals(values.reshape(values.shape[0], -1))
        norms["frobenius"] = float(singular_values.norm())
        norms["nuclear"] = float(singular_values.sum())
        norms["spectral"] = float(singular_values.max())
    return norms


def model_norms(model: nn.Module) -> list[dict[str, Any]]:
    """One row per parameter tensor: its name, shape and :func:`tensor_norms`."""
    return [
        {"tensor": name, "shape": list(p.shape), **tensor_norms(p)} for name, p in model.named_parameters()
    ]
