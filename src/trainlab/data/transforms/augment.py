"""Batch augmentations by name: 1-D (shift, scale, noise), 2-D (flip, crop, rotate), mixup and cutmix.

Each entry is a class whose ``__init__`` declares its options and whose instances are callables
``(inputs, targets) -> (inputs, targets)`` that work on a whole training batch at once (no
per-sample Python) and draw from torch's global generator, which trainlab seeds and checkpoints.
A recipe lists them under ``augment:``; they apply in order.

Mixup and cutmix turn integer labels into class probabilities (soft targets); cross-entropy,
focal, kl_div and the dense losses accept those. Recipe validation refuses the combination with a
loss registered with ``soft_targets: False`` (nll, multiclass_hinge, triplet, contrastive, ...).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Annotated

import torch
import torch.nn.functional as F
from pydantic import Field

from trainlab.registry import new_registry

AUGMENTATIONS = new_registry("augmentation")
Transform = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
SIGNAL = {"inputs": ("features", "signal")}
IMAGE = {"inputs": ("image",)}
ANY = {"inputs": ("features", "signal", "image")}


class Compose:
    """Apply transforms in order."""

    def __init__(self, transforms: Sequence[Transform]):
        self.transforms = list(transforms)

    def __call__(self, inputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for transform in self.transforms:
            inputs, targets = transform(inputs, targets)
        return inputs, targets


def _per_sample(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """(N,) values viewed to broadcast over a (N, ...) batch."""
    return values.view(-1, *([1] * (like.dim() - 1)))


def _chosen(batch: int, p: float, device: torch.device) -> torch.Tensor:
    return torch.rand(batch, device=device) < p


@AUGMENTATIONS.register(
    "shift", reference="Greydanus 2020, Scaling down Deep Learning, arXiv:2011.14439", flags=SIGNAL
)
class Shift:
    """Random circular shift of 1-D signals by up to ``max_shift`` positions (translation invariance).

    Each sample is rolled along its last axis by an integer drawn from [-max_shift, max_shift].

    Args:
        max_shift: Largest shift, in positions.
    """

    def __init__(self, max_shift: Annotated[int, Field(ge=0)] = 4):
        self.max_shift = max_shift

    def __call__(self, inputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        length = inputs.shape[-1]
        shifts = torch.randint(-self.max_shift, self.max_shift + 1, (inputs.shape[0],), device=inputs.device)
        index = (torch.arange(length, device=inputs.device)[None, :] - shifts[:, None]) % length
        index = index.view(inputs.shape[0], *([1] * (inputs.dim() - 2)), length).expand_as(inputs)
        return inputs.gather(-1, index), targets


@AUGMENTATIONS.register(
    "scale",
    reference="Um et al. 2017, Data Augmentation of Wearable Sensor Data, arXiv:1706.00527 (scaling)",
    flags=SIGNAL,
)
class Scale:
    """Multiply each sample by a factor drawn from U(1 - amount, 1 + amount).

    Args:
        amount: Half-width of the factor's range.
    """

    def __init__(self, amount: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.1):
        self.amount = amount

    def __call__(self, inputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        uniform = torch.rand(inputs.shape[0], device=inputs.device, dtype=inputs.dtype)
        factors = 1 + self.amount * (2 * uniform - 1)
        return inputs * _per_sample(factors, inputs), targets


@AUGMENTATIONS.register(
    "noise",
    reference="Bishop 1995, Training with Noise is Equivalent to Tikhonov "
    "Regularization (Neural Computation 7)",
    flags=ANY,
)
class Noise:
    """Add Gaussian noise N(0, std^2) to every input value.

    Args:
        std: Noise standard deviation (in standardized units).
    """

    def __init__(self, std: Annotated[float, Field(ge=0.0)] = 0.05):
        self.std = std

    def __call__(self, inputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return inputs + self.std * torch.randn_like(inputs), targets


@AUGMENTATIONS.register(
    "flip",
    reference="Krizhevsky, Sutskever & Hinton 2012, ImageNet Classification with Deep "
    "Convolutional Neural Networks (NeurIPS)",
    flags=IMAGE,
)
class Flip:
    """Horizontal flip of each image with probability p.

    Args:
        p: Flip probability.
    """

    def __init__(self, p: Probability = 0.5):
        self.p = p

    def __call__(self, inputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        chosen = _per_sample(_chosen(inputs.shape[0], self.p, inputs.device), inputs)
        return torch.where(chosen, inputs.flip(-1), inputs), targets


@AUGMENTATIONS.register(
    "crop",
    reference="Krizhevsky, Sutskever & Hinton 2012 (random crops); He et al. 2016, "
    "arXiv:1512.03385 (pad-and-crop)",
    flags=IMAGE,
)
class RandomCrop:
    """Random crop after zero padding: shifts each image by up to ``padding`` pixels in each direction.

    Each image is zero-padded by ``padding`` and cropped back to its size at a random offset.

    Args:
        padding: Pixels of zero padding on each side.
    """

    def __init__(self, padding: Annotated[int, Field(ge=1)] = 1):
        self.padding = padding

    def __call__(self, inputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n, _, height, width = inputs.shape
        pad = self.padding
        padded = F.pad(inputs, (pad, pad, pad, pad))
        dy = torch.randint(0, 2 * pad + 1, (n,), device=inputs.device)
        dx = torch.randint(0, 2 * pad + 1, (n,), device=inputs.device)
        rows = torch.arange(height, device=inputs.device)[None, :] + dy[:, None]  # (N, H)
        cols = torch.arange(width, device=inputs.device)[None, :] + dx[:, None]  # (N, W)
        batch = torch.arange(n, device=inputs.device)[:, None, None]
        cropped = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]  # (N, H, W, C)
        return cropped.permute(0, 3, 1, 2).contiguous(), targets


@AUGMENTATIONS.register(
    "rotate",
    reference="Simard, Steinkraus & Platt 2003, Best Practices for Convolutional "
    "Neural Networks Applied to Visual Document Analysis (ICDAR)",
    flags=IMAGE,
)
class Rotate:
    """Rotate each image by an angle drawn from U(-degrees, degrees) (bilinear, zero fill).

    Args:
        degrees: Largest rotation.
    """

    def __init__(self, degrees: Annotated[float, Field(ge=0.0, le=180.0)] = 10.0):
        self.degrees = degrees

    def __call__(self, inputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        angles = (2 * torch.rand(inputs.shape[0], device=inputs.device) - 1) * math.radians(self.degrees)
        cos, sin = torch.cos(angles), torch.sin(angles)
        zeros = torch.zeros_like(cos)
        theta = torch.stack([torch.stack([cos, -sin, zeros], 1), torch.stack([sin, cos, zeros], 1)], 1)
        grid = F.affine_grid(theta.to(inputs.dtype), list(inputs.shape), align_corners=False)
        return F.grid_sample(inputs, grid, align_corners=False, padding_mode="zeros"), targets


def soft_targets(targets: torch.Tensor, num_classes: int | None, dtype: torch.dtype) -> torch.Tensor:
    """Integer labels as one-hot rows; soft or regression targets unchanged (as floats)."""
    if targets.dtype in (torch.int64, torch.int32) and num_classes is not None:
        return F.one_hot(targets.long(), num_classes).to(dtype)
    return targets.to(dtype)


@AUGMENTATIONS.register(
    "mixup",
    reference="Zhang, Cisse, Dauphin & Lopez-Paz 2018, mixup: Beyond Empirical Risk "
    "Minimization, arXiv:1710.09412",
    flags={**ANY, "makes_soft_targets": True},
)
class Mixup:
    """Mixup: convex combinations of pairs of samples and of their labels, lam ~ Beta(alpha, alpha).

    x = lam x_i + (1 - lam) x_j and y likewise, with j a random permutation of the batch.

    Args:
        num_classes: Classes of the task; trainlab fills it in (None for regression targets).
        alpha: Beta distribution parameter (0.2 to 0.4 in the paper).
        p: Probability of mixing a batch.
    """

    def __init__(self, num_classes: int | None = None, alpha: Positive = 0.2, p: Probability = 1.0):
        self.num_classes, self.alpha, self.p = num_classes, alpha, p

    def __call__(self, inputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        targets = soft_targets(targets, self.num_classes, inputs.dtype)
        if torch.rand(()) >= self.p:
            return inputs, targets
        lam = float(torch.distributions.Beta(self.alpha, self.alpha).sample())
        # A batch of one mixes with itself: the batch passes unchanged, as it should.
        perm = torch.randperm(inputs.shape[0], device=inputs.device)
        return lam * inputs + (1 - lam) * inputs[perm], lam * targets + (1 - lam) * targets[perm]


@AUGMENTATIONS.register(
    "cutmix",
    reference="Yun et al. 2019, CutMix: Regularization Strategy to Train Strong "
    "Classifiers with Localizable Features, arXiv:1905.04899",
    flags={**ANY, "makes_soft_targets": True},
)
class CutMix:
    """CutMix: paste a box (images) or segment (signals) from another sample; labels mix by its area.

    The partner of each sample comes from a random permutation of the batch, and the label weights
    are the share of the sample actually pasted (after clipping at the border).

    Args:
        num_classes: Classes of the task; trainlab fills it in (None for regression targets).
        alpha: Beta distribution parameter (1 in the paper: lam uniform).
        p: Probability of mixing a batch.
    """

    def __init__(self, num_classes: int | None = None, alpha: Positive = 1.0, p: Probability = 1.0):
        self.num_classes, self.alpha, self.p = num_classes, alpha, p

    def __call__(self, inputs: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        targets = soft_targets(targets, self.num_classes, inputs.dtype)
        if torch.rand(()) >= self.p:
            return inputs, targets
        lam = float(torch.distributions.Beta(self.alpha, self.alpha).sample())
        perm = torch.randperm(inputs.shape[0], device=inputs.device)
        spatial = inputs.shape[2:] if inputs.dim() > 2 else inputs.shape[1:]
        # Box sides are sqrt(1 - lam) of each side (Yun et al., Eq. 2), centred uniformly and clipped.
        side = math.sqrt(1 - lam) if len(spatial) == 2 else 1 - lam
        mask = torch.zeros(spatial, dtype=torch.bool, device=inputs.device)
        slices = []
        for size in spatial:
            cut = int(round(size * side))
            centre = int(torch.randint(size, ()))
            slices.append(slice(max(centre - cut // 2, 0), min(centre + cut - cut // 2, size)))
        mask[tuple(slices)] = True
        mixed = torch.where(mask, inputs[perm], inputs)
        pasted = mask.float().mean().item()  # the actual pasted share, after clipping at the border
        return mixed, (1 - pasted) * targets + pasted * targets[perm]
