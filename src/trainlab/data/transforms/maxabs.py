"""MaxAbsScaler: per-position division by the training split's largest absolute value (sparsity kept)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch

from trainlab.data.transforms._affine import MIN_SPREAD, AffineScaler, as_float64


class MaxAbsScaler(AffineScaler):
    """Maps each input position into [-1, 1] by its training maximum absolute value (scikit-learn's ``MaxAbsScaler``).

    Nothing is shifted, so zeros stay zeros: the scaler for sparse or already-centred inputs.
    Positions that are all zero in training keep a scale of 1.

    Attributes:
        shift: Zeros of one sample's shape (the scaler does not centre).
        max_abs: Float32 tensor of one sample's shape, every entry positive.
    """

    STATE_KEYS: ClassVar[tuple[str, str]] = ("shift", "max_abs")

    @classmethod
    def fit(cls, inputs: torch.Tensor | np.ndarray) -> MaxAbsScaler:
        """Per-position maximum of ``|inputs|`` (samples along the first axis)."""
        largest = np.abs(as_float64(inputs, cls.__name__)).max(axis=0)
        return cls(np.zeros_like(largest), np.where(largest < MIN_SPREAD, 1.0, largest))

    @property
    def max_abs(self) -> torch.Tensor:
        return self.scale
