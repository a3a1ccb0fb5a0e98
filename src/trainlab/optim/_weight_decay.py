"""The ``weight_decay_mode`` option: the same switch for every optimizer that decays.

* ``l2`` adds ``weight_decay · w`` to the gradient before the update, i.e. it minimizes
  ``loss + weight_decay/2 · ‖w‖²``. Adaptive methods divide that term by their second-moment
  estimate, so parameters with large gradients are decayed less.
* ``decoupled`` multiplies the weights by ``1 − lr · weight_decay`` next to the update,
  independent of the gradient (Loshchilov & Hutter 2019: "L2 is not weight decay for Adam").

Each optimizer has a default mode (``adam`` l2, ``adamw`` decoupled, ...). trainlab's own rules
apply both modes where their paper places the decay. Where torch's class lacks the requested
mode, :func:`with_weight_decay` applies it in a step pre-hook, one multi-tensor operation per group.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Literal

import torch

WeightDecayMode = Literal["l2", "decoupled"]

EXTERNAL_DECAY = "external_weight_decay"  # group key read by the pre-hooks below


def with_weight_decay(
    cls: Callable[..., torch.optim.Optimizer],
    groups: list[dict[str, Any]],
    *,
    weight_decay: float,
    mode: str,
    native_mode: str | None,
    **kwargs: Any,
) -> torch.optim.Optimizer:
    """Build torch's ``cls``, applying ``mode`` natively when it is ``native_mode``, else by hook."""
    if mode == native_mode:
        return cls(groups, weight_decay=weight_decay, **kwargs)
    groups = [
        {
            **{k: v for k, v in g.items() if k != "weight_decay"},
            EXTERNAL_DECAY: g.get("weight_decay", weight_decay),
        }
        for g in groups
    ]
    if "weight_decay" in inspect.signature(cls).parameters:
        kwargs["weight_decay"] = 0.0
    optimizer = cls(groups, **kwargs)
    optimizer.defaults[EXTERNAL_DECAY] = weight_decay
    optimizer.defaults["weight_decay_mode"] = mode
    optimizer.register_step_pre_hook(_decoupled_hook if mode == "decoupled" else _l2_hook)
    return optimizer


@torch.no_grad()
def _decoupled_hook(optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
    for group in optimizer.param_groups:
        decay = group.get(EXTERNAL_DECAY, 0.0)
        params = [p for p in group["params"] if p.grad is not None]
        if decay and params:
            torch._foreach_mul_(params, 1.0 - group["lr"] * decay)


@torch.no_grad()
def _l2_hook(optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
    for group in optimizer.param_groups:
        decay = group.get(EXTERNAL_DECAY, 0.0)
        params = [p for p in group["params"] if p.grad is not None]
        if decay and params:
            sign = -1.0 if group.get("maximize", False) else 1.0
            grads = [p.grad for p in params if p.grad is not None]
            torch._foreach_add_(grads, params, alpha=sign * decay)
