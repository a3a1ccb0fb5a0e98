"""Weight layers in the form a block's norm and dropout slots ask for: weight norm and DropConnect.

Weight normalization and DropConnect act on a layer's weights, not on its activations. Their
layers in a model's norm and dropout slots pass activations through and offer
``parametrize(layer)``; the model builds each linear and conv layer through :func:`parametrized`,
so ``trainlab.create``, ``build_model`` and a recipe all give the same network.
"""

from __future__ import annotations

from typing import TypeVar

from torch import nn

Layer = TypeVar("Layer", bound=nn.Module)


def parametrized(layer: Layer, *slots: nn.Module) -> Layer:
    """``layer`` with the weight parametrization of each slot layer that has one, in order; in place.

    Pass the norm slot before the dropout slot: DropConnect then drops entries of the
    weight-normalized weight g * v / ||v||, which is what the network uses.
    """
    for slot in slots:
        parametrize = getattr(slot, "parametrize", None)
        if parametrize is not None:
            parametrize(layer)
    return layer
