"""Models by name: ``build_model`` for registered models and ``module:factory`` references."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import nn

from trainlab.errors import ConfigError, ModelError

# Importing the model modules registers them in MODELS.
from trainlab.models import (  # noqa: F401
    autoencoder,
    cnn1d,
    cnn2d,
    contractive_autoencoder,
    denoising_autoencoder,
    gru,
    mlp,
    multitask,
    rbm,
    recurrent,
    resnet,
    sparse_autoencoder,
    vae,
)
from trainlab.models.user import DATA_ARGUMENTS, load_user_model
from trainlab.nn._spec import prefixed
from trainlab.registry import MODELS

__all__ = ["build_model", "count_parameters", "load_user_model"]


def _check_data_arguments(input_shape: Sequence[int], num_outputs: int) -> tuple[int, ...]:
    shape = tuple(input_shape)
    if not shape or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in shape):
        raise ModelError(
            f"input_shape must be a non-empty tuple of positive ints, channels first: (F,), (C, L) or "
            f"(C, H, W); got {input_shape!r}"
        )
    if isinstance(num_outputs, bool) or not isinstance(num_outputs, int) or num_outputs < 1:
        raise ModelError(f"num_outputs must be a positive int, got {num_outputs!r}")
    return shape


def build_model(
    name: str, input_shape: Sequence[int], num_outputs: int, /, *, key: str = "model", **options: Any
) -> nn.Module:
    """Build a registered model, or a user model given as ``"package.module:factory"``.

    Options are checked against the model's signature and type annotations before anything
    is built, and every problem is reported at once under the user's ``key``.

    Args:
        name: A registered model name (``trainlab catalog models``) or a ``module:factory``
            reference (see :func:`load_user_model`).
        input_shape: Shape of one sample, channels first: ``(F,)``, ``(C, L)`` or ``(C, H, W)``.
        num_outputs: Width of the output: the number of classes, or of regression targets.
        key: Where the user wrote the model in the recipe, used to name problems.
        **options: The model's options, e.g. ``depth=3, activation="gelu"``. The first three
            arguments are positional-only, so an option that repeats them (``num_outputs``)
            is reported as a problem rather than raising a TypeError.

    Returns:
        An ``nn.Module`` mapping ``(N, *input_shape)`` to ``(N, num_outputs)``.

    Raises:
        UnknownNameError: ``name`` is not registered (the message suggests the closest names).
        ConfigError: options are unknown or invalid; each problem names its key.
        ModelError: the model does not fit the data (e.g. cnn2d on a signal), or a user model
            cannot be imported.

    Example:
        >>> model = build_model("mlp", (1, 40), 10, depth=3, norm="layer")
    """
    shape = _check_data_arguments(input_shape, num_outputs)
    if ":" in name:
        return load_user_model(name, shape, num_outputs, key=key, **options)
    entry = MODELS.get(name, key=f"{key}.name")
    converted, problems = entry.check_kwargs(options, provided=DATA_ARGUMENTS, key=key)
    if problems:
        raise ConfigError(problems, source=f"model '{entry.name}'")
    try:
        return entry.factory(shape, num_outputs, **converted)
    except ConfigError as exc:
        # Built-in factories name their own options ("width"); the user wrote them under ``key``.
        raise prefixed(exc, key, source=f"model '{entry.name}'") from exc
    except ModelError as exc:
        # A built-in model that does not fit the data is fixed by choosing another model.
        raise ModelError(f"{key}.name: {exc}") from exc


def count_parameters(model: nn.Module, *, trainable_only: bool = False) -> int:
    """Number of scalar parameters in ``model``; a parameter shared between layers counts once.

    Args:
        model: Any module.
        trainable_only: Count only parameters with ``requires_grad`` (e.g. with a frozen backbone).
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
