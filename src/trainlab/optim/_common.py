"""Catalog-wide optimizer options: parameter groups, weight-decay mode and implementation choice.

Weight-decay semantics, the same switch for every optimizer that decays:

* ``weight_decay_mode: l2`` adds ``weight_decay · w`` to the gradient before the update, i.e. it
  minimizes ``loss + weight_decay/2 · ‖w‖²``. Adaptive methods divide that term by their
  second-moment estimate, so parameters with large gradients are decayed less.
* ``weight_decay_mode: decoupled`` multiplies the weights by ``1 − lr · weight_decay`` next to the
  update, independent of the gradient (Loshchilov & Hutter 2019: "L2 is not weight decay for Adam").

Each optimizer has a default mode (``adam`` l2, ``adamw`` decoupled, ...). Where torch's own class
lacks the requested mode, a step pre-hook applies it with one multi-tensor operation per group.
"""

from __future__ import annotations

import fnmatch
import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field

from trainlab.errors import ConfigError, Problem

PositiveFloat = Annotated[float, Field(gt=0.0)]
NonNegativeFloat = Annotated[float, Field(ge=0.0)]
Beta = Annotated[float, Field(ge=0.0, lt=1.0)]
Params = Iterable[Any]
WeightDecayMode = Literal["l2", "decoupled"]
Implementation = Literal["auto", "fused", "foreach", "loop"]

# torch's fused kernels (one kernel for all tensors of a group); CPU support since torch 2.4.
FUSED_CLASSES = (torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW, torch.optim.Adagrad)
FUSED_DEVICES = ("cpu", "cuda", "mps", "xpu")

# Normalization layers' parameters are recognized by name; biases by name or by being 1-D.
NORM_NAME_PATTERNS = ("*norm*", "*bn*", "*ln*", "*.gn*")


class ParamGroupSpec(BaseModel):
    """One ``param_groups`` entry: parameters whose name matches ``pattern`` get these options."""

    model_config = ConfigDict(extra="forbid")
    pattern: str
    lr: PositiveFloat | None = None
    weight_decay: NonNegativeFloat | None = None


# ---------------------------------------------------------------------------------------------
# Parameter groups


def is_no_decay(name: str, param: torch.Tensor) -> bool:
    """Biases and normalization parameters: 1-D tensors, or names that say so."""
    lowered = name.lower()
    return (
        param.ndim <= 1
        or lowered.endswith(".bias")
        or any(fnmatch.fnmatchcase(lowered, p) for p in NORM_NAME_PATTERNS)
    )


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
        has_weight_decay: Whether the optimizer has a ``weight_decay`` option to zero.

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


def catalog_options(factory: Callable[..., torch.optim.Optimizer]) -> Callable[..., torch.optim.Optimizer]:
    """Give a registered factory the catalog-wide options ``param_groups`` and ``decay_norm_and_bias``.

    The wrapper's signature is the factory's plus these two keyword options, so that recipe
    validation checks them like any other option.
    """
    signature = inspect.signature(factory)
    has_weight_decay = "weight_decay" in signature.parameters
    default_weight_decay = signature.parameters["weight_decay"].default if has_weight_decay else 0.0

    @functools.wraps(factory)
    def wrapper(
        params: Params,
        *args: Any,
        param_groups: list[ParamGroupSpec] | None = None,
        decay_norm_and_bias: bool = False,
        **kwargs: Any,
    ) -> torch.optim.Optimizer:
        specs = [
            s if isinstance(s, ParamGroupSpec) else ParamGroupSpec.model_validate(s)
            for s in param_groups or []
        ]
        # Without any decay there is nothing to exempt, and one group steps faster than two.
        decays = has_weight_decay and (
            kwargs.get("weight_decay", default_weight_decay) > 0 or any(s.weight_decay for s in specs)
        )
        groups = make_param_groups(
            params, param_groups=specs, decay_norm_and_bias=decay_norm_and_bias, has_weight_decay=decays
        )
        return factory(groups, *args, **kwargs)

    extra = [
        inspect.Parameter(
            "param_groups",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=list[ParamGroupSpec] | None,
        ),
        inspect.Parameter(
            "decay_norm_and_bias", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=bool
        ),
    ]
    params = list(signature.parameters.values())
    positional = [p for p in params if p.kind is not p.KEYWORD_ONLY]
    keyword = [p for p in params if p.kind is p.KEYWORD_ONLY]
    wrapper.__signature__ = signature.replace(parameters=[*positional, *keyword, *extra])  # type: ignore[attr-defined]
    hints = dict(inspect.get_annotations(factory, eval_str=True))
    hints.update(param_groups=list[ParamGroupSpec] | None, decay_norm_and_bias=bool)
    wrapper.__annotations__ = hints
    del wrapper.__wrapped__  # type: ignore[attr-defined]  # introspection must see the wrapper's signature
    return wrapper


