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

Equal-sized tensors are placed next to each other, so per-tensor reductions (the layer-wise
trust ratios of LAMB and LARS) are one row-wise operation per distinct size, not one per tensor.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Sequence
from itertools import groupby, repeat
from typing import Any, NamedTuple

import torch

StateInit = Callable[[torch.Tensor], torch.Tensor]

_CACHE_ATTRIBUTE = "_trainlab_flat_groups"
_GRAD = operator.attrgetter("grad")
# From this size on, a tensor's elementwise passes cost more than the ~1 µs dispatch per operation
# that flat buffers save (measured on CPU: benchmarks/optim_step.py, models b and c).
LONE_TENSOR_NUMEL = 1 << 15
# With more distinct sizes than this, per-tensor reductions and scales run over all tensors at
# once (a few calls, indexed by tensor) instead of block by block (one or two calls per block).
_MAX_ROW_BLOCKS = 2


class FlatLayout:
    """Where each of a list of same-device, same-dtype tensors lives in one flat buffer."""

    def __init__(self, params: list[torch.Tensor]):
        # Sort by size: equal sizes become adjacent blocks, viewable as (count, size) matrices; within
        # a block, equal shapes become adjacent runs, which gather with one torch.stack each.
        self.order = sorted(range(len(params)), key=lambda i: (params[i].numel(), tuple(params[i].shape)))
        self.shapes = [params[i].shape for i in self.order]
        self.blocks: list[tuple[int, int, int]] = []  # (start, count, size)
        start = 0
        for i in self.order:
            size = params[i].numel()
            if self.blocks and self.blocks[-1][2] == size:
                block_start, count, _ = self.blocks[-1]
                self.blocks[-1] = (block_start, count + 1, size)
            else:
                self.blocks.append((start, 1, size))
            start += size
        self.numel = start
        # Row views of the long-lived flat buffers (parameters, scratch, state), made once per buffer.
        self._rows: dict[int, tuple[torch.Tensor, list[torch.Tensor]]] = {}
        self._sizes = [shape.numel() for shape in self.shapes]
        self._ids: dict[torch.device, torch.Tensor] = {}
        self._scratch: dict[tuple[torch.dtype, torch.device], torch.Tensor] = {}

    def views(self, flat: torch.Tensor) -> list[torch.Tensor]:
        """Views of ``flat`` shaped like the tensors, in parameter order."""
        pieces = flat.split([shape.numel() for shape in self.shapes])
        result: list[torch.Tensor] = [flat] * len(self.order)
        for position, i in enumerate(self.order):
            result[i] = pieces[position].view(self.shapes[position])
        return result

    def gatherer(self, flat: torch.Tensor) -> Callable[[Sequence[torch.Tensor]], None]:
        """A function copying tensors shaped like the layout's (in parameter order) into ``flat``.

        Each run of two or more equal shapes is one ``torch.stack`` into its stretch of ``flat``,
        the rest one ``torch._foreach_copy_``: on CPU a stack of 32 tensors costs about half of
        copying them one by one.
        """
        stacks: list[tuple[torch.Tensor, Callable[[Sequence[torch.Tensor]], tuple[torch.Tensor, ...]]]] = []
        singles: list[int] = []
        views = self.views(flat)
        position = 0
        for shape, run in groupby(self.order, key=lambda i: tuple(views[i].shape)):
            indices = list(run)
            start = sum(self._sizes[:position])
            position += len(indices)
            if len(indices) == 1:
                singles.append(indices[0])
                continue
            numel = views[indices[0]].numel()
            stacks.append((flat[start:start + len(indices) * numel].view(len(indices), *shape), operator.itemgetter(*indices)))
        single_views = [views[i] for i in singles]

        def gather(tensors: Sequence[torch.Tensor]) -> None:
            for out, pick in stacks:
                torch.stack(pick(tensors), out=out)
            if singles:
                torch._foreach_copy_(single_views, [tensors[i] for i in singles])

        return gather

    def rows(self, flat: torch.Tensor) -> list[torch.Tensor]:
        """Each block of equal-sized tensors as a ``(count, size)`` matrix view of ``flat``."""
        cached = self._rows.get(id(flat))
        if cached is None or cached[0] is not flat:
            cached = self._rows[id(flat)] = (flat, [flat[start:start + count * size].view(count, size)
                                                    for start, count, size in self.blocks])
        return cached[1]

    def norms(self, flat: torch.Tensor) -> torch.Tensor:
        """The L2 norm of every tensor, in layout order (one reduction per block, or one for all)."""
        if len(self.blocks) > _MAX_ROW_BLOCKS:
            # Sum of squares per tensor in one index_add_: four calls whatever the number of tensors.
            squares = torch.mul(flat, flat, out=self._scratch_like(flat))
            sums = torch.zeros(len(self._sizes), dtype=flat.dtype, device=flat.device)
            return sums.index_add_(0, self._tensor_ids(flat.device), squares).sqrt_()
        rows = self.rows(flat)
        if len(rows) == 1:
            return torch.linalg.vector_norm(rows[0], dim=1)
        return torch.cat([torch.linalg.vector_norm(block, dim=1) for block in rows])

    def scale_(self, target: torch.Tensor, scales: torch.Tensor) -> None:
        """``target *= scale`` with one scale per tensor (layout order), in place."""
        if len(self.blocks) > _MAX_ROW_BLOCKS:
            target.mul_(self._per_element(scales))
            return
        first = 0
        for target_rows, (_, count, _) in zip(self.rows(target), self.blocks, strict=True):
            target_rows.mul_(scales[first:first + count, None])
            first += count

    def add_scaled_(self, target: torch.Tensor, source: torch.Tensor, scales: torch.Tensor) -> None:
        """``target += source · scale`` with one scale per tensor (layout order), in place."""
        if len(self.blocks) > _MAX_ROW_BLOCKS:
            target.addcmul_(source, self._per_element(scales))
            return
        first = 0
        for target_rows, source_rows, (_, count, _) in zip(self.rows(target), self.rows(source), self.blocks, strict=True):
            target_rows.addcmul_(source_rows, scales[first:first + count, None])
            first += count

    def _per_element(self, scales: torch.Tensor) -> torch.Tensor:
        return torch.index_select(scales, 0, self._tensor_ids(scales.device), out=self._scratch_like(scales))

    def _tensor_ids(self, device: torch.device) -> torch.Tensor:
        """For every element of a flat buffer, the layout position of its tensor."""
        ids = self._ids.get(device)
        if ids is None:
            positions = torch.arange(len(self._sizes), device=device)
            ids = self._ids[device] = positions.repeat_interleave(torch.tensor(self._sizes, device=device))
        return ids

    def _scratch_like(self, flat: torch.Tensor) -> torch.Tensor:
        """A flat temporary for the layout's own operations (garbage on entry; one per dtype and device)."""
        key = (flat.dtype, flat.device)
        scratch = self._scratch.get(key)
        if scratch is None:
            scratch = self._scratch[key] = torch.empty(self.numel, dtype=flat.dtype, device=flat.device)
        return scratch


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
            self.weight_decay = (torch.tensor(per_tensor, dtype=self.grad.dtype, device=self.grad.device)
                                 if any(per_tensor) else None)

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
                    "create the optimizer after moving, casting or resizing the model")
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

    def bind_state(self, optimizer: torch.optim.Optimizer, name: str, init: StateInit = torch.zeros_like) -> torch.Tensor:
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


