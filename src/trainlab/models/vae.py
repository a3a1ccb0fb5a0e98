"""The variational autoencoder: Gaussian encoder, Bernoulli or Gaussian decoder, ELBO with beta, KL warmup and free bits."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Literal

import torch
import torch.nn.functional as F
from pydantic import Field, PositiveInt
from torch import nn

from trainlab.losses.terms import LossTerms
from trainlab.models._coders import Architecture, build_coders
from trainlab.models.autoencoder import REPRESENTATION_FLAGS
from trainlab.nn.activations import ActivationSpec
from trainlab.registry import MODELS

Decoder = Literal["bernoulli", "gaussian"]


def gaussian_kl(mean: torch.Tensor, log_variance: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, diag(exp(log_variance))) || N(0, I)) per sample and latent unit (Kingma & Welling 2014, App. B)."""
    return 0.5 * (mean.pow(2) + log_variance.exp() - 1 - log_variance)


def decoder_log_likelihood(
    decoded: torch.Tensor, inputs: torch.Tensor, decoder: Decoder, decoder_std: float
) -> torch.Tensor:
    """log p(x | z) per sample, summed over the input's values (constants included, so bounds compare)."""
    if decoder == "bernoulli":
        values = -F.binary_cross_entropy_with_logits(decoded, inputs, reduction="none")
    else:
        values = (
            -0.5 * ((inputs - decoded) / decoder_std) ** 2
            - math.log(decoder_std)
            - 0.5 * math.log(2 * math.pi)
        )
    return values.reshape(len(inputs), -1).sum(1)


@dataclass
class VariationalOutput:
    """A VAE's forward pass on a batch, and the objective it defines.

    Attributes:
        inputs: The batch.
        decoded: p(x | z) for one sample z per input: logits (Bernoulli) or means (Gaussian).
        mean: The encoder's posterior means, ``(N, latent)``.
        log_variance: The encoder's posterior log-variances.
        kl_weight: beta times the warmup factor at this step.
        free_bits: Nats per latent unit below which its (batch-mean) KL is not penalised.
        decoder: ``bernoulli`` or ``gaussian``.
        decoder_std: The Gaussian decoder's fixed standard deviation.
    """

    inputs: torch.Tensor
    decoded: torch.Tensor
    mean: torch.Tensor
    log_variance: torch.Tensor
    kl_weight: float
    free_bits: float
    decoder: Decoder
    decoder_std: float

    @property
    def code(self) -> torch.Tensor:
        """The representation probes and plots use: the posterior mean."""
        return self.mean

    def loss_terms(self) -> LossTerms:
        """-ELBO with the KL weighted (and floored by free bits); terms in nats per sample.

        ``reconstruction`` = E_q[-log p(x|z)], ``kl`` = KL(q(z|x) || p(z)), ``elbo`` = -(sum of
        both), the bound itself, whatever the weight and free bits make of the training objective.
        """
        reconstruction = -decoder_log_likelihood(
            self.decoded, self.inputs, self.decoder, self.decoder_std
        ).mean()
        kl_per_unit = gaussian_kl(self.mean, self.log_variance).mean(0)
        kl = kl_per_unit.sum()
        # Free bits (Kingma et al. 2016): a unit's KL below the floor costs nothing, so it is not pushed to zero.
        penalised = kl_per_unit.clamp(min=self.free_bits).sum() if self.free_bits > 0 else kl
        total = reconstruction + self.kl_weight * penalised
        return LossTerms(
            total,
            {
                "reconstruction": reconstruction,
                "kl": kl,
                "elbo": -(reconstruction + kl).detach(),
                "kl_weight": torch.tensor(self.kl_weight),
            },
        )


