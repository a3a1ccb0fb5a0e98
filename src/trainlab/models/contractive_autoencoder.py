"""The contractive autoencoder: the code's Jacobian with respect to the input is penalised (Frobenius norm)."""

from __future__ import annotations

from typing import Annotated, cast

import torch
from pydantic import Field, PositiveInt
from torch import nn

from trainlab.models._autoencoder import Autoencoder, Likelihood, build_autoencoder
from trainlab.models._coders import Architecture
from trainlab.models.autoencoder import REPRESENTATION_FLAGS
from trainlab.nn.activations import ActivationSpec
from trainlab.registry import MODELS


def sigmoid_jacobian_norm(code: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """||J||_F^2 per sample for h = sigmoid(W x + b): sum_j (h_j (1 - h_j))^2 sum_i W_ji^2 (Rifai et al. 2011, eq. 5)."""
    return ((code * (1 - code)) ** 2 * (weight**2).sum(1)).sum(1)


def autograd_jacobian_norm(model: Autoencoder, inputs: torch.Tensor) -> torch.Tensor:
    """||J||_F^2 per sample by autograd: one backward pass per code unit, kept in the graph."""
    inputs = inputs.detach().requires_grad_(True)
    code = model.encode(inputs)
    total = torch.zeros(len(inputs), device=inputs.device, dtype=code.dtype)
    for unit in range(code.shape[1]):
        # Samples are independent, so the gradient of the batch sum is each sample's Jacobian row.
        (row,) = torch.autograd.grad(code[:, unit].sum(), inputs, create_graph=True)
        total = total + row.reshape(len(inputs), -1).pow(2).sum(1)
    return total


class Contraction:
    """weight * mean over samples of ||d code / d input||_F^2, named ``contraction``.

    Exact in closed form for a one-layer sigmoid encoder; by autograd for any other encoder
    (which needs gradients, so it is computed in training and left out of evaluation).
    """

    def __init__(self, weight: float, closed_form: bool):
        self.weight = weight
        self.closed_form = closed_form

    def __call__(
        self, model: Autoencoder, inputs: torch.Tensor, code: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        if self.closed_form:
            weight = cast(nn.Linear, model.encoder.code).weight
            return {"contraction": self.weight * sigmoid_jacobian_norm(code, weight).mean()}
        if not torch.is_grad_enabled():
            return {}
        return {"contraction": self.weight * autograd_jacobian_norm(model, inputs).mean()}


@MODELS.register(
    "contractive_autoencoder",
    reference="Rifai, Vincent, Muller, Glorot & Bengio 2011, Contractive Auto-Encoders: Explicit Invariance "
    "During Feature Extraction (ICML)",
    flags={**REPRESENTATION_FLAGS, "task": "reconstruction"},
)
def contractive_autoencoder(
    input_shape: tuple[int, ...],
    num_outputs: int,
    *,
    weight: Annotated[float, Field(ge=0.0)] = 0.1,
    latent: PositiveInt = 16,
    architecture: Architecture = "mlp",
    hidden: tuple[PositiveInt, ...] = (),
    activation: ActivationSpec = "relu",
    code_activation: ActivationSpec = "sigmoid",
    likelihood: Likelihood = "gaussian",
    tied: bool = False,
) -> nn.Module:
    """Contractive autoencoder: reconstruction error plus weight * ||J_f(x)||_F^2 (``loss.contraction``).

    With no hidden layer and a sigmoid code (the paper's setting) the penalty is computed in
    closed form; otherwise autograd computes the Jacobian, one backward pass per code unit.

    Args:
        input_shape: Shape of one sample.
        num_outputs: Unused (the output is the input's shape).
        weight: The penalty's weight lambda.
        latent: Units in the code.
        architecture: ``mlp`` or ``conv1d`` (see ``autoencoder``).
        hidden: Widths of the encoder's hidden layers before the code; empty is the paper's one-layer encoder.
        activation: Activation of the hidden layers.
        code_activation: Activation of the code (sigmoid in the paper).
        likelihood: ``gaussian`` (squared error) or ``bernoulli`` (cross-entropy; inputs in [0, 1]).
        tied: Decoder weights are the encoder's transposed (mlp only), as in the paper.
    """
    closed_form = architecture == "mlp" and not hidden and code_activation == "sigmoid"
    return build_autoencoder(
        input_shape,
        name="contractive_autoencoder",
        latent=latent,
        architecture=architecture,
        hidden=list(hidden),
        activation=activation,
        code_activation=code_activation,
        likelihood=likelihood,
        tied=tied,
        code_penalty=Contraction(weight, closed_form),
    )
