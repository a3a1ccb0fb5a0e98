"""Input kinds (features, signal, image) and the errors for a model that does not fit the data.

Shapes are per sample and channels first: ``(F,)`` feature vector, ``(C, L)`` signal,
``(C, H, W)`` image. Each model registers the kinds it takes as ``flags["inputs"]``, so the
error for a mismatch can list the models that do take the data's kind.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from trainlab.errors import ModelError
from trainlab.registry import MODELS

KIND_BY_RANK = {1: "features", 2: "signal", 3: "image"}
SHAPE_BY_KIND = {"features": "(F,)", "signal": "(C, L)", "image": "(C, H, W)"}
ALL_KINDS = ("features", "signal", "image")


def input_kind(input_shape: Sequence[int]) -> str | None:
    """``"features"``, ``"signal"`` or ``"image"``; None for any other rank."""
    return KIND_BY_RANK.get(len(input_shape))


def kind_phrase(kind: str) -> str:
    """``"a signal (C, L)"``, ``"an image (C, H, W)"``, ``"a feature vector (F,)"``."""
    return {"features": "a feature vector", "signal": "a signal", "image": "an image"}[
        kind
    ] + f" {SHAPE_BY_KIND[kind]}"


def describe_shape(input_shape: Sequence[int]) -> str:
    """E.g. ``"a signal (C, L) of shape (1, 40)"``, for error messages."""
    kind = input_kind(input_shape)
    if kind is None:
        return f"shape {tuple(input_shape)}"
    return f"{kind_phrase(kind)} of shape {tuple(input_shape)}"


def require_input_kind(model: str, input_shape: Sequence[int], supported: Sequence[str]) -> str:
    """Return the input's kind, or raise a ModelError that names models which take it.

    Raises:
        ModelError: the kind is not in ``supported``. ``build_model`` prefixes the user's key
            (``model.name``), since choosing another model is the fix.
    """
    kind = input_kind(input_shape)
    if kind is not None and kind in supported:
        return kind
    wanted = " or ".join(kind_phrase(k) for k in supported)
    alternatives = [
        e.name for e in MODELS if kind in e.flags.get("inputs", ()) and not e.flags.get("needs_run")
    ]
    fix = f"; models that take this input: {', '.join(alternatives)}" if alternatives else ""
    raise ModelError(f"'{model}' needs {wanted} input, but the data gives {describe_shape(input_shape)}{fix}")


def flat_output_size(layers: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Features per sample after ``layers`` and a flatten, found by one eval-mode pass of zero samples.

    Two samples, not one: group norm refuses a batch of one sample with one value per group.
    """
    was_training = layers.training
    layers.eval()
    with torch.no_grad():
        size = layers(torch.zeros(2, *input_shape)).numel() // 2
    layers.train(was_training)
    return size
