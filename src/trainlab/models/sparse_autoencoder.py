"""The sparse autoencoder: a code whose units are mostly silent, by a KL target on mean activations or L1."""

from __future__ import annotations

from typing import Annotated, Literal

import torch
from pydantic import Field, PositiveInt
from torch import nn

from trainlab.models._autoencoder import Autoencoder, Likelihood, build_autoencoder
from trainlab.models._coders import Architecture
from trainlab.models.autoencoder import REPRESENTATION_FLAGS
from trainlab.nn.activations import ActivationSpec
from trainlab.registry import MODELS
from trainlab.regularizers.activity import KLSparsity

Sparsity = Literal["kl", "l1"]


class CodeSparsity:
    """The sparsity penalty on a batch's code, named ``sparsity``.

    ``kl``: beta * sum_j KL(rho || rho_hat_j) over the batch-mean activations rho_hat_j, the
    ``kl_sparsity`` regularizer's term (Ng 2011); ``l1``: beta * mean over samples of sum_j |h_j|.
    """

    def __init__(self, kind: Sparsity, weight: float, target: float):
        self.kind = kind
        self.weight = weight
        self.kl = KLSparsity(strength=weight, target=target)

    def __call__(
        self, model: Autoencoder, inputs: torch.Tensor, code: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        if self.kind == "kl":
            return {"sparsity": self.weight * self.kl.term(code)}
        return {"sparsity": self.weight * code.abs().sum(1).mean()}


@MODELS.register(
    "sparse_autoencoder",
    reference="Ng 2011, Sparse Autoencoder (CS294A lecture notes), Sec. 2.3; Goodfellow et al. 2016, "
    "Deep Learning, Sec. 14.2.1",
    flags={**REPRESENTATION_FLAGS, "task": "reconstruction"},
)
def sparse_autoencoder(
    input_shape: tuple[int, ...],
    num_outputs: int,
    *,
    sparsity: Sparsity = "kl",
    target: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.05,
    weight: Annotated[float, Field(ge=0.0)] = 0.1,
    latent: PositiveInt = 64,
    architecture: Architecture = "mlp",
    hidden: tuple[PositiveInt, ...] = (),
    activation: ActivationSpec = "relu",
    code_activation: ActivationSpec = "sigmoid",
    likelihood: Likelihood = "gaussian",
    tied: bool = False,
) -> nn.Module:
    """Sparse autoencoder: reconstruction error plus a sparsity penalty on the code (``loss.sparsity``).

    A sparse code may be overcomplete: the penalty, not the bottleneck, keeps it from copying the
    input. The KL form needs a code in (0, 1), hence the sigmoid code by default.

    Args:
        input_shape: Shape of one sample.
        num_outputs: Unused (the output is the input's shape).
        sparsity: ``kl`` (each unit's mean activation pulled to ``target``) or ``l1`` (on the code).
        target: The mean activation rho the KL form aims at.
        weight: The penalty's weight beta.
        latent: Units in the code.
        architecture: ``mlp`` or ``conv1d`` (see ``autoencoder``).
        hidden: Widths of the encoder's hidden layers before the code; the decoder mirrors them.
        activation: Activation of the hidden layers.
        code_activation: Activation of the code; the KL form needs one in (0, 1) (sigmoid).
        likelihood: ``gaussian`` (squared error) or ``bernoulli`` (cross-entropy; inputs in [0, 1]).
        tied: Decoder weights are the encoder's transposed (mlp only).
    """
    return build_autoencoder(
        input_shape,
        name="sparse_autoencoder",
        latent=latent,
        architecture=architecture,
        hidden=list(hidden),
        activation=activation,
        code_activation=code_activation,
        likelihood=likelihood,
        tied=tied,
        code_penalty=CodeSparsity(sparsity, weight, target),
    )
