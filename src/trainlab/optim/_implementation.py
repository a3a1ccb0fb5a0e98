"""The ``implementation`` option: fused, foreach (multi-tensor) or a loop over parameters.

``auto`` picks the fastest correct one: fused where torch has a kernel for the device, else
foreach, else the per-parameter loop. trainlab's own optimizers have foreach (their flat-buffer
engine, :mod:`trainlab.optim._flat`) and loop paths.
"""

from __future__ import annotations

import inspect
from typing import Any, Literal

import torch

from trainlab.errors import ConfigError, Problem
from trainlab.optim._param_groups import all_params

Implementation = Literal["auto", "fused", "foreach", "loop"]

# torch's fused kernels (one kernel for all tensors of a group); CPU support since torch 2.4.
FUSED_CLASSES = (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW, torch.optim.Adagrad)
FUSED_DEVICES = ("cpu", "cuda", "mps", "xpu")


def fused_supported(cls: type, params: list[torch.Tensor]) -> bool:
    """Whether torch has a fused ``cls`` kernel for every one of ``params``."""
    return issubclass(cls, FUSED_CLASSES) and all(
        p.device.type in FUSED_DEVICES and p.is_floating_point() for p in params
    )


def implementation_kwargs(cls: type, groups: list[dict[str, Any]], implementation: str) -> dict[str, bool]:
    """The ``fused``/``foreach`` keyword arguments of ``cls`` for ``implementation``.

    Raises:
        ConfigError: the choice is impossible for this optimizer or device.
    """
    accepted = inspect.signature(cls).parameters
    fused_ok = "fused" in accepted and fused_supported(cls, all_params(groups))
    if implementation == "auto":
        implementation = "fused" if fused_ok else ("foreach" if "foreach" in accepted else "loop")
    if implementation == "fused":
        if not fused_ok:
            raise _impossible(
                f"{cls.__name__} has no fused kernel for these parameters; use auto, foreach or loop"
            )
        return {"fused": True}
    if implementation == "foreach":
        if "foreach" not in accepted:
            raise _impossible(f"{cls.__name__} has no foreach implementation; use auto or loop")
        return {"foreach": True}
    return {"foreach": False} if "foreach" in accepted else {}


def chosen_implementation(optimizer: torch.optim.Optimizer) -> str:
    """The implementation an optimizer runs: fused, foreach or loop (read from its defaults)."""
    inner = getattr(optimizer, "inner", None)
    if inner is not None and len(inner) > 1:  # a router (muon): each part's own choice
        return " + ".join(f"{type(o).__name__}: {chosen_implementation(o)}" for o in inner)
    defaults = getattr(optimizer, "defaults", {})
    if defaults.get("fused"):
        return "fused"
    return "foreach" if defaults.get("foreach") else "loop"


def _impossible(message: str) -> ConfigError:
    return ConfigError([Problem("optimizer.implementation", message)])
