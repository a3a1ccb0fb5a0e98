"""Input scaling by name: the ``scaling`` choice of a recipe, and the fitted scaler it names."""

from __future__ import annotations

from typing import Literal

import torch

from trainlab.data.transforms._affine import AffineScaler
from trainlab.data.transforms.maxabs import MaxAbsScaler
from trainlab.data.transforms.minmax import MinMaxScaler
from trainlab.data.transforms.robust import RobustScaler
from trainlab.data.transforms.standardize import Standardizer

Scaling = Literal["standardize", "minmax", "maxabs", "robust", "none"]

# Each scaling name's scaler; its ``fit`` uses statistics of the training inputs only. A run's saved
# preprocessing names its scaler by these keys, so a name, once shipped, keeps its meaning.
SCALERS: dict[str, type[AffineScaler]] = {
    "standardize": Standardizer,
    "minmax": MinMaxScaler,
    "maxabs": MaxAbsScaler,
    "robust": RobustScaler,
}


def fit_scaler(scaling: Scaling, train_inputs: torch.Tensor) -> AffineScaler | None:
    """The input scaler ``scaling`` names, fitted on the training inputs (None for ``"none"``)."""
    return None if scaling == "none" else SCALERS[scaling].fit(train_inputs)
