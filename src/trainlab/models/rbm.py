"""The restricted Boltzmann machine: CD-k or persistent CD through a surrogate loss, and greedy stacking."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, cast

import torch
import torch.nn.functional as F
from pydantic import PositiveInt
from torch import nn

from trainlab.losses.terms import LossTerms
from trainlab.models.autoencoder import REPRESENTATION_FLAGS
from trainlab.registry import MODELS

Visible = Literal["bernoulli", "gaussian"]


class RestrictedBoltzmannMachine(nn.Module):
    """One RBM: energy E(v, h) = -b.v - c.h - h.W v (Bernoulli visible units), or ||v - b||^2 / 2 - c.h - h.W v
    for unit-variance Gaussian visible units (standardized data).

    Args:
        visible: Visible units.
        hidden: Hidden (Bernoulli) units.
        visible_kind: ``bernoulli`` or ``gaussian``.
    """

    def __init__(self, visible: int, hidden: int, visible_kind: Visible = "bernoulli"):
        super().__init__()
        # Small random weights and zero biases, as Hinton's practical guide (2010, Sec. 8) advises.
        self.weight = nn.Parameter(0.01 * torch.randn(hidden, visible))
        self.visible_bias = nn.Parameter(torch.zeros(visible))
        self.hidden_bias = nn.Parameter(torch.zeros(hidden))
        self.visible_kind = visible_kind

    def hidden_probability(self, visible: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(F.linear(visible, self.weight, self.hidden_bias))

    def visible_mean(self, hidden: torch.Tensor) -> torch.Tensor:
        activation = hidden @ self.weight + self.visible_bias
        return torch.sigmoid(activation) if self.visible_kind == "bernoulli" else activation

    def sample_visible(self, hidden: torch.Tensor) -> torch.Tensor:
        mean = self.visible_mean(hidden)
        if self.visible_kind == "bernoulli":
            return torch.bernoulli(mean)
        return mean + torch.randn_like(mean)

    def free_energy(self, visible: torch.Tensor) -> torch.Tensor:
        """F(v) = -log sum_h exp(-E(v, h)) per sample: the visible term minus sum_j softplus(c_j + W_j.v)."""
        hidden_term = F.softplus(F.linear(visible, self.weight, self.hidden_bias)).sum(1)
        if self.visible_kind == "bernoulli":
            return -(visible @ self.visible_bias) - hidden_term
        return 0.5 * (visible - self.visible_bias).pow(2).sum(1) - hidden_term

    @torch.no_grad()
    def gibbs(self, visible: torch.Tensor, steps: int) -> torch.Tensor:
        """``steps`` rounds of block Gibbs sampling v -> h -> v, with torch's global generator."""
        for _ in range(steps):
            visible = self.sample_visible(torch.bernoulli(self.hidden_probability(visible)))
        return visible

    def pseudo_log_likelihood(self, visible: torch.Tensor) -> torch.Tensor:
        """sum_i log p(v_i | v_-i) per sample, exact over every unit: log sigmoid(F(v with i flipped) - F(v)).

        For binary visible units (Besag 1975); inputs are binarized at 0.5.
        """
        visible = (visible > 0.5).to(visible.dtype)
        energy = self.free_energy(visible)
        total = torch.zeros_like(energy)
        for unit in range(visible.shape[1]):
            flipped = visible.clone()
            flipped[:, unit] = 1 - flipped[:, unit]
            total = total + F.logsigmoid(self.free_energy(flipped) - energy)
        return total


@dataclass
class EnergyOutput:
    """An RBM's forward pass: in training the contrastive-divergence surrogate, in evaluation the reconstruction.

    Attributes:
        inputs: The batch, flattened.
        code: Hidden probabilities of the top trained layer.
        reconstruction: The mean-field reconstruction of the inputs through the stack (input units).
        surrogate: F(data) - F(negative samples), whose gradient is the (P)CD update; None in evaluation.
        layer: The layer being trained (greedy stacking).
    """

    inputs: torch.Tensor
    code: torch.Tensor
    reconstruction: torch.Tensor
    surrogate: torch.Tensor | None
    layer: int

    def loss_terms(self) -> LossTerms:
        """Training minimises the surrogate; evaluation reports the reconstruction error as the loss.

        The surrogate is not the log-likelihood: its gradient, mean dF/dtheta at the data minus
        at the model's samples, is the CD estimate of -d log p / d theta (Hinton 2002).
        """
        error = F.mse_loss(self.reconstruction, self.inputs)
        terms = {"reconstruction": error, "layer": torch.tensor(float(self.layer))}
        if self.surrogate is None:
            return LossTerms(error, terms)
        return LossTerms(self.surrogate, {**terms, "free_energy_gap": self.surrogate.detach()})

    def mean_reconstruction(self) -> torch.Tensor:
        return self.reconstruction


