"""The denoising autoencoder: rebuild the clean input from a corrupted copy drawn on the fly."""

from __future__ import annotations

from typing import Annotated, Literal

import torch
from pydantic import Field, PositiveInt
from torch import nn

from trainlab.errors import ConfigError, Problem
from trainlab.models._autoencoder import Likelihood, build_autoencoder
from trainlab.models._coders import Architecture
from trainlab.models.autoencoder import REPRESENTATION_FLAGS
from trainlab.nn.activations import ActivationSpec
from trainlab.registry import MODELS

Noise = Literal["gaussian", "masking", "salt_and_pepper"]


class Corruption:
    """Draws a corrupted copy of a batch with torch's global generator (so a resumed run draws the same).

    Args:
        noise: ``gaussian`` adds N(0, level^2); ``masking`` zeroes a fraction ``level`` of the values;
            ``salt_and_pepper`` sets a fraction ``level`` to the batch's minimum or maximum, half each.
        level: The noise's standard deviation, or the fraction of values it touches.
    """

    def __init__(self, noise: Noise, level: float):
        self.noise = noise
        self.level = level

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.noise == "gaussian":
            return inputs + self.level * torch.randn_like(inputs)
        touched = torch.rand_like(inputs) < self.level
        if self.noise == "masking":
            return inputs.masked_fill(touched, 0.0)
        salt = torch.rand_like(inputs) < 0.5
        extremes = torch.where(salt, inputs.max(), inputs.min())
        return torch.where(touched, extremes, inputs)


@MODELS.register(
    "denoising_autoencoder",
    reference="Vincent, Larochelle, Bengio & Manzagol 2008, Extracting and Composing Robust Features with "
    "Denoising Autoencoders (ICML); Vincent et al. 2010, JMLR 11 (salt-and-pepper noise)",
    flags={**REPRESENTATION_FLAGS, "task": "reconstruction"},
)
def denoising_autoencoder(
    input_shape: tuple[int, ...],
    num_outputs: int,
    *,
    noise: Noise = "gaussian",
    noise_level: Annotated[float, Field(ge=0.0)] = 0.5,
    latent: PositiveInt = 16,
    architecture: Architecture = "mlp",
    hidden: tuple[PositiveInt, ...] = (128,),
    activation: ActivationSpec = "relu",
    code_activation: ActivationSpec = "identity",
    likelihood: Likelihood = "gaussian",
    tied: bool = False,
) -> nn.Module:
    """Denoising autoencoder: the input is corrupted in training and the clean input is the target.

    Corruption is applied on the fly to every training batch (fresh noise each step), never in
    evaluation, so the reported reconstruction error is that of clean inputs.

    Args:
        input_shape: Shape of one sample.
        num_outputs: Unused (the output is the input's shape).
        noise: ``gaussian``, ``masking`` (zeroes) or ``salt_and_pepper`` (batch min or max).
        noise_level: Standard deviation for gaussian noise; the fraction of values corrupted otherwise.
        latent: Units in the code.
        architecture: ``mlp`` or ``conv1d`` (see ``autoencoder``).
        hidden: Widths of the encoder's hidden layers; the decoder mirrors them.
        activation: Activation of the hidden layers.
        code_activation: Activation of the code.
        likelihood: ``gaussian`` (squared error) or ``bernoulli`` (cross-entropy; inputs in [0, 1]).
        tied: Decoder weights are the encoder's transposed (mlp only).

    Raises:
        ConfigError: a masking or salt-and-pepper fraction above 1.
    """
    if noise != "gaussian" and noise_level > 1:
        raise ConfigError(
            [Problem("noise_level", f"is the fraction of values {noise} corrupts; give one in [0, 1]")]
        )
    return build_autoencoder(
        input_shape,
        name="denoising_autoencoder",
        latent=latent,
        architecture=architecture,
        hidden=list(hidden),
        activation=activation,
        code_activation=code_activation,
        likelihood=likelihood,
        tied=tied,
        corruption=Corruption(noise, noise_level),
    )
