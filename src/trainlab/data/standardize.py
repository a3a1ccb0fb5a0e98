"""Standardizer: per-feature (per-pixel, per-time-step) z-scoring fitted on the training split only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

# A feature whose training spread is below this is treated as constant: dividing by a std of
# ~1e-12 would turn float noise in val/test into huge values, and a std of 0 into NaN.
MIN_STD = 1e-8


class Standardizer:
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
        >>> scaler = Standardizer.from_state_dict(bundle.info["standardizer"])  # as load_data fitted it

    Attributes:
        mean: Float32 tensor of one sample's shape.
        std: Float32 tensor of one sample's shape, every entry positive.
    """

    def __init__(self, mean: Any, std: Any):
        self.mean = torch.as_tensor(np.asarray(mean, dtype=np.float32))
        self.std = torch.as_tensor(np.asarray(std, dtype=np.float32))
        if self.mean.shape != self.std.shape:
            raise ValueError(f"mean has shape {tuple(self.mean.shape)} but std has {tuple(self.std.shape)}")
        if not bool(torch.all(self.std > 0)):
            raise ValueError("every std must be positive; constant features are stored with std 1")

    @classmethod
    def fit(cls, inputs: torch.Tensor | np.ndarray) -> Standardizer:
        """Statistics of ``inputs`` (samples along the first axis), computed in float64.

        Float64 accumulation keeps the mean exact enough that the transformed training data has
        mean 0 to float32 precision even for large N or large offsets.
        """
        values = np.asarray(
            inputs.detach().cpu() if isinstance(inputs, torch.Tensor) else inputs, dtype=np.float64
        )
        if len(values) == 0:
            raise ValueError("cannot fit a Standardizer on zero samples")
        mean = values.mean(axis=0)
        std = values.std(axis=0)
        std = np.where(std < MIN_STD, 1.0, std)
        return cls(mean, std)

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Any]) -> Standardizer:
        """Rebuild from :meth:`state_dict`, or from the nested lists recorded in ``DataBundle.info``."""
        return cls(state["mean"], state["std"])

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.mean.shape)

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        """Standardize a batch ``(N, *shape)`` or a single sample ``shape``; returns a new tensor."""
        mean, std = self.mean.to(inputs.device), self.std.to(inputs.device)
        return (inputs - mean) / std

    def inverse(self, inputs: torch.Tensor) -> torch.Tensor:
        """Undo :meth:`__call__`: back to the data's original units."""
        mean, std = self.mean.to(inputs.device), self.std.to(inputs.device)
        return inputs * std + mean

    def state_dict(self) -> dict[str, torch.Tensor]:
        """``{"mean", "std"}`` tensors; loadable with ``torch.load(..., weights_only=True)``."""
        return {"mean": self.mean.clone(), "std": self.std.clone()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        loaded = Standardizer.from_state_dict(state)
        if loaded.shape != self.shape:
            raise ValueError(f"state has shape {loaded.shape} but this Standardizer has {self.shape}")
        self.mean, self.std = loaded.mean, loaded.std

    def to_info(self) -> dict[str, list]:
        """The statistics as nested lists, for the JSON run summary (``DataBundle.info``)."""
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    def __repr__(self) -> str:
        return f"Standardizer(shape={self.shape})"