def flat_parts(optimizer: torch.optim.Optimizer, family: list[dict[str, Any]], name: str) -> Iterator[FlatGroup]:
    """The family's parameters with gradients as loaded :class:`FlatGroup` parts.

    One part per device and dtype, large tensors alone, or one part per parameter for the
    ``loop`` implementation (``foreach`` false): the same arithmetic, a parameter at a time.
    Each part arrives with its gradients gathered and its weight decays set; updated parameters
    are written back when the caller asks for the next part.
    """
    return _loaded(*_parts(optimizer, family, name), family)


def families_with_flat_parts(optimizer: torch.optim.Optimizer, name: str) -> Iterator[
        tuple[list[dict[str, Any]], Iterator[FlatGroup]]]:
    """``(family, parts)`` for every family with gradients (see :func:`families`, :func:`flat_parts`)."""
    for family in families(optimizer):
        parts, grads = _parts(optimizer, family, name)
        if parts:
            yield family, _loaded(parts, grads, family)


def _loaded(parts: list[FlatGroup], grads: list[torch.Tensor] | None,
            family: list[dict[str, Any]]) -> Iterator[FlatGroup]:
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
        first[key] == second[key] for key in first if key not in _PER_GROUP_OPTIONS)


class _Parts(NamedTuple):
    """A family's parts and which of its parameters had gradients when they were laid out."""

    parts: list[FlatGroup]
    with_grads: list[torch.Tensor]
    without_grads: list[torch.Tensor]
    sizes: tuple[int, ...]

    def current_grads(self, family: list[dict[str, Any]]) -> list[torch.Tensor] | None:
        """The gradients of :attr:`with_grads`, or None when the parameters with gradients changed."""
        # map() keeps the per-parameter work in C: with 64 tensors a generator costs ~15 µs a step.
        if (tuple(len(group["params"]) for group in family) != self.sizes
                or not all(map(operator.is_, map(_GRAD, self.without_grads), repeat(None)))):
            return None
        grads = list(map(_GRAD, self.with_grads))
        return None if any(map(operator.is_, grads, repeat(None))) else grads


def _parts(optimizer: torch.optim.Optimizer, family: list[dict[str, Any]],
           name: str) -> tuple[list[FlatGroup], list[torch.Tensor] | None]:
    """The family's parts, and its gradients when one part holds every parameter (in order)."""
    # Cached on the optimizer but not in its state: derived data, rebuilt after unpickling or deepcopy.
    cache: dict[tuple[Any, ...], _Parts] = optimizer.__dict__.setdefault(_CACHE_ATTRIBUTE, {})
    per_parameter = not family[0]["foreach"]
    key = (per_parameter, *(id(group["params"]) for group in family))
    cached = cache.get(key)
    grads = None if cached is None else cached.current_grads(family)
    if grads is not None:
        return cached.parts, grads if len(cached.parts) == 1 and cached.parts[0].params is cached.with_grads else None
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