class VariationalAutoencoder(nn.Module):
    """Encoder to (mean, log-variance), a reparameterized sample, decoder to p(x | z).

    Args:
        encoder: ``(N, *input_shape) -> (N, 2 * latent)``.
        decoder: ``(N, latent) -> (N, *input_shape)``.
        latent: Latent units.
        decoder_kind: ``bernoulli`` or ``gaussian``.
        decoder_std: Standard deviation of the Gaussian decoder.
        beta: Weight of the KL term once warmed up.
        kl_warmup_steps: Training forward passes over which the KL weight rises linearly from 0 to beta.
        free_bits: Nats per latent unit of KL that cost nothing.
    """

    def __init__(
        self,
        encoder: nn.Module,
        decoder: nn.Module,
        *,
        latent: int,
        decoder_kind: Decoder,
        decoder_std: float,
        beta: float,
        kl_warmup_steps: int,
        free_bits: float,
    ):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.latent = latent
        self.decoder_kind = decoder_kind
        self.decoder_std = decoder_std
        self.beta = beta
        self.kl_warmup_steps = kl_warmup_steps
        self.free_bits = free_bits
        self.input_range = (0.0, 1.0) if decoder_kind == "bernoulli" else None
        # The annealing clock is a buffer: it is checkpointed with the weights, so a resumed run
        # continues the warmup where it stopped.
        self.register_buffer("training_passes", torch.zeros((), dtype=torch.long))

    training_passes: torch.Tensor

    def kl_weight(self) -> float:
        if self.kl_warmup_steps == 0:
            return self.beta
        return self.beta * min(1.0, int(self.training_passes) / self.kl_warmup_steps)

    def posterior(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_variance = self.encoder(inputs).chunk(2, dim=1)
        return mean, log_variance

    def encode(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.posterior(inputs)[0]

    def forward(self, inputs: torch.Tensor) -> VariationalOutput:
        mean, log_variance = self.posterior(inputs)
        kl_weight = self.kl_weight()  # the weight of this pass: the first pass of a warmup has 0
        if self.training:
            self.training_passes += 1
        # The reparameterization trick: z = mean + sigma * eps keeps the sample differentiable.
        z = mean + (0.5 * log_variance).exp() * torch.randn_like(mean)
        return VariationalOutput(
            inputs,
            self.decoder(z),
            mean,
            log_variance,
            kl_weight,
            self.free_bits,
            self.decoder_kind,
            self.decoder_std,
        )

    def decode_mean(self, z: torch.Tensor) -> torch.Tensor:
        """E[x | z] in input units."""
        decoded = self.decoder(z)
        return torch.sigmoid(decoded) if self.decoder_kind == "bernoulli" else decoded

    def sample(self, count: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Means of p(x | z) for z drawn from the prior N(0, I)."""
        device = next(self.parameters()).device
        z = torch.randn(count, self.latent, generator=generator, device=device)
        return self.decode_mean(z)

    def importance_weighted_log_likelihood(
        self, inputs: torch.Tensor, samples: int, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """log p(x) >= log (1/k) sum_i p(x, z_i) / q(z_i | x), z_i ~ q(z | x), per sample (Burda et al. 2016).

        With k = 1 it is the ELBO (in expectation); it tightens as k grows.
        """
        mean, log_variance = self.posterior(inputs)
        std = (0.5 * log_variance).exp()
        bounds = []
        for _ in range(samples):
            eps = torch.randn(mean.shape, generator=generator, device=mean.device)
            z = mean + std * eps
            log_prior = (-0.5 * z.pow(2) - 0.5 * math.log(2 * math.pi)).sum(1)
            log_posterior = (-0.5 * eps.pow(2) - 0.5 * log_variance - 0.5 * math.log(2 * math.pi)).sum(1)
            log_likelihood = decoder_log_likelihood(
                self.decoder(z), inputs, self.decoder_kind, self.decoder_std
            )
            bounds.append(log_likelihood + log_prior - log_posterior)
        return torch.logsumexp(torch.stack(bounds), dim=0) - math.log(samples)


@MODELS.register(
    "vae",
    reference="Kingma & Welling 2014, Auto-Encoding Variational Bayes, arXiv:1312.6114; Higgins et al. 2017 "
    "(beta-VAE, ICLR); Bowman et al. 2016 (KL warmup), arXiv:1511.06349; Kingma et al. 2016 (free bits), "
    "arXiv:1606.04934; Burda, Grosse & Salakhutdinov 2016 (importance-weighted bound), arXiv:1509.00519",
    flags={**REPRESENTATION_FLAGS, "task": "generative"},
)
def vae(
    input_shape: tuple[int, ...],
    num_outputs: int,
    *,
    latent: PositiveInt = 2,
    decoder: Decoder = "gaussian",
    decoder_std: Annotated[float, Field(gt=0.0)] = 1.0,
    beta: Annotated[float, Field(ge=0.0)] = 1.0,
    kl_warmup_steps: Annotated[int, Field(ge=0)] = 0,
    free_bits: Annotated[float, Field(ge=0.0)] = 0.0,
    architecture: Architecture = "mlp",
    hidden: tuple[PositiveInt, ...] = (256,),
    activation: ActivationSpec = "relu",
) -> nn.Module:
    """Variational autoencoder trained on the negative ELBO: E_q[-log p(x|z)] + beta * KL(q(z|x) || N(0, I)).

    The terms are logged as ``loss.reconstruction``, ``loss.kl``, ``loss.elbo`` and ``loss.kl_weight``
    (nats per sample). The run's evaluation adds the importance-weighted bound on -log p(x).

    Args:
        input_shape: Shape of one sample.
        num_outputs: Unused (the output is the input's shape).
        latent: Latent units; 2 can be plotted directly.
        decoder: ``bernoulli`` (inputs scaled to [0, 1]: ``data.scaling: minmax``) or ``gaussian``.
        decoder_std: The Gaussian decoder's fixed standard deviation (1 suits standardized inputs).
        beta: Weight of the KL term (beta-VAE; 1 is the ELBO).
        kl_warmup_steps: Training forward passes (micro-batches) over which the KL weight rises
            linearly from 0 to beta; 0 starts at beta.
        free_bits: Nats per latent unit (batch-mean KL) below which the KL costs nothing; 0 turns it off.
        architecture: ``mlp`` or ``conv1d`` (see ``autoencoder``).
        hidden: Widths of the encoder's hidden layers; the decoder mirrors them.
        activation: Activation of the hidden layers.
    """
    encoder, decoder_network = build_coders(
        input_shape, 2 * latent, latent, architecture=architecture, hidden=list(hidden), activation=activation
    )
    return VariationalAutoencoder(
        encoder,
        decoder_network,
        latent=latent,
        decoder_kind=decoder,
        decoder_std=decoder_std,
        beta=beta,
        kl_warmup_steps=kl_warmup_steps,
        free_bits=free_bits,
    )
