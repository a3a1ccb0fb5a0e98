"""Parameter groups by name: per-pattern options, and no weight decay on biases and normalization parameters.

Every catalog optimizer takes ``param_groups`` (name patterns with their own ``lr`` or
``weight_decay``) and ``decay_norm_and_bias`` (off by default: biases and normalization
parameters are not decayed), and receives the torch param groups :func:`make_param_groups` splits
from ``model.named_parameters()``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Annotated, Any

import torch
from pydantic import BaseModel, ConfigDict, Field

from trainlab.errors import ConfigError, Problem

Params = Iterable[Any]

# Normalization layers' parameters are recognized by name; biases by name or by being 1-D.
NORM_NAME_PATTERNS = ("*norm*", "*bn*", "*ln*", "*.gn*")


class ParamGroupSpec(BaseModel):
    """One ``param_groups`` entry: parameters whose name matches ``pattern`` get these options."""

    model_config = ConfigDict(extra="forbid")
    pattern: str
    lr: Annotated[float, Field(gt=0.0)] | None = None
    weight_decay: Annotated[float, Field(ge=0.0)] | None = None


def is_no_decay(name: str, param: torch.Tensor) -> bool:
    """Biases and normalization parameters: 1-D tensors, or names that say so."""
    lowered = name.lower()
    return (
        param.ndim <= 1
        or lowered.endswith(".bias")
        or any(fnmatch.fnmatchcase(lowered, p) for p in NORM_NAME_PATTERNS)
    )


def group_specs(param_groups: Iterable[ParamGroupSpec | dict[str, Any]] | None) -> list[ParamGroupSpec]:
    """``param_groups`` as recipes and Python callers give them (dicts or specs), checked."""
    return [
        s if isinstance(s, ParamGroupSpec) else ParamGroupSpec.model_validate(s) for s in param_groups or []
    ]


def make_param_groups(
    params: Params,
    *,
    param_groups: list[ParamGroupSpec] | None,
    decay_norm_and_bias: bool,
    has_weight_decay: bool,
) -> list[dict[str, Any]]:
    """Split parameters into torch param groups.

    Args:
        params: Tensors, ``(name, tensor)`` pairs (``model.named_parameters()``), or ready groups
            (dicts), which are passed through untouched.
        param_groups: Name patterns with their own options; the first matching pattern wins.
        decay_norm_and_bias: Decay biases and normalization parameters too (off by default).
        has_weight_decay: Whether the optimizer decays at all (else there is nothing to exempt).

    Raises:
        ConfigError: a pattern that matches no parameter, or patterns without parameter names.
    """
    items = list(params)
    if not items:
        raise ConfigError([Problem("optimizer", "got no parameters to optimize")])
    if all(isinstance(item, dict) for item in items):
        return items
    named = [item if isinstance(item, tuple) else (None, item) for item in items]
    specs = param_groups or []
    if specs and any(name is None for name, _ in named):
        raise ConfigError(
            [Problem("optimizer.param_groups", "needs parameter names; pass model.named_parameters()")]
        )
    groups: dict[tuple[int, bool], list[torch.Tensor]] = {}
    matched = [False] * len(specs)
    for name, param in named:
        index = next((i for i, s in enumerate(specs) if fnmatch.fnmatchcase(name, s.pattern)), -1)
        if index >= 0:
            matched[index] = True
        no_decay = has_weight_decay and not decay_norm_and_bias and is_no_decay(name or "", param)
        groups.setdefault((index, no_decay), []).append(param)
    problems = [
        Problem(
            f"optimizer.param_groups[{i}].pattern",
            f"'{s.pattern}' matches no parameter; names look like "
            + ", ".join(repr(n) for n, _ in named[:4]),
        )
        for i, (s, hit) in enumerate(zip(specs, matched, strict=True))
        if not hit
    ]
    if problems:
        raise ConfigError(problems)
    result = []
    for (index, no_decay), tensors in sorted(groups.items()):
        group: dict[str, Any] = {"params": tensors}
        if index >= 0:
            group.update(specs[index].model_dump(exclude={"pattern"}, exclude_none=True))
        if no_decay:
            group["weight_decay"] = 0.0
        result.append(group)
    return result


def all_params(groups: Iterable[dict[str, Any]]) -> list[torch.Tensor]:
    """Every tensor of a list of param groups, in order."""
    return [p for g in groups for p in g["params"]]