# ---------------------------------------------------------------------------------------------
# Implementation choice


def all_params(groups: Iterable[dict[str, Any]]) -> list[torch.Tensor]:
    return [p for g in groups for p in g["params"]]


def fused_supported(cls: type, params: list[torch.Tensor]) -> bool:
    return issubclass(cls, FUSED_CLASSES) and all(
        p.device.type in FUSED_DEVICES and p.is_floating_point() for p in params
    )


def torch_implementation(cls: type, groups: list[dict[str, Any]], implementation: str) -> dict[str, bool]:
    """torch's ``fused``/``foreach`` keyword arguments for ``implementation``.

    ``auto`` picks the fastest correct one: fused where torch has a kernel for the device, else
    foreach (one C++ call for all tensors), else the per-parameter loop.

    Raises:
        ConfigError: the choice is impossible for this optimizer or device.
    """
    accepted = inspect.signature(cls).parameters
    fused_ok = "fused" in accepted and fused_supported(cls, all_params(groups))
    if implementation == "auto":
        implementation = "fused" if fused_ok else ("foreach" if "foreach" in accepted else "loop")
    if implementation == "fused":
        if not fused_ok:
            raise ConfigError(
                [
                    Problem(
                        "optimizer.implementation",
                        f"torch has no fused {cls.__name__} for these parameters; use auto, foreach or loop",
                    )
                ]
            )
        return {"fused": True}
    if implementation == "foreach":
        if "foreach" not in accepted:
            raise ConfigError(
                [
                    Problem(
                        "optimizer.implementation",
                        f"{cls.__name__} has no foreach implementation; use auto or loop",
                    )
                ]
            )
        return {"foreach": True}
    return {"foreach": False} if "foreach" in accepted else {}


def own_implementation(implementation: str) -> bool:
    """``foreach`` flag for trainlab's own optimizers, which have multi-tensor and loop paths only."""
    if implementation == "fused":
        raise ConfigError(
            [
                Problem(
                    "optimizer.implementation",
                    "this optimizer has no fused kernel; use auto, foreach or loop",
                )
            ]
        )
    return implementation != "loop"


def chosen_implementation(optimizer: torch.optim.Optimizer) -> str:
    """The implementation an optimizer runs: fused, foreach or loop (read from its defaults)."""
    inner = getattr(optimizer, "inner", None)
    if inner is not None and len(inner) > 1:  # a router (muon): each part's own choice
        return " + ".join(f"{type(o).__name__}: {chosen_implementation(o)}" for o in inner)
    defaults = getattr(optimizer, "defaults", {})
    if defaults.get("fused"):
        return "fused"
    return "foreach" if defaults.get("foreach") else "loop"


# ---------------------------------------------------------------------------------------------
# Weight decay applied outside torch's class

EXTERNAL_DECAY = "external_weight_decay"  # group key read by the pre-hook below


def with_weight_decay(
    cls: type,
    groups: list[dict[str, Any]],
    *,
    weight_decay: float,
    mode: str,
    native_mode: str | None,
    **kwargs: Any,
) -> torch.optim.Optimizer:
    """Build torch's ``cls``, applying ``mode`` natively when it matches ``native_mode``, else by hook."""
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
            torch._foreach_add_([p.grad for p in params], params, alpha=sign * decay)


# ---------------------------------------------------------------------------------------------
# Helpers for trainlab's own optimizers (their arithmetic runs on flat buffers: see _flat.py)


def evaluate_closure(closure: Callable[[], Any] | None) -> Any:
    """The closure's loss, computed with gradients on (``step`` itself runs under ``no_grad``)."""
    if closure is None:
        return None
    with torch.enable_grad():
        return closure()


def run_update(
    update: Callable[..., None], foreach: bool, *tensor_lists: list[torch.Tensor], **options: Any
) -> None:
    """Call ``update`` on whole tensor lists (multi-tensor path) or once per parameter (loop path)."""
    if foreach:
        update(*tensor_lists, **options)
        return
    for tensors in zip(*tensor_lists, strict=True):
        update(*([t] for t in tensors), **options)


def next_step(groups: list[dict[str, Any]]) -> int:
    """Advance and return the step count of groups that step together (kept in each group, so saved)."""
    for group in groups:
        group["step"] = group.get("step", 0) + 1
    return groups[0]["step"]
