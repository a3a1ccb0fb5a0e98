"""Per-tensor quantities over a buffer holding many tensors end to end: norms, and one value per tensor.

The layer-wise rules (LAMB, LARS) take one norm per tensor and scale each tensor by its own
trust ratio, and a parameter group's weight decay may differ from tensor to tensor. A rule asks
its :class:`Segments` for both; on a single tensor they are the trivial one-segment case
(:data:`ONE_TENSOR`), so the same rule runs on one parameter or on a flat buffer of many.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

import torch

# Expansions kept for reuse: a constant per-tensor weight decay, and the step's latest one.
_KEPT_EXPANSIONS = 2


class Segments:
    """Where each tensor lies in a flat buffer, and the per-tensor operations over such buffers.

    Args:
        shapes: The tensors' shapes, in buffer order; None for a single tensor of any shape.
    """

    def __init__(self, shapes: Sequence[torch.Size] | None = None):
        self.shapes = None if shapes is None else list(shapes)
        self.sizes = None if shapes is None else [shape.numel() for shape in shapes]
        self.numel = None if self.sizes is None else sum(self.sizes)
        self._element_ids: dict[torch.device, torch.Tensor] = {}
        self._views: dict[int, tuple[torch.Tensor, list[torch.Tensor]]] = {}
        self._expanded: dict[int, tuple[torch.Tensor, int, torch.Tensor]] = {}

    def __len__(self) -> int:
        return 1 if self.sizes is None else len(self.sizes)

    def views(self, flat: torch.Tensor) -> list[torch.Tensor]:
        """Views of ``flat`` shaped like the tensors, made once per buffer and kept."""
        if self.shapes is None or self.sizes is None:
            return [flat]
        kept = self._views.get(id(flat))
        if kept is None or kept[0] is not flat:
            pieces = flat.split(self.sizes)
            kept = self._views[id(flat)] = (
                flat,
                [p.view(s) for p, s in zip(pieces, self.shapes, strict=True)],
            )
        return kept[1]

    def norms(self, x: torch.Tensor) -> torch.Tensor:
        """The L2 norm of each tensor in ``x``: one entry per segment (0-d for a single tensor)."""
        if self.sizes is None:
            return torch.linalg.vector_norm(x)
        kept = self._views.get(id(x))
        pieces = kept[1] if kept is not None and kept[0] is x else x.split(self.sizes)
        return torch.stack(torch._foreach_norm(pieces))

    @overload
    def expand(self, values: float) -> float: ...
    @overload
    def expand(self, values: torch.Tensor) -> torch.Tensor: ...
    @overload
    def expand(self, values: float | torch.Tensor) -> float | torch.Tensor: ...

    def expand(self, values: float | torch.Tensor) -> float | torch.Tensor:
        """``values`` (one per tensor) spread over each tensor's elements, to combine with ``x``.

        A float is the same for every tensor and stays a float; on a single tensor the one value
        broadcasts as it is.
        """
        if not isinstance(values, torch.Tensor) or self.sizes is None:
            return values
        kept = self._expanded.pop(id(values), None)
        if kept is None or kept[0] is not values or kept[1] != values._version:
            kept = (values, values._version, values.index_select(0, self._ids(values.device)))
        if len(self._expanded) >= _KEPT_EXPANSIONS:
            del self._expanded[next(iter(self._expanded))]  # the least recently used
        self._expanded[id(values)] = kept
        return kept[2]

    def _ids(self, device: torch.device) -> torch.Tensor:
        """For each element of a flat buffer, the position of its tensor."""
        ids = self._element_ids.get(device)
        if ids is None:
            assert self.sizes is not None
            counts = torch.tensor(self.sizes, device=device)
            ids = self._element_ids[device] = torch.arange(len(self.sizes), device=device).repeat_interleave(
                counts
            )
        return ids


ONE_TENSOR = Segments()


def is_zero(values: float | torch.Tensor) -> bool:
    """Whether per-tensor ``values`` are a plain zero, so that a rule can skip the term they scale.

    Per-tensor values arrive as a tensor only when they differ between tensors.
    """
    return not isinstance(values, torch.Tensor) and values == 0
