"""Input scaling by name: the ``scaling`` choice of a recipe, and the fitted scaler it names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch

from trainlab.data.transforms._affine import AffineScaler
from trainlab.data.transforms.minmax import MinMaxScaler
from trainlab.data.transforms.standardize import Standardizer

Scaling = Literal["standardize", "minmax", "none"]

# Each name's fitting function: statistics of the training inputs only.
FITTERS: dict[str, Callable[[torch.Tensor], AffineScaler]] = {
    "standardize": Standardizer.fit,
    "minmax": MinMaxScaler.fit,
}


def fit_scaler(scaling: Scaling, train_inputs: torch.Tensor) -> AffineScaler | None:
    """The input scaler ``scaling`` names, fitted on the training inputs (None for ``"none"``)."""
    return None if scaling == "none" else FITTERS[scaling](train_inputs)
