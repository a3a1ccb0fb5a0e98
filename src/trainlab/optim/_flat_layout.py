"""Where each of a list of tensors lives in one flat buffer, and per-tensor operations on such buffers.

Equal-sized tensors are placed next to each other, so per-tensor reductions (the layer-wise
trust ratios of LAMB and LARS) are one row-wise operation per distinct size, not one per tensor;
within a size, equal shapes are adjacent, so gathering them is one ``torch.stack`` per shape.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from itertools import groupby

import torch

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
        pieces = flat.split(self._sizes)
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
        start = 0
        for shape, run in groupby(self.order, key=lambda i: tuple(views[i].shape)):
            indices = list(run)
            end = start + len(indices) * views[indices[0]].numel()
            if len(indices) == 1:
                singles.append(indices[0])
            else:
                stacks.append((flat[start:end].view(len(indices), *shape), operator.itemgetter(*indices)))
            start = end
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
            cached = self._rows[id(flat)] = (
                flat,
                [flat[start : start + count * size].view(count, size) for start, count, size in self.blocks],
            )
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
            target_rows.mul_(scales[first : first + count, None])
            first += count

    def add_scaled_(self, target: torch.Tensor, source: torch.Tensor, scales: torch.Tensor) -> None:
        """``target += source · scale`` with one scale per tensor (layout order), in place."""
        if len(self.blocks) > _MAX_ROW_BLOCKS:
            target.addcmul_(source, self._per_element(scales))
            return
        first = 0
        for target_rows, source_rows, (_, count, _) in zip(
            self.rows(target), self.rows(source), self.blocks, strict=True
        ):
            target_rows.addcmul_(source_rows, scales[first : first + count, None])
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
