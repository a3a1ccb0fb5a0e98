"""The plain autoencoder: an undercomplete code trained to reconstruct its input."""

from __future__ import annotations

from pydantic import PositiveInt
from torch import nn

from trainlab.models._autoencoder import Likelihood, build_autoencoder
from trainlab.models._coders import Architecture
from trainlab.nn.activations import ActivationSpec
from trainlab.registry import MODELS

# Every representation model trains on the objective its outputs carry (``model_objective``).
REPRESENTATION_FLAGS = {"inputs": ("features", "signal", "image"), "objective": "model_objective"}


@MODELS.register(
    "autoencoder",
    reference="Goodfellow, Bengio & Courville 2016, Deep Learning, Sec. 14.1 (undercomplete autoencoders); "
    "Hinton & Salakhutdinov 2006, Reducing the Dimensionality of Data with Neural Networks (Science 313)",
    flags={**REPRESENTATION_FLAGS, "task": "reconstruction"},
)
def autoencoder(
    input_shape: tuple[int, ...],
    num_outputs: int,
    *,
    latent: PositiveInt = 16,
    architecture: Architecture = "mlp",
    hidden: tuple[PositiveInt, ...] = (128,),
    activation: ActivationSpec = "relu",
    code_activation: ActivationSpec = "identity",
    likelihood: Likelihood = "gaussian",
    tied: bool = False,
) -> nn.Module:
    """Autoencoder: encoder -> code of ``latent`` units -> decoder, trained to rebuild its input.

    The objective is the reconstruction error, logged as ``loss.reconstruction``. The labels of
    the data are not used for training; they score the code afterwards (linear probe).

    Args:
        input_shape: Shape of one sample; the MLP flattens it, conv1d needs a signal ``(C, L)``.
        num_outputs: Unused (the output is the input's shape); trainlab passes it to every model.
        latent: Units in the code. At or above the input size the code is not undercomplete (a warning).
        architecture: ``mlp`` (hidden widths are units) or ``conv1d`` (hidden widths are channels
            of stride-2 convolutions, each halving the length).
        hidden: Widths of the encoder's hidden layers; the decoder mirrors them.
        activation: Activation of the hidden layers.
        code_activation: Activation of the code (``identity``, or ``sigmoid`` for a code in (0, 1)).
        likelihood: ``gaussian`` (squared error) or ``bernoulli`` (cross-entropy; inputs scaled to [0, 1]).
        tied: Decoder weights are the encoder's transposed (mlp only).

    Returns:
        An ``Autoencoder`` returning a ``Reconstruction`` (inputs, reconstruction, code).
    """
    return build_autoencoder(
        input_shape,
        name="autoencoder",
        latent=latent,
        architecture=architecture,
        hidden=list(hidden),
        activation=activation,
        code_activation=code_activation,
        likelihood=likelihood,
        tied=tied,
    )
