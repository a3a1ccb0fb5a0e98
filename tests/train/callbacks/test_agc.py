"""Adaptive gradient clipping against its per-unit formula."""

import torch
from torch import nn

from trainlab.train.callbacks import adaptive_clip_grad_


def test_each_units_gradient_is_clipped_relative_to_its_weight_norm():
    layer = nn.Linear(4, 3).double()
    layer.weight.grad = torch.randn(3, 4, dtype=torch.float64) * 10
    weight_norms = layer.weight.detach().norm(dim=1).clamp_min(1e-3)
    grads = layer.weight.grad.clone()
    adaptive_clip_grad_([layer.weight], clip_factor=0.05)
    for unit in range(3):
        limit = 0.05 * weight_norms[unit]
        expected = grads[unit] * min(1.0, limit / grads[unit].norm())
        torch.testing.assert_close(layer.weight.grad[unit], expected)
