"""Frozen parameters: ``freeze`` name patterns turn off ``requires_grad`` before the optimizer is built."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from typing import Any

from torch import nn

from trainlab.errors import ConfigError, Problem


def freeze(model: nn.Module, patterns: Sequence[str], *, key: str = "freeze") -> list[str]:
    """Turn off ``requires_grad`` for every parameter whose name matches one of ``patterns``.

    Patterns are shell-style, matched against ``model.named_parameters()`` names as the
    optimizer's ``param_groups`` patterns are (``conv1.*``, ``*.bias``). Call it before the
    optimizer is built: a frozen parameter is then left out of the optimizer, so it gets no
    state and no weight decay, and stays bitwise unchanged.

    Returns:
        The names of the frozen parameters.

    Raises:
        ConfigError: a pattern that matches no parameter, named by its key, with example names.
    """
    names = [name for name, _ in model.named_parameters()]
    problems = [
        Problem(
            f"{key}[{index}]",
            f"'{pattern}' matches no parameter of the model; names look like "
            + ", ".join(repr(n) for n in names[:4])
            + (f" ... {names[-1]!r}" if len(names) > 4 else ""),
        )
        for index, pattern in enumerate(patterns)
        if not any(fnmatch.fnmatchcase(name, pattern) for name in names)
    ]
    if problems:
        raise ConfigError(problems)
    frozen = []
    for name, param in model.named_parameters():
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns):
            param.requires_grad_(False)
            frozen.append(name)
    return frozen


def frozen_counts(model: nn.Module) -> dict[str, Any]:
    """How much of the model is frozen: tensors and scalar parameters, frozen and in all."""
    params = list(model.parameters())
    frozen = [p for p in params if not p.requires_grad]
    return {
        "frozen_tensors": len(frozen),
        "tensors": len(params),
        "frozen_parameters": sum(p.numel() for p in frozen),
        "parameters": sum(p.numel() for p in params),
    }
