"""The autoencoder module every autoencoder entry builds, and the structured output it returns."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from trainlab.losses.terms import LossTerms
from trainlab.models._coders import Architecture, build_coders
from trainlab.nn.activations import ActivationSpec, make_activation

log = logging.getLogger("trainlab")

Likelihood = Literal["gaussian", "bernoulli"]
CodePenalty = Callable[["Autoencoder", torch.Tensor, torch.Tensor], dict[str, torch.Tensor]]


@dataclass
class Reconstruction:
    """An autoencoder's output: what it was asked to rebuild, its attempt, the code, the code's penalties.

    Attributes:
        inputs: The clean inputs (a denoising autoencoder rebuilds these from corrupted ones).
        reconstruction: In the inputs' shape; logits for a Bernoulli likelihood, values otherwise.
        code: The representation, ``(N, latent)``.
        penalties: Weighted terms on the code (sparsity, contraction), added to the objective.
        likelihood: ``gaussian`` (squared error) or ``bernoulli`` (cross-entropy on [0, 1] inputs).
    """

    inputs: torch.Tensor
    reconstruction: torch.Tensor
    code: torch.Tensor
    penalties: dict[str, torch.Tensor] = field(default_factory=dict)
    likelihood: Likelihood = "gaussian"

    def loss_terms(self) -> LossTerms:
        """Reconstruction error (mean per input value) plus the penalties, each logged by name."""
        error = reconstruction_error(self.reconstruction, self.inputs, self.likelihood)
        total = error
        for value in self.penalties.values():
            total = total + value
        return LossTerms(total, {"reconstruction": error, **self.penalties})

    def mean_reconstruction(self) -> torch.Tensor:
        """The reconstruction in input units: probabilities for a Bernoulli likelihood."""
        return torch.sigmoid(self.reconstruction) if self.likelihood == "bernoulli" else self.reconstruction


def reconstruction_error(
    reconstruction: torch.Tensor, inputs: torch.Tensor, likelihood: Likelihood
) -> torch.Tensor:
    """Mean squared error, or mean binary cross-entropy on logits for a Bernoulli likelihood."""
    if likelihood == "bernoulli":
        return F.binary_cross_entropy_with_logits(reconstruction, inputs)
    return F.mse_loss(reconstruction, inputs)


class Autoencoder(nn.Module):
    """encoder -> code activation -> decoder, with optional corruption of the inputs and penalties on the code.

    Args:
        encoder: ``(N, *input_shape) -> (N, latent)`` pre-activations of the code.
        decoder: ``(N, latent) -> (N, *input_shape)``.
        code_activation: Applied to the encoder's output to give the code.
        likelihood: How reconstructions are scored.
        corruption: ``f(inputs) -> corrupted``, applied in training only (denoising).
        code_penalty: ``f(model, encoder_inputs, code) -> {name: weighted term}`` (sparsity, contraction).
    """

    def __init__(
        self,
        encoder: nn.Module,
        decoder: nn.Module,
        *,
        code_activation: nn.Module,
        likelihood: Likelihood = "gaussian",
        corruption: Callable[[torch.Tensor], torch.Tensor] | None = None,
        code_penalty: CodePenalty | None = None,
    ):
        super().__init__()
        self.encoder = encoder
        self.code_activation = code_activation
        self.decoder = decoder
        self.likelihood = likelihood
        self.corruption = corruption
        self.code_penalty = code_penalty
        # A Bernoulli likelihood scores inputs as probabilities: build checks the data against it.
        self.input_range = (0.0, 1.0) if likelihood == "bernoulli" else None

    def encode(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.code_activation(self.encoder(inputs))

    def forward(self, inputs: torch.Tensor) -> Reconstruction:
        seen = self.corruption(inputs) if self.training and self.corruption is not None else inputs
        code = self.encode(seen)
        penalties = self.code_penalty(self, seen, code) if self.code_penalty is not None else {}
        return Reconstruction(inputs, self.decoder(code), code, penalties, self.likelihood)


def build_autoencoder(
    input_shape: tuple[int, ...],
    *,
    name: str,
    latent: int,
    architecture: Architecture,
    hidden: list[int],
    activation: ActivationSpec,
    code_activation: ActivationSpec,
    likelihood: Likelihood,
    tied: bool = False,
    corruption: Callable[[torch.Tensor], torch.Tensor] | None = None,
    code_penalty: CodePenalty | None = None,
) -> Autoencoder:
    """The shared build of every autoencoder entry; an overcomplete code gets a warning."""
    features = math.prod(input_shape)
    if latent >= features and code_penalty is None and corruption is None:
        # Nothing stops an overcomplete plain autoencoder from learning the identity.
        log.warning(
            "model.latent %d is not smaller than the input size %d, so '%s' is not undercomplete and may learn "
            "the identity; lower model.latent, or add corruption or a penalty (denoising_autoencoder, "
            "sparse_autoencoder, contractive_autoencoder)",
            latent,
            features,
            name,
        )
    encoder, decoder = build_coders(
        input_shape,
        latent,
        latent,
        architecture=architecture,
        hidden=hidden,
        activation=activation,
        tied=tied,
    )
    return Autoencoder(
        encoder,
        decoder,
        code_activation=make_activation(code_activation, key="code_activation"),
        likelihood=likelihood,
        corruption=corruption,
        code_penalty=code_penalty,
    )
