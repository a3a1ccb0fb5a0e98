"""Standardizer: per-feature (per-pixel, per-time-step) z-scoring fitted on the training split only."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch

from trainlab.data.transforms._affine import MIN_SPREAD, AffineScaler, as_float64


class Standardizer(AffineScaler):
    """Maps each input position to zero mean and unit variance with statistics from training data.

    Statistics are per position of a sample (per feature of a vector, per time step of a signal,
    per pixel of an image), fitted with the population standard deviation (``ddof=0``) so that the
    training split comes out with mean 0 and std 1 exactly. Positions that are constant in the
    training data keep a std of 1: they map to 0 instead of NaN. Fitting on the training split
    alone keeps validation and test data out of the preprocessing, as in scikit-learn's
    ``StandardScaler`` used inside a pipeline.

    Example:
        >>> scaler = Standardizer.fit(x_train)
        >>> x_val = scaler(x_val)
        >>> torch.save(scaler.state_dict(), "scaler.pt")
        >>> scaler = Standardizer.from_state_dict(bundle.info["scaler"])  # as load_data fitted it

    Attributes:
        mean: Float32 tensor of one sample's shape.
        std: Float32 tensor of one sample's shape, every entry positive.
    """

    STATE_KEYS: ClassVar[tuple[str, str]] = ("mean", "std")

    @classmethod
    def fit(cls, inputs: torch.Tensor | np.ndarray) -> Standardizer:
        """Statistics of ``inputs`` (samples along the first axis), computed in float64.

        Float64 accumulation keeps the mean exact enough that the transformed training data has
        mean 0 to float32 precision even for large N or large offsets.
        """
        values = as_float64(inputs, cls.__name__)
        std = values.std(axis=0)
        return cls(values.mean(axis=0), np.where(std < MIN_SPREAD, 1.0, std))

    @property
    def mean(self) -> torch.Tensor:
        return self.shift

    @property
    def std(self) -> torch.Tensor:
        return self.scale
