"""The speed layer under trainlab's own optimizers: what tensors their update rules run on.

Each rule (``lion_update``, ``lamb_update``, ... in its optimizer's module) is a function on
tensors that never sees this module. The optimizer's ``step`` asks :func:`each_family` for
*parts* and calls the rule once per part, on ``part.param``, ``part.grad`` and ``part.state(...)``:

* :class:`FlatPart`, the ``foreach`` implementation: a group's small parameters laid end to end,
  one flat buffer per quantity (parameters, gradients, each state entry), so each of the rule's
  operations is one kernel for all of them. On CPU torch's ``_foreach_*`` operations run one
  kernel per tensor, so a model with 16 tensors would pay 16 dispatches per operation.
* :class:`TensorPart`: one parameter stepped on its own tensors. The ``loop`` implementation steps
  every parameter so; ``foreach`` steps so the tensors of 128K elements or more (whose passes cost
  more than the dispatches a flat buffer saves, and which would cost a copy) and non-contiguous
  ones (channels-last weights), whose memory layout stays theirs.

In a flat part the parameters become views into the flat parameter buffer (the first step sets
each parameter's ``.data`` to its slice, as torch's ``ZeroRedundancyOptimizer`` does with
``parameters_as_bucket_view=True``), so the rule writes the parameters directly and a step
gathers only the gradients. The model computes with them as before, and ``model.state_dict()``
and ``load_state_dict()`` work as before; ``torch.save(p)`` of a single parameter saves the whole
buffer (save ``p.clone()`` or the state dict). A parameter whose ``.data`` is replaced later
(``p.data = t``, or another optimizer's binding) is copied back in and re-pointed at the next step.

State stays per parameter, as torch expects: ``optimizer.state[p]["exp_avg"]`` is a view into the
flat state buffer, so ``state_dict()``, ``load_state_dict()`` and code that inspects the state
see ordinary tensors. When an entry is no longer the view made here (after ``load_state_dict``,
or when someone replaced it), the flat buffer is rebuilt from the entries.

Param groups that differ only in weight decay (typically decayed weights and undecayed biases)
step as one *family*, sharing the flat buffers; each tensor keeps its own group's decay, which the
rule receives as one value per tensor (see :class:`~trainlab.optim._segments.Segments`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from itertools import repeat
from typing import Any, NamedTuple

import torch

from trainlab.optim._segments import ONE_TENSOR, Segments

StateInit = Callable[[torch.Tensor], torch.Tensor]

# From this size on, a tensor's elementwise passes cost more than the ~5 µs dispatch per operation
# that a flat buffer saves (measured on CPU with benchmarks/optim_step.py), and gathering its
# gradient would be one more pass.
LONE_TENSOR_NUMEL = 1 << 17
_CACHE_ATTRIBUTE = "_trainlab_parts"
_GRAD = operator.attrgetter("grad")
_PER_GROUP_OPTIONS = ("params", "weight_decay")


class TensorPart:
    """One parameter stepped on its own tensors: its gradient and its state entries as they are."""

    segments = ONE_TENSOR

    def __init__(self, param: torch.Tensor, group_index: int):
        self.params = [param]
        self.group_indices = [group_index]
        self.param = param.detach()
        self.grad = param.detach()
        self.weight_decay: float | torch.Tensor = 0.0

    def load(self, maximize: bool, group_decays: tuple[float, ...]) -> None:
        """Take up the parameter's current tensor and gradient (negated when maximizing)."""
        param = self.params[0]
        grad = param.grad
        assert grad is not None, "parts hold parameters with gradients only"
        self.param = param.detach()
        self.grad = -grad if maximize else grad
        self.weight_decay = group_decays[self.group_indices[0]]

    def state(
        self, optimizer: torch.optim.Optimizer, name: str, init: StateInit = torch.zeros_like
    ) -> torch.Tensor:
        """``optimizer.state[p][name]``, created as ``init(p)`` when missing."""
        entries = optimizer.state[self.params[0]]
        value = entries.get(name)
        if value is None:
            value = entries[name] = init(self.param)
        return value


