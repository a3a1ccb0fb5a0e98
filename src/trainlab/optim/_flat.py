"""Flat buffers: a group's tensors laid end to end, so each step operation is one kernel.

trainlab's own optimizers (lion, lamb, lars, adabelief, schedule-free) do their arithmetic on
one contiguous buffer per quantity instead of on lists of tensors. On CPU, torch's ``_foreach_*``
operations run one kernel per tensor, so a 64-tensor model pays 64 dispatches per operation and
a fresh allocation for every temporary; on flat buffers each operation is a single vectorized
pass and the temporaries are reused scratch buffers.

The parameters themselves become views into their flat buffer (the first step sets each
parameter's ``.data`` to its slice), as torch's ``ZeroRedundancyOptimizer`` does with
``parameters_as_bucket_view=True``. The model computes with them as before, ``model.state_dict()``
and ``load_state_dict()`` work as before, and the update writes the parameters directly: a step
gathers only the gradients. Two consequences worth knowing: ``p.untyped_storage()`` is the whole
buffer, so ``torch.save(p)`` of a single parameter saves the buffer (save ``p.clone()`` or the
state dict); and a parameter whose ``.data`` is later replaced (``p.data = t``) is copied back into
the buffer and re-pointed at the next step. Non-contiguous parameters (say channels-last weights)
keep their storage and are gathered and written back each step instead. ``implementation: loop``
leaves every parameter's storage alone.

State stays per parameter, as torch expects: ``optimizer.state[p]["exp_avg"]`` is a *view* into
the flat buffer, so ``state_dict()``, ``load_state_dict()`` and code that inspects the state see
ordinary tensors. When an entry is no longer the view we made (after ``load_state_dict``, or when
someone replaced it), the flat buffer is rebuilt from the entries.

Tensors of 32K elements or more are not copied: each is its own flat buffer and steps in place,
as in the ``loop`` implementation, which does that for every parameter.

Where each tensor lives in the buffers, and the per-tensor reductions over them, is
:class:`~trainlab.optim._flat_layout.FlatLayout`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from itertools import repeat
from typing import Any, NamedTuple

import torch

from trainlab.optim._flat_layout import FlatLayout

StateInit = Callable[[torch.Tensor], torch.Tensor]

_CACHE_ATTRIBUTE = "_trainlab_flat_groups"
_GRAD = operator.attrgetter("grad")
# From this size on, a tensor's elementwise passes cost more than the ~1 µs dispatch per operation
# that flat buffers save (measured on CPU: benchmarks/optim_step.py, models b and c).
LONE_TENSOR_NUMEL = 1 << 15


class FlatGroup:
    """Flat parameter, gradient, state and scratch buffers for one list of same-kind parameters.

    Views into the flat buffers are made once and kept: creating a view costs about a
    microsecond, which per tensor and per step would be most of the step on small models.
    """

    def __init__(self, params: list[torch.Tensor], group_indices: list[int]):
        self.params = params
        self.layout = FlatLayout(params)
        self._group_indices = [group_indices[i] for i in self.layout.order]
        self._decays_seen: tuple[float, ...] | None = None
        self.weight_decay: torch.Tensor | None = None
        like = params[0]
        self._empty = lambda: torch.empty(self.layout.numel, dtype=like.dtype, device=like.device)
        # A lone contiguous parameter is its own flat buffer: no gathering or writing back.
        self._in_place = len(params) == 1 and like.is_contiguous()
        # Several contiguous parameters become views into the flat buffer: no gathering either.
        self._bound = not self._in_place and all(p.is_contiguous() for p in params)
        self._param = like.detach().view(-1) if self._in_place else self._empty()
        self._param_loaded = self._in_place or self._bound
        # A lone parameter's gradient is read where it lies; a buffer is made only if it must change.
        self._grad_buffer: torch.Tensor | None = None if self._in_place else self._empty()
        self._gather_grads = None if self._grad_buffer is None else self.layout.gatherer(self._grad_buffer)
        self.grad = self._grad_buffer  # read-only to the update rule: see writable_grad
        self._param_views = self.layout.views(self._param)
        self._param_pointers: list[int] = []
        if self._bound:
            self._bind_params()
        self._scratch: list[tuple[torch.Tensor, list[torch.Tensor]]] = []
        # name -> (the optimizer.state it was bound in, the parameters' entries, flat buffer, views)
        self._state: dict[str, tuple[Any, list[dict[str, Any]], torch.Tensor, list[torch.Tensor]]] = {}

    def set_weight_decays(self, decays: tuple[float, ...]) -> None:
        """Spread the groups' weight decays to :attr:`weight_decay`, one per tensor (None when all are 0)."""
        if decays != self._decays_seen:
            self._decays_seen = decays
            per_tensor = [decays[i] for i in self._group_indices]
            self.weight_decay = (
                torch.tensor(per_tensor, dtype=self.grad.dtype, device=self.grad.device)
                if any(per_tensor)
                else None
            )

    def apply_weight_decay(self, lr: float, decoupled: bool) -> None:
        """Each tensor's weight decay λ: weights times ``1 − lr·λ`` (decoupled), or λθ added to the gradient (l2)."""
        if self.weight_decay is None:
            return
        if decoupled:
            self.layout.scale_(self.param, torch.mul(self.weight_decay, -lr).add_(1.0))
        else:
            self.layout.add_scaled_(self.writable_grad(), self.param, self.weight_decay)

    @property
    def param(self) -> torch.Tensor:
        """The parameters: the buffer they are views of, or gathered on first use and written back by :meth:`store`."""
        if not self._param_loaded:
            torch._foreach_copy_(self._param_views, self.params)
            self._param_loaded = True
        return self._param

    def scratch(self, index: int) -> torch.Tensor:
        """The ``index``-th reusable temporary buffer (its contents are garbage on entry)."""
        while len(self._scratch) <= index:
            buffer = self._empty()
            self._scratch.append((buffer, self.layout.views(buffer)))
        return self._scratch[index][0]

    def add_to_params(self, scratch_index: int, alpha: float) -> None:
        """``params += alpha · scratch(scratch_index)``.

        An update that needs the parameters only for this skips gathering and writing them
        back: one pass over the tensors instead of two.
        """
        delta, views = self._scratch[scratch_index]
        if self._param_loaded:
            self._param.add_(delta, alpha=alpha)
        else:
            torch._foreach_add_(self.params, views, alpha=alpha)

    def _bind_params(self) -> None:
        """Point every parameter whose storage is not its slice of the flat buffer at that slice."""
        for p, view in zip(self.params, self._param_views, strict=True):
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
        self._param_pointers = [p.data_ptr() for p in self.params]

    def load(self, negate_grads: bool, grads: list[torch.Tensor] | None = None) -> None:
        """Gather the current gradients (negated when maximizing); parameters wait for :attr:`param`.

        ``grads`` are the parameters' ``.grad``, when the caller has already fetched them.
        """
        if self._bound and list(map(torch.Tensor.data_ptr, self.params)) != self._param_pointers:
            self._bind_params()  # someone replaced a parameter's .data (or another optimizer bound it)
        if self._in_place:
            param = self.params[0]
            if self._param.data_ptr() != param.data_ptr():  # someone replaced .data
                self._param = param.detach().view(-1)
            # The lone parameter's own gradient, read in place unless it must be negated.
            self.grad = param.grad.reshape(-1)
            if negate_grads:
                self.grad = torch.neg(self.grad, out=self._owned_grad_buffer())
            return
        self._gather_grads(list(map(_GRAD, self.params)) if grads is None else grads)
        if negate_grads:
            self.grad.neg_()

    def writable_grad(self) -> torch.Tensor:
        """The gradient as a buffer the update rule may overwrite (never the parameter's ``.grad``)."""
        if self.grad is not self._grad_buffer:
            self.grad = self._owned_grad_buffer().copy_(self.grad)
        return self.grad

    def _owned_grad_buffer(self) -> torch.Tensor:
        if self._grad_buffer is None:
            self._grad_buffer = self._empty()
        return self._grad_buffer

    def store(self) -> None:
        """Write the updated flat parameters back into the parameters, if they were gathered."""
        if self._param_loaded and not (self._in_place or self._bound):
            torch._foreach_copy_(self.params, self._param_views)
            self._param_loaded = False

    def bind_state(
        self, optimizer: torch.optim.Optimizer, name: str, init: StateInit = torch.zeros_like
    ) -> torch.Tensor:
        """The flat buffer behind ``optimizer.state[p][name]`` for every parameter, (re)built when needed.

        Entries missing so far start as ``init(parameter)``.
        """
        # optimizer.state is replaced wholesale by load_state_dict; entries by whoever reassigns them.
        bound = self._state.get(name)
        if bound is not None and bound[0] is optimizer.state:
            try:  # itemgetter is about 3x cheaper per parameter than dict.get through methodcaller
                if all(map(operator.is_, map(operator.itemgetter(name), bound[1]), bound[3])):
                    return bound[2]
            except KeyError:  # someone deleted an entry: rebuild it below
                pass
        state = optimizer.state
        flat = self._empty()
        views = self.layout.views(flat)
        for p, view in zip(self.params, views, strict=True):
            current = state[p].get(name)
            view.copy_(current if current is not None else init(p.detach()))
            state[p][name] = view
        self._state[name] = (state, [state[p] for p in self.params], flat, views)
        return flat


