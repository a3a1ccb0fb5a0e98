"""Gradient check: autograd against central differences on a float64 copy of the model, per tensor."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from trainlab.diagnose._threads import one_thread
from trainlab.losses.terms import LossTerms

# The canon's reading of the relative error |a - n| / max(|a|, |n|) in float64 (CS231n, "Gradient
# checks"; Goodfellow, Bengio & Courville 2016, §11.5): about 1e-7 or less is right; up to 1e-4 can
# come from a kink the perturbation crossed; above 1e-4 the gradient is wrong.
RIGHT_BELOW = 1e-7
WRONG_ABOVE = 1e-4
# A central difference is exact only to its rounding, a few units of machine epsilon times |loss| / eps
# (about 1e-9 for a loss near 1 and eps 1e-6): a difference within it is no evidence against the
# gradient, so an unused weight's exact 0 against a numeric 1e-11 is not a relative error of 1, and a
# gradient of 1e-5 is not "look at kinks" because its difference is only good to 1e-4 relative.
ROUNDING_ULPS = 8

# Piecewise-linear modules and where their slope jumps, as a function of the module.
_BREAKPOINTS: dict[type[nn.Module], Callable[[Any], list[float]]] = {
    nn.ReLU: lambda m: [0.0],
    nn.LeakyReLU: lambda m: [0.0],
    nn.PReLU: lambda m: [0.0],
    nn.RReLU: lambda m: [0.0],
    nn.SELU: lambda m: [0.0],
    nn.ELU: lambda m: [] if m.alpha == 1.0 else [0.0],
    nn.Hardtanh: lambda m: [m.min_val, m.max_val],  # ReLU6 is a Hardtanh(0, 6)
    nn.Hardswish: lambda m: [-3.0, 3.0],
    nn.Hardsigmoid: lambda m: [-3.0, 3.0],
    nn.Hardshrink: lambda m: [-m.lambd, m.lambd],
    nn.Softshrink: lambda m: [-m.lambd, m.lambd],
}
# Max-type modules: their kink is where the argmax changes.
_MAX_TYPES = (
    nn.MaxPool1d,
    nn.MaxPool2d,
    nn.MaxPool3d,
    nn.AdaptiveMaxPool1d,
    nn.AdaptiveMaxPool2d,
    nn.AdaptiveMaxPool3d,
)


@dataclass
class TensorCheck:
    """The check of one tensor (a parameter, or the input).

    Attributes:
        name: The parameter's name, or ``"input"``.
        shape: The tensor's shape.
        entries: How many of its entries were perturbed.
        max_relative_error: The largest relative error over the entries no kink explains.
        verdict: ``"right"``, ``"look at kinks"`` or ``"wrong"``: the canon's reading of the largest
            error among the entries whose difference from autograd exceeds the central difference's
            own rounding (a tiny gradient's relative error can be large from rounding alone).
        worst_entry: The index of that entry, with its analytic and numeric derivatives.
        kinks: Entries whose perturbation crossed a kink, each with the module or the reason;
            their central difference straddles two slopes, so they do not count against the tensor.
    """

    name: str
    shape: tuple[int, ...]
    entries: int
    max_relative_error: float
    verdict: str
    worst_entry: dict[str, Any] | None = None
    kinks: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class GradcheckReport:
    """What :func:`gradcheck` found, one :class:`TensorCheck` per tensor.

    Attributes:
        tensors: Per-tensor results, parameters first, then the input.
        loss: The loss at the unperturbed point.
        eps: The perturbation used for the central differences.
    """

    tensors: list[TensorCheck]
    loss: float
    eps: float

    @property
    def passed(self) -> bool:
        """No tensor's gradient is wrong (a kink-explained entry does not count)."""
        return all(t.verdict != "wrong" for t in self.tensors)

    @property
    def worst(self) -> TensorCheck | None:
        return max(self.tensors, key=lambda t: t.max_relative_error, default=None)

    def rows(self) -> list[dict[str, Any]]:
        """A tidy table: one dict per tensor."""
        return [
            {
                "tensor": t.name,
                "shape": list(t.shape),
                "entries": t.entries,
                "max_relative_error": t.max_relative_error,
                "kink_entries": len(t.kinks),
                "verdict": t.verdict,
            }
            for t in self.tensors
        ]


def gradcheck(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    batch: tuple[torch.Tensor, torch.Tensor],
    *,
    entries_per_tensor: int = 8,
    eps: float = 1e-6,
    check_input: bool = True,
    seed: int = 0,
) -> GradcheckReport:
    """Compare autograd's gradient with central differences, on a float64 copy of ``model``.

    The model and loss are copied and cast to float64 (the originals are untouched). Dropout,
    DropConnect, stochastic pooling and every other train-only randomness are off (eval mode);
    batch norm keeps normalizing with the batch's own statistics, which is deterministic, so the
    gradient through them is checked too. For each parameter (and the input), ``entries_per_tensor``
    entries drawn at random get ``(L(w + eps) - L(w - eps)) / 2 eps``, compared with autograd by the
    relative error ``|a - n| / max(|a|, |n|)``.

    A perturbation that crosses a kink (ReLU at 0, a max whose argmax changes, ...) averages two
    slopes, so its error says nothing about the backward pass. Such entries are found two ways:
    the kink's module, from the pattern of its input (which side of each breakpoint, which argmax)
    changing under the perturbation; and any kink at all, from the two one-sided differences
    disagreeing by more than the error they would explain (a central difference across a kink is off
    by half the jump in slope). They are listed, not counted.

    Args:
        model: Any module mapping ``batch[0]`` to outputs.
        loss_fn: Called as ``loss_fn(outputs, targets)``; returns a scalar.
        batch: ``(inputs, targets)``; keep it tiny (2 to 8 samples).
        entries_per_tensor: Entries perturbed per tensor (all of a smaller tensor).
        eps: The perturbation; 1e-6 balances truncation and rounding in float64.
        check_input: Also check the gradient with respect to a floating-point input.
        seed: Chooses the entries.

    Returns:
        A :class:`GradcheckReport`; ``report.passed`` is False when some tensor's gradient is wrong.

    Reference:
        CS231n, "Gradient checks" (https://cs231n.github.io/neural-networks-3/#gradcheck);
        Goodfellow, Bengio & Courville 2016, Deep Learning, §11.5.
    """
    with one_thread():
        network = float64_copy(model)
        # In eval mode, like the model: a loss that learns as it goes (center's centres) holds still.
        loss64 = copy.deepcopy(loss_fn).double().eval() if isinstance(loss_fn, nn.Module) else loss_fn
        # A loss that reads the model through hooks (center, multitask, kd) must read the copy.
        attach = getattr(loss64, "attach", None)
        if callable(attach):
            attach(network)
        inputs, targets = (_as_float64(t) for t in batch)
        checked: list[tuple[str, torch.Tensor]] = [
            (name, p) for name, p in network.named_parameters() if p.requires_grad
        ]
        if check_input and inputs.is_floating_point():
            inputs.requires_grad_(True)
            checked.append(("input", inputs))

        def loss_at() -> torch.Tensor:
            value = loss64(network(inputs), targets)
            return value.total if isinstance(value, LossTerms) else value  # a loss of named terms

        loss = loss_at()
        analytic = torch.autograd.grad(loss, [t for _, t in checked], allow_unused=True)
        generator = torch.Generator().manual_seed(seed)
        results = []
        with _KinkWatch(network) as watch, torch.no_grad():
            base = float(loss_at())
            differences = _CentralDifferences(
                loss_at,
                watch,
                eps,
                base,
                base_patterns=watch.take(),
                rounding=ROUNDING_ULPS * torch.finfo(torch.float64).eps * max(1.0, abs(base)) / eps,
            )
            for (name, tensor), grad in zip(checked, analytic, strict=True):
                flat_grad = (
                    torch.zeros(tensor.numel(), dtype=tensor.dtype) if grad is None else grad.reshape(-1)
                )
                chosen = torch.randperm(tensor.numel(), generator=generator)[:entries_per_tensor].tolist()
                results.append(differences.check(name, tensor, flat_grad, chosen))
    return GradcheckReport(tensors=results, loss=float(loss.detach()), eps=eps)


def float64_copy(model: nn.Module) -> nn.Module:
    """A float64 copy of ``model`` with train-only randomness off and batch norm on batch statistics."""
    network = copy.deepcopy(model).double().eval()
    for module in network.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.train()
    return network


def relative_error(analytic: float, numeric: float) -> float:
    """``|a - n| / max(|a|, |n|)``, 0 when both are 0."""
    scale = max(abs(analytic), abs(numeric))
    return 0.0 if scale == 0 else abs(analytic - numeric) / scale


def verdict(error: float) -> str:
    """The canon's reading of a relative error."""
    if error <= RIGHT_BELOW:
        return "right"
    return "look at kinks" if error <= WRONG_ABOVE else "wrong"


@dataclass
class _CentralDifferences:
    """Perturbs one entry at a time around the unperturbed loss ``base`` and judges autograd's value."""

    loss_at: Callable[[], torch.Tensor]
    watch: _KinkWatch
    eps: float
    base: float
    base_patterns: dict[str, torch.Tensor]
    rounding: float

    def check(self, name: str, tensor: torch.Tensor, grad: torch.Tensor, chosen: list[int]) -> TensorCheck:
        eps, rounding = self.eps, self.rounding
        flat = tensor.detach().view(-1)  # a view: writing an entry perturbs the tensor in place
        worst, worst_error, judged_error, kinks = None, 0.0, 0.0, []
        for index in chosen:
            original = float(flat[index])
            flat[index] = original + eps
            plus, plus_patterns = float(self.loss_at()), self.watch.take()
            flat[index] = original - eps
            minus, minus_patterns = float(self.loss_at()), self.watch.take()
            flat[index] = original
            numeric = (plus - minus) / (2 * eps)
            analytic = float(grad[index])
            error = relative_error(analytic, numeric)
            entry = {
                "index": _unravel(index, tensor.shape),
                "analytic": analytic,
                "numeric": numeric,
                "relative_error": error,
            }
            difference = abs(analytic - numeric)
            if error > RIGHT_BELOW and difference > rounding:
                crossed = _crossed_kink(self.base_patterns, plus_patterns, minus_patterns)
                # Across a kink the central difference is off by half the jump between the one-sided slopes.
                slope_jump = abs((plus - self.base) - (self.base - minus)) / eps
                if crossed or (slope_jump >= difference and slope_jump > 2 * rounding):
                    kinks.append({**entry, "kink": crossed or "the loss's slope jumps within ±eps"})
                    continue
                judged_error = max(judged_error, error)
            if error >= worst_error:
                worst, worst_error = entry, error
        return TensorCheck(
            name=name,
            shape=tuple(tensor.shape),
            entries=len(chosen),
            max_relative_error=worst_error,
            verdict=verdict(judged_error),
            worst_entry=worst,
            kinks=kinks,
        )


class _KinkWatch:
    """Forward hooks that record, per kinked module, which side of each breakpoint its inputs are on
    (or which entry wins a max), so a perturbation that moves one across is named."""

    def __init__(self, model: nn.Module):
        self.model = model
        self.patterns: dict[str, torch.Tensor] = {}
        self.handles: list[Any] = []

    def __enter__(self) -> _KinkWatch:
        for name, module in self.model.named_modules():
            pattern = _pattern_function(module)
            if pattern is not None:
                self.handles.append(module.register_forward_hook(self._recorder(name or "model", pattern)))
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self.handles:
            handle.remove()

    def _recorder(self, name: str, pattern: Callable[[torch.Tensor], torch.Tensor]) -> Callable[..., None]:
        label = name

        def record(module: nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
            if inputs and isinstance(inputs[0], torch.Tensor):
                self.patterns[f"{label} ({type(module).__name__})"] = pattern(inputs[0].detach())

        return record

    def take(self) -> dict[str, torch.Tensor]:
        taken, self.patterns = self.patterns, {}
        return taken


def _pattern_function(module: nn.Module) -> Callable[[torch.Tensor], torch.Tensor] | None:
    from trainlab.nn.maxout import Maxout

    for kind, breakpoints_of in _BREAKPOINTS.items():
        if isinstance(module, kind):
            points = breakpoints_of(module)
            if not points:
                return None
            boundaries = torch.tensor(sorted(points), dtype=torch.float64)
            return lambda x: torch.bucketize(x, boundaries.to(x.device, x.dtype))
    if isinstance(module, Maxout):
        return lambda x: (x.unsqueeze(-1) * module.slopes.to(x.dtype) + module.intercepts.to(x.dtype)).argmax(
            -1
        )
    if isinstance(module, _MAX_TYPES):
        return lambda x: _max_indices(module, x)
    return None


def _max_indices(module: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    kind = type(module).__name__
    if kind.startswith("Adaptive"):
        return inputs.flatten(2).argmax(-1)
    functional: Any = {
        "MaxPool1d": nn.functional.max_pool1d,
        "MaxPool2d": nn.functional.max_pool2d,
        "MaxPool3d": nn.functional.max_pool3d,
    }[kind]
    pool: Any = module
    return functional(
        inputs,
        pool.kernel_size,
        pool.stride,
        pool.padding,
        pool.dilation,
        ceil_mode=pool.ceil_mode,
        return_indices=True,
    )[1]


def _crossed_kink(
    base: dict[str, torch.Tensor], plus: dict[str, torch.Tensor], minus: dict[str, torch.Tensor]
) -> str | None:
    for name, pattern in base.items():
        for moved in (plus.get(name), minus.get(name)):
            if moved is not None and not torch.equal(moved, pattern):
                return name
    return None


def _as_float64(tensor: torch.Tensor) -> torch.Tensor:
    tensor = tensor.detach()
    return tensor.double().clone() if tensor.is_floating_point() else tensor.clone()


def _unravel(index: int, shape: torch.Size) -> list[int]:
    coordinates = []
    for size in reversed(shape):
        coordinates.append(index % size)
        index //= size
    return list(reversed(coordinates))