class FlatPart:
    """Small parameters of one device and dtype, laid end to end: one flat buffer per quantity."""

    def __init__(self, params: list[torch.Tensor], group_indices: list[int]):
        like = params[0]
        self.params = params
        self.group_indices = group_indices
        self.segments = Segments([p.shape for p in params])
        self._empty = lambda: torch.empty(
            sum(p.numel() for p in params), dtype=like.dtype, device=like.device
        )
        self.param = self._empty()
        self.grad = self._empty()
        self._grad_views = self.segments.views(self.grad)
        self._pointers: list[int] = []
        self._bind_params()
        self.weight_decay: float | torch.Tensor = 0.0
        self._group_decays: tuple[float, ...] | None = None
        # name -> (the optimizer.state it was bound in, the parameters' entries, views, flat buffer)
        self._state: dict[str, tuple[Any, list[dict[str, Any]], list[torch.Tensor], torch.Tensor]] = {}

    def load(self, maximize: bool, group_decays: tuple[float, ...]) -> None:
        """Gather the gradients (negated when maximizing) and each tensor's weight decay."""
        if list(map(torch.Tensor.data_ptr, self.params)) != self._pointers:
            self._bind_params()  # someone replaced a parameter's .data (or another optimizer bound it)
        torch._foreach_copy_(self._grad_views, list(map(_GRAD, self.params)))
        if maximize:
            self.grad.neg_()
        if group_decays != self._group_decays:
            self._group_decays = group_decays
            decays = [group_decays[i] for i in self.group_indices]
            self.weight_decay = (
                decays[0]
                if len(set(decays)) == 1
                else torch.tensor(decays, dtype=self.param.dtype, device=self.param.device)
            )

    def state(
        self, optimizer: torch.optim.Optimizer, name: str, init: StateInit = torch.zeros_like
    ) -> torch.Tensor:
        """The flat buffer behind ``optimizer.state[p][name]`` of every parameter, (re)built when needed.

        Entries missing so far start as ``init(p)``.
        """
        # optimizer.state is replaced wholesale by load_state_dict; entries by whoever reassigns them.
        bound = self._state.get(name)
        if bound is not None and bound[0] is optimizer.state:
            try:  # itemgetter keeps the per-parameter check in C: ~3x cheaper than a generator
                if all(map(operator.is_, map(operator.itemgetter(name), bound[1]), bound[2])):
                    return bound[3]
            except KeyError:  # someone deleted an entry: rebuild below
                pass
        flat = self._empty()
        views = self.segments.views(flat)
        entries = [optimizer.state[p] for p in self.params]
        for p, entry, view in zip(self.params, entries, views, strict=True):
            current = entry.get(name)
            view.copy_(current if current is not None else init(p.detach()))
            entry[name] = view
        self._state[name] = (optimizer.state, entries, views, flat)
        return flat

    def _bind_params(self) -> None:
        """Point every parameter whose storage is not its slice of the flat buffer at that slice."""
        for p, view in zip(self.params, self.segments.views(self.param), strict=True):
            if p.data_ptr() == view.data_ptr():
                continue
            if p.shape != view.shape or p.dtype != view.dtype or p.device != view.device:
                raise RuntimeError(
                    f"a parameter changed from {tuple(view.shape)} {view.dtype} on {view.device} to "
                    f"{tuple(p.shape)} {p.dtype} on {p.device} after its optimizer first stepped; "
                    "create the optimizer after moving, casting or resizing the model"
                )
            view.copy_(p.detach())
            p.data = view
        self._pointers = [p.data_ptr() for p in self.params]


Part = TensorPart | FlatPart


def evaluate_closure(closure: Callable[[], Any] | None) -> Any:
    """The closure's loss, computed with gradients on (``step`` itself runs under ``no_grad``)."""
    if closure is None:
        return None
    with torch.enable_grad():
        return closure()


def next_step(groups: list[dict[str, Any]]) -> int:
    """Advance and return the step count of groups that step together (kept in each group, so saved)."""
    for group in groups:
        group["step"] = group.get("step", 0) + 1
    return int(groups[0]["step"])


