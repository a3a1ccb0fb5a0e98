"""Augmentations that resample or re-contrast each sample: time-stretch (zoom) for signals, elastic
deformation and contrast jitter for images.

Like the other entries of ``augmentation`` they are batch callables ``(inputs, targets) -> (inputs,
targets)`` that draw from torch's global generator and run without per-sample Python. Resampling is
linear (bilinear for images) through ``grid_sample``, which is exact on linear functions, so the
tests can check each warp against the coordinates it should map to.
"""

from __future__ import annotations

from typing import Annotated

import torch
import torch.nn.functional as F
from pydantic import Field

from trainlab.data.transforms.augment import AUGMENTATIONS, IMAGE, SIGNAL, _per_sample


def _uniform_factors(batch: int, amount: float, like: torch.Tensor) -> torch.Tensor:
    """(N,) factors drawn from U(1 - amount, 1 + amount)."""
    return 1 + amount * (2 * torch.rand(batch, device=like.device, dtype=like.dtype) - 1)


@AUGMENTATIONS.register(
    "time_stretch",
    reference="Um et al. 2017, Data Augmentation of Wearable Sensor Data for Parkinson's Disease Monitoring "
    "using Convolutional Neural Networks, arXiv:1706.00527 (time-warping); the zoom of image augmentation in 1-D",
    flags=SIGNAL,
)
class TimeStretch:
    """Zoom each signal in or out in time about its centre by a factor drawn from U(1 - amount, 1 + amount).

    A factor s > 1 stretches the signal (a feature at distance d from the centre moves to s d); the
    values are resampled linearly, and positions that come from beyond either end repeat the edge value.

    Args:
        amount: Half-width of the stretch factor's range.
    """

    def __init__(self, amount: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.1):
        self.amount = amount

    def __call__(self, inputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        flat = inputs.reshape(inputs.shape[0], -1, inputs.shape[-1])  # features (N, F) become (N, 1, F)
        batch, _, length = flat.shape
        factors = _uniform_factors(batch, self.amount, flat)
        # grid_sample's coordinates run from -1 (first position) to 1 (last): output position u reads u / s.
        positions = torch.linspace(-1, 1, length, device=flat.device, dtype=flat.dtype)
        source = positions[None, :] / factors[:, None]  # (N, L)
        grid = torch.stack([source, torch.zeros_like(source)], dim=-1)[:, None]  # (N, 1, L, 2): x, y
        warped = F.grid_sample(flat[:, :, None, :], grid, align_corners=True, padding_mode="border")
        return warped[:, :, 0, :].reshape(inputs.shape), targets


@AUGMENTATIONS.register(
    "elastic",
    reference="Simard, Steinkraus & Platt 2003, Best Practices for Convolutional Neural Networks Applied to "
    "Visual Document Analysis (ICDAR), Sec. 2",
    flags=IMAGE,
)
class ElasticDeform:
    """Elastic deformation: a random displacement field, smoothed by a Gaussian and scaled, resamples each image.

    Every pixel's displacement in x and y starts uniform in [-1, 1], is convolved with a Gaussian of
    standard deviation ``sigma`` pixels (which makes neighbouring pixels move together, like
    handwriting's strokes), and multiplied by ``alpha`` pixels; the image is then resampled
    bilinearly at the displaced positions, with zero fill outside.

    Args:
        alpha: Scale of the displacement, in pixels (34 for 28x28 MNIST in the paper; ~1-3 for 8x8 digits).
        sigma: Smoothness of the field: the Gaussian's standard deviation in pixels (4 in the paper).
        p: Probability of deforming each image.
    """

    def __init__(
        self,
        alpha: Annotated[float, Field(ge=0.0)] = 2.0,
        sigma: Annotated[float, Field(gt=0.0)] = 1.5,
        p: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0,
    ):
        self.alpha, self.sigma, self.p = alpha, sigma, p

    def displacement(self, batch: int, height: int, width: int, like: torch.Tensor) -> torch.Tensor:
        """A smoothed displacement field ``(N, 2, H, W)`` in pixels: x first, then y."""
        noise = 2 * torch.rand(batch * 2, 1, height, width, device=like.device, dtype=like.dtype) - 1
        radius = max(1, int(3 * self.sigma))
        offsets = torch.arange(-radius, radius + 1, device=like.device, dtype=like.dtype)
        kernel = torch.exp(-(offsets**2) / (2 * self.sigma**2))
        kernel = kernel / kernel.sum()
        # A separable Gaussian with zero padding, as the paper's convolution of a field that is 0 outside.
        smooth = F.conv2d(noise, kernel.view(1, 1, 1, -1), padding=(0, radius))
        smooth = F.conv2d(smooth, kernel.view(1, 1, -1, 1), padding=(radius, 0))
        return self.alpha * smooth.view(batch, 2, height, width)

    def __call__(self, inputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        batch, _, height, width = inputs.shape
        field = self.displacement(batch, height, width, inputs)
        field = field * _per_sample(torch.rand(batch, device=inputs.device) < self.p, field)
        rows = torch.arange(height, device=inputs.device, dtype=inputs.dtype)
        cols = torch.arange(width, device=inputs.device, dtype=inputs.dtype)
        y, x = torch.meshgrid(rows, cols, indexing="ij")
        source_x = x[None] + field[:, 0]
        source_y = y[None] + field[:, 1]
        # Pixel coordinates to grid_sample's [-1, 1] (align_corners=True: -1 and 1 are the edge pixels' centres).
        grid = torch.stack(
            [2 * source_x / max(width - 1, 1) - 1, 2 * source_y / max(height - 1, 1) - 1], dim=-1
        )
        return F.grid_sample(inputs, grid, align_corners=True, padding_mode="zeros"), targets


@AUGMENTATIONS.register(
    "contrast",
    reference="Krizhevsky, Sutskever & Hinton 2012 (intensity jitter); torchvision's ColorJitter(contrast=...)",
    flags=IMAGE,
)
class ContrastJitter:
    """Scale each image's deviations from its own mean by a factor drawn from U(1 - amount, 1 + amount).

    ``x' = m + c (x - m)`` with m the image's mean over channels and pixels: the mean brightness stays,
    and the spread of values grows (c > 1) or shrinks (c < 1). Values are not clipped, since trainlab's
    inputs are standardized rather than bounded.

    Args:
        amount: Half-width of the contrast factor's range (0.2: factors in [0.8, 1.2]).
    """

    def __init__(self, amount: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.2):
        self.amount = amount

    def __call__(self, inputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        factors = _per_sample(_uniform_factors(inputs.shape[0], self.amount, inputs), inputs)
        means = inputs.mean(dim=tuple(range(1, inputs.dim())), keepdim=True)
        return means + factors * (inputs - means), targets
