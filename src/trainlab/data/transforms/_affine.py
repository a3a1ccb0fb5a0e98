"""Per-position affine scaling ``x ↦ (x − shift) / scale``, the shape shared by the input scalers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch

# A position whose training spread is below this is treated as constant: dividing by a spread
# of ~1e-12 would turn float noise in val/test into huge values, and a spread of 0 into NaN.
MIN_SPREAD = 1e-8


class AffineScaler:
    """Maps each input position (feature, time step, pixel) by ``(x − shift) / scale``.

    Subclasses fit the two statistics from training inputs and name them (``STATE_KEYS``) in
    their state dict and run summary.
    """

    STATE_KEYS: ClassVar[tuple[str, str]] = ("shift", "scale")

    def __init__(self, shift: Any, scale: Any):
        self.shift = torch.as_tensor(np.asarray(shift, dtype=np.float32))
        self.scale = torch.as_tensor(np.asarray(scale, dtype=np.float32))
        first, second = self.STATE_KEYS
        if self.shift.shape != self.scale.shape:
            raise ValueError(
                f"{first} has shape {tuple(self.shift.shape)} but {second} has {tuple(self.scale.shape)}"
            )
        if not bool(torch.all(self.scale > 0)):
            raise ValueError(f"every {second} must be positive; constant features are stored with {second} 1")

    @classmethod
    def fit(cls, inputs: torch.Tensor | np.ndarray) -> AffineScaler:
        """The scaler fitted on training ``inputs`` (samples along the first axis); each subclass says how."""
        raise NotImplementedError(f"{cls.__name__} does not define fit")

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Any]) -> AffineScaler:
        """Rebuild from :meth:`state_dict`, or from the nested lists recorded in ``DataBundle.info``."""
        first, second = cls.STATE_KEYS
        return cls(state[first], state[second])

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.shift.shape)

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        """Scale a batch ``(N, *shape)`` or a single sample ``shape``; returns a new tensor."""
        return (inputs - self.shift.to(inputs.device)) / self.scale.to(inputs.device)

    def inverse(self, inputs: torch.Tensor) -> torch.Tensor:
        """Undo :meth:`__call__`: back to the data's original units."""
        return inputs * self.scale.to(inputs.device) + self.shift.to(inputs.device)

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The two statistics as tensors; loadable with ``torch.load(..., weights_only=True)``."""
        first, second = self.STATE_KEYS
        return {first: self.shift.clone(), second: self.scale.clone()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        loaded = type(self).from_state_dict(state)
        if loaded.shape != self.shape:
            raise ValueError(
                f"state has shape {loaded.shape} but this {type(self).__name__} has {self.shape}"
            )
        self.shift, self.scale = loaded.shift, loaded.scale

    def to_info(self) -> dict[str, Any]:
        """The statistics as nested lists, for the JSON run summary (``DataBundle.info``)."""
        first, second = self.STATE_KEYS
        return {first: self.shift.tolist(), second: self.scale.tolist()}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(shape={self.shape})"


def as_float64(inputs: torch.Tensor | np.ndarray, scaler: str) -> np.ndarray:
    """Training inputs as a float64 array (exact enough statistics for large N or offsets)."""
    values = np.asarray(
        inputs.detach().cpu() if isinstance(inputs, torch.Tensor) else inputs, dtype=np.float64
    )
    if len(values) == 0:
        raise ValueError(f"cannot fit a {scaler} on zero samples")
    return values