class RBMStack(nn.Module):
    """RBMs trained greedily, one after the other, each on the hidden probabilities of the one below.

    Args:
        visible: Input units.
        hidden: Hidden units of each RBM, bottom first.
        visible_kind: The bottom RBM's visible units; the upper ones are Bernoulli.
        cd_steps: Gibbs steps k of CD-k (or of each PCD update).
        persistent: Keep the negative chains between updates (PCD, Tieleman 2008).
        chains: Persistent chains per layer.
        layer_steps: Training forward passes given to each layer before the next one starts.
    """

    def __init__(
        self,
        visible: int,
        hidden: list[int],
        *,
        visible_kind: Visible,
        cd_steps: int,
        persistent: bool,
        chains: int,
        layer_steps: int,
    ):
        super().__init__()
        sizes = [visible, *hidden]
        self.layers = nn.ModuleList(
            RestrictedBoltzmannMachine(v, h, visible_kind if index == 0 else "bernoulli")
            for index, (v, h) in enumerate(zip(sizes, sizes[1:], strict=False))
        )
        self.cd_steps = cd_steps
        self.persistent = persistent
        self.layer_steps = layer_steps
        self.input_range = (0.0, 1.0) if visible_kind == "bernoulli" else None
        # Buffers, so that checkpoints carry the chains and the greedy schedule's clock.
        self.register_buffer("training_passes", torch.zeros((), dtype=torch.long))
        for index, size in enumerate(sizes[:-1]):
            start = (
                torch.randn(chains, size)
                if index == 0 and visible_kind == "gaussian"
                else torch.rand(chains, size)
            )
            self.register_buffer(
                f"chains{index}", start.round() if index or visible_kind == "bernoulli" else start
            )

    training_passes: torch.Tensor

    @property
    def rbms(self) -> list[RestrictedBoltzmannMachine]:
        """The layers, bottom first."""
        return [cast(RestrictedBoltzmannMachine, layer) for layer in self.layers]

    def active_layer(self) -> int:
        return min(int(self.training_passes) // self.layer_steps, len(self.layers) - 1)

    def encode(self, inputs: torch.Tensor, depth: int | None = None) -> torch.Tensor:
        """Hidden probabilities after ``depth`` layers (default all), mean-field."""
        code = inputs.flatten(1)
        for layer in self.rbms[: depth if depth is not None else len(self.layers)]:
            code = layer.hidden_probability(code)
        return code

    def decode(self, code: torch.Tensor, depth: int) -> torch.Tensor:
        for layer in reversed(self.rbms[:depth]):
            code = layer.visible_mean(code)
        return code

    def forward(self, inputs: torch.Tensor) -> EnergyOutput:
        visible = inputs.flatten(1)
        if not self.training:
            depth = len(self.layers)
            code = self.encode(visible, depth)
            return EnergyOutput(visible, code, self.decode(code, depth), None, depth - 1)
        layer_index = self.active_layer()
        self.training_passes += 1
        with torch.no_grad():
            data = self.encode(visible, layer_index)  # what this layer sees: the layers below, frozen
        rbm = self.rbms[layer_index]
        chains = getattr(self, f"chains{layer_index}")
        negatives = rbm.gibbs(chains if self.persistent else data, self.cd_steps)
        if self.persistent:
            chains.copy_(negatives)
        surrogate = rbm.free_energy(data).mean() - rbm.free_energy(negatives).mean()
        with torch.no_grad():
            code = rbm.hidden_probability(data)
            reconstruction = self.decode(code, layer_index + 1)
        return EnergyOutput(visible, code, reconstruction, surrogate, layer_index)

    @torch.no_grad()
    def sample(self, count: int, steps: int = 1000) -> torch.Tensor:
        """Gibbs chains of the top RBM run for ``steps`` from random states, then passed down mean-field."""
        top = self.rbms[-1]
        visible = torch.rand(count, top.weight.shape[1], device=top.weight.device)
        if top.visible_kind == "gaussian":
            visible = torch.randn_like(visible)
        visible = top.gibbs(visible, steps)
        return self.decode(top.hidden_probability(visible), len(self.layers))


@MODELS.register(
    "rbm",
    reference="Hinton 2002, Training Products of Experts by Minimizing Contrastive Divergence (Neural Comp. 14); "
    "Tieleman 2008 (persistent CD, ICML); Hinton, Osindero & Teh 2006 (greedy layer-wise stacking); "
    "Hinton 2010, A Practical Guide to Training RBMs (UTML TR 2010-003)",
    flags={**REPRESENTATION_FLAGS, "task": "generative"},
)
def rbm(
    input_shape: tuple[int, ...],
    num_outputs: int,
    *,
    hidden: PositiveInt | list[PositiveInt] = 64,
    visible: Visible = "bernoulli",
    cd_steps: PositiveInt = 1,
    persistent: bool = False,
    chains: PositiveInt = 100,
    layer_steps: PositiveInt = 1000,
) -> nn.Module:
    """Restricted Boltzmann machine (or a greedily trained stack), trained by CD-k or PCD.

    CD is not the gradient of a loss. The model supplies a surrogate, F(data) - F(negatives) with
    the negatives held fixed, whose gradient is exactly the CD update, so any optimizer of the
    catalog applies it and the trainer needs nothing special. It is logged as
    ``loss.free_energy_gap`` beside ``loss.reconstruction`` (one mean-field pass, for monitoring).
    A list of hidden sizes trains a stack greedily: ``layer_steps`` passes per layer, each on the
    hidden probabilities of the frozen layers below; ``mlp_from_rbm`` turns it into a classifier.

    Args:
        input_shape: Shape of one sample (flattened to the visible units).
        num_outputs: Unused.
        hidden: Hidden units, or one size per layer of a stack (bottom first).
        visible: ``bernoulli`` (inputs in [0, 1]: ``data.scaling: minmax``) or ``gaussian``
            (unit variance: ``data.scaling: standardize``).
        cd_steps: Gibbs steps k per update.
        persistent: Persistent CD: the negative chains carry over between updates (and checkpoints).
        chains: Persistent chains (the negative batch) per layer.
        layer_steps: Training forward passes per layer of a stack before the next layer trains.
    """
    sizes = [hidden] if isinstance(hidden, int) else list(hidden)
    return RBMStack(
        math.prod(input_shape),
        sizes,
        visible_kind=visible,
        cd_steps=cd_steps,
        persistent=persistent,
        chains=chains,
        layer_steps=layer_steps,
    )
