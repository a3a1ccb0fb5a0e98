"""Layer slots that re-parametrize a whole model's weights (weight norm, DropConnect), applied after building."""

from __future__ import annotations

from torch import nn

from trainlab.nn.dropout import DropConnectSlot, apply_dropconnect
from trainlab.nn.normalization import WeightNormSlot, apply_weight_norm


def apply_weight_slots(model: nn.Module) -> nn.Module:
    """Apply the weight parametrizations that a model's norm or dropout slots ask for, in place.

    A norm slot ``weight`` puts weight normalization on every linear and conv layer; a dropout slot
    ``dropconnect`` puts DropConnect on every hidden one. Models without such slots are unchanged.
    """
    modules = list(model.modules())
    dropconnect = next((m for m in modules if isinstance(m, DropConnectSlot)), None)
    if dropconnect is not None:
        apply_dropconnect(model, dropconnect.p)
    if any(isinstance(m, WeightNormSlot) for m in modules):
        apply_weight_norm(model)
    return model
