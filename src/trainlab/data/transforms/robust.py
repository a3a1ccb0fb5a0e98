"""RobustScaler: per-position centring on the training median and scaling by the interquartile range."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch

from trainlab.data.transforms._affine import MIN_SPREAD, AffineScaler, as_float64


class RobustScaler(AffineScaler):
    """Maps each input position by ``(x − median) / (q75 − q25)`` of the training split (scikit-learn's ``RobustScaler``).

    Medians and quartiles ignore a few extreme values that would dominate a mean and a standard
    deviation, so outliers neither shift nor squash the other samples. Quartiles are linearly
    interpolated, as numpy's and scikit-learn's default; a position with a zero interquartile range
    keeps a scale of 1.

    Attributes:
        median: Float32 tensor of one sample's shape.
        iqr: Float32 tensor of one sample's shape, every entry positive.
    """

    STATE_KEYS: ClassVar[tuple[str, str]] = ("median", "iqr")

    @classmethod
    def fit(cls, inputs: torch.Tensor | np.ndarray) -> RobustScaler:
        """Per-position median and interquartile range of ``inputs`` (samples along the first axis)."""
        q25, median, q75 = np.percentile(as_float64(inputs, cls.__name__), [25, 50, 75], axis=0)
        spread = q75 - q25
        return cls(median, np.where(spread < MIN_SPREAD, 1.0, spread))

    @property
    def median(self) -> torch.Tensor:
        return self.shift

    @property
    def iqr(self) -> torch.Tensor:
        return self.scale
