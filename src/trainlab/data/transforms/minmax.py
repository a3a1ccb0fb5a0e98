"""MinMaxScaler: per-position scaling of the training range to [0, 1], fitted on the training split only."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch

from trainlab.data.transforms._affine import MIN_SPREAD, AffineScaler, as_float64


class MinMaxScaler(AffineScaler):
    """Maps each input position's training minimum to 0 and maximum to 1 (scikit-learn's ``MinMaxScaler``).

    Validation and test values outside the training range land outside [0, 1]: they are not
    clipped, so nothing about them is hidden from the model or the metrics. Positions that are
    constant in training keep a range of 1 and map to 0.

    Example:
        >>> scaler = MinMaxScaler.fit(x_train)
        >>> x_test = scaler(x_test)

    Attributes:
        minimum: Float32 tensor of one sample's shape.
        range: Float32 tensor of one sample's shape (maximum − minimum), every entry positive.
    """

    STATE_KEYS: ClassVar[tuple[str, str]] = ("min", "range")

    @classmethod
    def fit(cls, inputs: torch.Tensor | np.ndarray) -> MinMaxScaler:
        """Per-position minimum and range of ``inputs`` (samples along the first axis)."""
        values = as_float64(inputs, cls.__name__)
        minimum = values.min(axis=0)
        spread = values.max(axis=0) - minimum
        return cls(minimum, np.where(spread < MIN_SPREAD, 1.0, spread))

    @property
    def minimum(self) -> torch.Tensor:
        return self.shift

    @property
    def range(self) -> torch.Tensor:
        return self.scale
