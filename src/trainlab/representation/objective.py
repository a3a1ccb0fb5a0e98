"""``model_objective``: the loss of a model whose output carries its own objective (an autoencoder, a VAE, an RBM)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from trainlab.errors import ModelError
from trainlab.losses.terms import LossTerms
from trainlab.registry import LOSSES


@LOSSES.register(
    "model_objective",
    reference="Goodfellow, Bengio & Courville 2016, Deep Learning, Ch. 14 (autoencoders) and Ch. 20 (VAE, RBM)",
    flags={"task": "representation", "target": "ignored"},
)
class ModelObjective(nn.Module):
    """The objective a representation model's output defines, with its terms logged one by one.

    The model returns a structured output (a ``Reconstruction``, ``VariationalOutput`` or
    ``EnergyOutput``) whose ``loss_terms()`` gives the scalar to minimise and the named terms
    (``loss.reconstruction``, ``loss.kl``, ...). The batch's labels are ignored: reconstruction
    and generative tasks learn from the inputs alone, and keep the labels for evaluation.
    """

    def forward(self, outputs: Any, targets: torch.Tensor) -> LossTerms:
        loss_terms = getattr(outputs, "loss_terms", None)
        if not callable(loss_terms):
            raise ModelError(
                f"model_objective needs a model whose output defines loss_terms() (autoencoder, vae, rbm, ...); "
                f"this one returned {type(outputs).__name__}"
            )
        terms = loss_terms()
        if not isinstance(terms, LossTerms):
            raise ModelError(
                f"{type(outputs).__name__}.loss_terms() must return LossTerms, got {type(terms).__name__}"
            )
        return terms