def families(optimizer: torch.optim.Optimizer) -> list[list[dict[str, Any]]]:
    """The param groups that step as one: equal in every option but their parameters and weight decay.

    Typically the decayed weights and the undecayed biases and norms; one flat buffer for both
    halves the fixed cost of a step. Each tensor keeps its own group's weight decay.
    """
    result: list[list[dict[str, Any]]] = []
    for group in optimizer.param_groups:
        family = next((f for f in result if _same_options(f[0], group)), None)
        if family is None:
            result.append([group])
        else:
            family.append(group)
    return result


def flat_parts(
    optimizer: torch.optim.Optimizer, family: list[dict[str, Any]], name: str
) -> Iterator[FlatGroup]:
    """The family's parameters with gradients as loaded :class:`FlatGroup` parts.

    One part per device and dtype, large tensors alone, or one part per parameter for the
    ``loop`` implementation (``foreach`` false): the same arithmetic, a parameter at a time.
    Each part arrives with its gradients gathered and its weight decays set; updated parameters
    are written back when the caller asks for the next part.
    """
    return _loaded(*_parts(optimizer, family, name), family)


def families_with_flat_parts(
    optimizer: torch.optim.Optimizer, name: str
) -> Iterator[tuple[list[dict[str, Any]], Iterator[FlatGroup]]]:
    """``(family, parts)`` for every family with gradients (see :func:`families`, :func:`flat_parts`)."""
    for family in families(optimizer):
        parts, grads = _parts(optimizer, family, name)
        if parts:
            yield family, _loaded(parts, grads, family)