def families(optimizer: torch.optim.Optimizer) -> list[list[dict[str, Any]]]:
    """The param groups that step as one: equal in every option but their parameters and weight decay."""
    groups = optimizer.param_groups
    if len(groups) == 1:
        return [groups]
    result: list[list[dict[str, Any]]] = []
    for group in groups:
        family = next((f for f in result if _same_options(f[0], group)), None)
        if family is None:
            result.append([group])
        else:
            family.append(group)
    return result


class _Layout(NamedTuple):
    """A family's parameters as they were when its parts were made, and those parts."""

    sizes: tuple[int, ...]  # parameters per group
    params: list[torch.Tensor]
    with_grads: tuple[bool, ...]
    parts: list[Part]


def loaded_parts(optimizer: torch.optim.Optimizer, family: list[dict[str, Any]]) -> list[Part]:
    """The family's parameters with gradients, as parts ready for the rule (gradients gathered)."""
    options = family[0]
    # Cached on the optimizer but not in its state: derived data, rebuilt after unpickling or deepcopy.
    cache: dict[tuple[Any, ...], _Layout] = optimizer.__dict__.setdefault(_CACHE_ATTRIBUTE, {})
    key = (options["foreach"], *(id(group["params"]) for group in family))
    layout = cache.get(key)
    sizes = tuple(len(group["params"]) for group in family)
    params = layout.params if layout is not None and layout.sizes == sizes else _params(family)
    # map() keeps the per-parameter check in C: with 16 tensors a generator costs several µs a step.
    with_grads = tuple(map(operator.is_not, map(_GRAD, params), repeat(None)))
    if layout is None or layout.sizes != sizes or layout.with_grads != with_grads:
        group_of = [index for index, group in enumerate(family) for _ in group["params"]]
        present = [(p, i) for p, i, has in zip(params, group_of, with_grads, strict=True) if has]
        parts = _new_parts(cache, present, options["foreach"], type(optimizer).__name__) if present else []
        layout = cache[key] = _Layout(sizes, params, with_grads, parts)
    group_decays = tuple(group["weight_decay"] for group in family)
    for part in layout.parts:
        part.load(options["maximize"], group_decays)
    return layout.parts


def each_family(optimizer: torch.optim.Optimizer) -> Iterator[tuple[list[dict[str, Any]], list[Part]]]:
    """``(family, parts)`` for every family with gradients (see :func:`families`, :func:`loaded_parts`)."""
    for family in families(optimizer):
        parts = loaded_parts(optimizer, family)
        if parts:
            yield family, parts


def _same_options(first: dict[str, Any], second: dict[str, Any]) -> bool:
    return first.keys() == second.keys() and all(
        first[key] == second[key] for key in first if key not in _PER_GROUP_OPTIONS
    )


def _params(family: list[dict[str, Any]]) -> list[torch.Tensor]:
    return [p for group in family for p in group["params"]]


def _new_parts(
    cache: dict[tuple[Any, ...], _Layout],
    with_grads: list[tuple[torch.Tensor, int]],
    foreach: bool,
    name: str,
) -> list[Part]:
    if any(p.grad is not None and p.grad.is_sparse for p, _ in with_grads):
        raise RuntimeError(f"{name} does not support sparse gradients")
    # A parameter lives in one flat buffer at a time: drop the parts that held any of these.
    ids = {id(p) for p, _ in with_grads}
    for stale in [
        key
        for key, layout in cache.items()
        if any(id(p) in ids for part in layout.parts for p in part.params)
    ]:
        del cache[stale]
    if not foreach:
        return [TensorPart(p, index) for p, index in with_grads]
    alone: list[tuple[torch.Tensor, int]] = []
    by_kind: dict[tuple[torch.device, torch.dtype], list[tuple[torch.Tensor, int]]] = {}
    for p, index in with_grads:
        if p.numel() >= LONE_TENSOR_NUMEL or not p.is_contiguous():
            alone.append((p, index))
        else:
            by_kind.setdefault((p.device, p.dtype), []).append((p, index))
    parts: list[Part] = [
        FlatPart([p for p, _ in kind], [i for _, i in kind]) if len(kind) > 1 else TensorPart(*kind[0])
        for kind in by_kind.values()
    ]
    return parts + [TensorPart(p, index) for p, index in alone]
