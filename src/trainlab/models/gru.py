"""The MNIST-1D recurrent network: a small bidirectional GRU whose every hidden state feeds a linear classifier.

Greydanus 2020 ("Scaling down deep learning", arXiv:2011.14439) benchmarks this network on
MNIST-1D with 5,134 parameters. The layers follow ``GRUBase`` in
https://github.com/greydanus/mnist1d (``notebooks/models.py``): the GRU reads the signal one
time step at a time, and the classifier sees the hidden states of all time steps, not only
the last one, so it can use where in the sequence a feature occurred.
"""

from __future__ import annotations

from typing import Annotated

import torch
from pydantic import Field
from torch import nn

from trainlab.models._shapes import require_input_kind
from trainlab.nn.init import ModelInit, apply_init
from trainlab.registry import MODELS

INPUTS = ("signal",)


class GRUClassifier(nn.Module):
    """A GRU over the time steps of a ``(N, C, L)`` signal and a linear layer on all its outputs.

    Attributes:
        gru: ``nn.GRU`` with ``input_size = C``, reading the L steps (batch first).
        head: ``nn.Linear(L * directions * hidden_size, num_outputs)``.
    """

    def __init__(
        self, in_channels: int, length: int, num_outputs: int, hidden_size: int, bidirectional: bool
    ):
        super().__init__()
        self.gru = nn.GRU(in_channels, hidden_size, batch_first=True, bidirectional=bidirectional)
        directions = 2 if bidirectional else 1
        self.head = nn.Linear(length * directions * hidden_size, num_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Channels first (N, C, L) -> time major per sample (N, L, C), the layout nn.GRU reads.
        # The initial hidden state is zero, as in the reference (which passes 0 * randn).
        outputs, _ = self.gru(x.transpose(1, 2))
        # (N, L, directions * hidden) -> (N, L * directions * hidden), ordered as the reference flattens.
        return self.head(outputs.reshape(outputs.shape[0], -1))


@MODELS.register(
    "gru",
    reference="Greydanus 2020, Scaling down Deep Learning, arXiv:2011.14439 (github.com/greydanus/mnist1d, "
    "GRUBase); Cho et al. 2014, Learning Phrase Representations using RNN Encoder-Decoder, arXiv:1406.1078",
    flags={"inputs": INPUTS},
)
def gru(
    input_shape: tuple[int, ...],
    num_outputs: int,
    *,
    hidden_size: Annotated[int, Field(ge=1)] = 6,
    bidirectional: bool = True,
    init: ModelInit = None,
) -> nn.Module:
    """The MNIST-1D paper's GRU: a (bidirectional) GRU with a linear layer on all hidden states.

    With the defaults, a ``(1, 40)`` input and 10 outputs this is exactly the paper's
    5,134-parameter network: 324 GRU weights and a ``Linear(2 * 6 * 40, 10)``.

    Args:
        input_shape: ``(C, L)``: C features per time step, L time steps. The classifier's
            size depends on L, so every sample must have the same length.
        num_outputs: Width of the linear classifier.
        hidden_size: Units of the GRU in each direction (6 in the paper).
        bidirectional: Also read the signal backwards (as in the paper).
        init: Initialization of the GRU's weight matrices and the classifier when the model is built: an initializer name,
            ``{name: ..., **options}`` or a list (``trainlab catalog inits``); None keeps torch's
            defaults. Biases become 0 unless the spec sets ``bias``.

    Returns:
        A ``GRUClassifier`` mapping ``(N, C, L)`` to ``(N, num_outputs)``.

    Raises:
        ModelError: the input is not a signal.
    """
    require_input_kind("gru", input_shape, INPUTS)
    in_channels, length = input_shape
    return apply_init(GRUClassifier(in_channels, length, num_outputs, hidden_size, bidirectional), init)