def _loaded(
    parts: list[FlatGroup], grads: list[torch.Tensor] | None, family: list[dict[str, Any]]
) -> Iterator[FlatGroup]:
    negate_grads = family[0]["maximize"]
    decays = tuple(group["weight_decay"] for group in family)
    for flat in parts:
        flat.load(negate_grads, grads)
        flat.set_weight_decays(decays)
        yield flat
        flat.store()


_PER_GROUP_OPTIONS = ("params", "weight_decay")


def _same_options(first: dict[str, Any], second: dict[str, Any]) -> bool:
    return first.keys() == second.keys() and all(
        first[key] == second[key] for key in first if key not in _PER_GROUP_OPTIONS
    )


class _Parts(NamedTuple):
    """A family's parts and which of its parameters had gradients when they were laid out."""

    parts: list[FlatGroup]
    with_grads: list[torch.Tensor]
    without_grads: list[torch.Tensor]
    sizes: tuple[int, ...]

    def current_grads(self, family: list[dict[str, Any]]) -> list[torch.Tensor] | None:
        """The gradients of :attr:`with_grads`, or None when the parameters with gradients changed."""
        # map() keeps the per-parameter work in C: with 64 tensors a generator costs ~15 µs a step.
        if tuple(len(group["params"]) for group in family) != self.sizes or not all(
            map(operator.is_, map(_GRAD, self.without_grads), repeat(None))
        ):
            return None
        grads = list(map(_GRAD, self.with_grads))
        return None if any(map(operator.is_, grads, repeat(None))) else grads


def _parts(
    optimizer: torch.optim.Optimizer, family: list[dict[str, Any]], name: str
) -> tuple[list[FlatGroup], list[torch.Tensor] | None]:
    """The family's parts, and its gradients when one part holds every parameter (in order)."""
    # Cached on the optimizer but not in its state: derived data, rebuilt after unpickling or deepcopy.
    cache: dict[tuple[Any, ...], _Parts] = optimizer.__dict__.setdefault(_CACHE_ATTRIBUTE, {})
    per_parameter = not family[0]["foreach"]
    key = (per_parameter, *(id(group["params"]) for group in family))
    cached = cache.get(key)
    grads = None if cached is None else cached.current_grads(family)
    if grads is not None:
        return cached.parts, grads if len(cached.parts) == 1 and cached.parts[
            0
        ].params is cached.with_grads else None
    params, group_indices, without_grads = [], [], []
    for index, group in enumerate(family):
        for p in group["params"]:
            if p.grad is None:
                without_grads.append(p)
            else:
                params.append(p)
                group_indices.append(index)
    if any(p.grad.is_sparse for p in params):
        raise RuntimeError(f"{name} does not support sparse gradients")
    # A parameter's state lives in one flat buffer at a time: drop layouts that shared it.
    ids = {id(p) for p in params}
    for stale in [k for k, v in cache.items() if any(id(p) in ids for p in v.with_grads)]:
        del cache[stale]
    index_of = {id(p): i for p, i in zip(params, group_indices, strict=True)}
    subsets = _subsets(params, per_parameter)
    if len(subsets) == 1 and len(subsets[0]) == len(params):
        subsets = [params]  # the same parameters in the same order: later steps fetch gradients once
    parts = [FlatGroup(subset, [index_of[id(p)] for p in subset]) for subset in subsets]
    cache[key] = _Parts(parts, params, without_grads, tuple(len(group["params"]) for group in family))
    return parts, None


def _subsets(params: list[torch.Tensor], per_parameter: bool) -> list[list[torch.Tensor]]:
    if per_parameter:
        return [[p] for p in params]
    # Large tensors step in place, one at a time: their per-operation dispatch is negligible and
    # copying them to and from a flat buffer would cost two extra passes over memory.
    lone = [[p] for p in params if p.numel() >= LONE_TENSOR_NUMEL]
    by_kind: dict[tuple[Any, ...], list[torch.Tensor]] = {}
    for p in params:
        if p.numel() < LONE_TENSOR_NUMEL:
            by_kind.setdefault((p.device, p.dtype), []).append(p)
    return [*by_kind.values(), *lone]
