"""Autocast contexts for the recipe's ``train.precision``."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager as ContextManager

import torch

from trainlab.errors import ConfigError, Problem

_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def autocast_factory(precision: str, device: torch.device) -> Callable[[], ContextManager]:
    """Return a zero-argument callable producing the forward pass's autocast context.

    fp32 gets ``contextlib.nullcontext`` so the hot path pays nothing for the feature.

    Raises:
        ConfigError: for fp16 on a device without float16 autocast support (CPU).
    """
    if precision == "fp32":
        return contextlib.nullcontext
    if precision == "fp16" and device.type != "cuda":
        raise ConfigError([Problem("train.precision", "fp16 needs a CUDA device; use bf16 on CPU")])
    dtype = _DTYPES[precision]
    return lambda: torch.autocast(device_type=device.type, dtype=dtype)


def grad_scaler(precision: str, device: torch.device) -> torch.amp.GradScaler:
    """A loss scaler for fp16, whose small gradients would underflow.

    For fp32 and bf16 the scaler is disabled: it passes everything straight through, so the loop
    has one shape whatever the precision (as in nanoGPT).
    """
    return torch.amp.GradScaler(device.type, enabled=precision == "fp16")
