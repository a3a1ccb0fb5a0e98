"""Maxout (Goodfellow et al. 2013): the maximum over affine pieces.

Two forms:

- :func:`maxout` is the paper's channel maxout: channels are grouped in k consecutive pieces and
  the maximum of each group is kept, dividing the width by k (put it after a layer k times wider);
- :class:`Maxout` is the width-preserving activation used by the models' ``activation`` slot:
  each unit takes the max over k learned affine functions of its own pre-activation,
  ``max_j (w_j x + b_j)``, i.e. a maxout unit fed by a diagonal linear map. It is initialised
  with pieces ``x`` and ``0``, which is ReLU, and learns a convex piecewise-linear activation.
"""

from __future__ import annotations

from typing import Annotated

import torch
from pydantic import Field
from torch import nn

from trainlab.registry import ACTIVATIONS


def maxout(inputs: torch.Tensor, num_pieces: int, dim: int = 1) -> torch.Tensor:
    """Channel maxout: max over groups of ``num_pieces`` consecutive entries of ``dim``.

    Raises:
        ValueError: the size of ``dim`` is not divisible by ``num_pieces``.
    """
    size = inputs.shape[dim]
    if size % num_pieces:
        raise ValueError(
            f"maxout needs the size of dim {dim} ({size}) to be divisible by num_pieces={num_pieces}"
        )
    dim = dim % inputs.dim()
    shape = (*inputs.shape[:dim], size // num_pieces, num_pieces, *inputs.shape[dim + 1 :])
    return inputs.reshape(shape).amax(dim=dim + 1)


@ACTIVATIONS.register(
    "maxout",
    reference="Goodfellow, Warde-Farley, Mirza, Courville & Bengio 2013, Maxout Networks, arXiv:1302.4389",
    flags={"smooth": False},
)
class Maxout(nn.Module):
    """Maxout of k learned affine pieces per unit, f(x) = max_j (w_j x + b_j); keeps the width, starts as ReLU.

    The k pieces are shared by all units of the layer.

    Args:
        num_pieces: Number of affine pieces k.
    """

    def __init__(self, num_pieces: Annotated[int, Field(ge=2)] = 2):
        super().__init__()
        slopes = torch.zeros(num_pieces)
        slopes[0] = 1.0  # pieces x, 0, 0, ...: ReLU at initialisation
        self.slopes = nn.Parameter(slopes)
        self.intercepts = nn.Parameter(torch.zeros(num_pieces))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pieces = x.unsqueeze(-1) * self.slopes.to(x.dtype) + self.intercepts.to(x.dtype)
        return pieces.amax(dim=-1)

    def extra_repr(self) -> str:
        return f"num_pieces={len(self.slopes)}"
