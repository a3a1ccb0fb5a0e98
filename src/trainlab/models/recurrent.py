"""The vanilla RNN and the LSTM, beside the paper's GRU, so that gating can be compared on MNIST-1D as a sequence.

The canon's claim is that gates keep the gradient flowing back through time where a vanilla RNN's
shrinks with every step (Hochreiter & Schmidhuber 1997; Bengio, Simard & Frasconi 1994). The
comparison is only fair when the classifier reads the *last* hidden state, so that every gradient
reaching an early step has travelled back through the recurrence: ``readout="last"``. The default
``readout="all"`` reads every hidden state, as the paper's GRU does, which is the stronger classifier.
"""

from __future__ import annotations

from typing import Annotated, Literal

import torch
from pydantic import Field
from torch import nn

from trainlab.models._shapes import require_input_kind
from trainlab.nn.init import ModelInit, apply_init
from trainlab.registry import MODELS

INPUTS = ("signal",)
Readout = Literal["all", "last"]


class RecurrentClassifier(nn.Module):
    """A recurrent layer over the time steps of a ``(N, C, L)`` signal and a linear layer on its outputs.

    Attributes:
        recurrent: The ``nn.RNN`` or ``nn.LSTM``, batch first.
        head: ``nn.Linear`` on every hidden state (``readout="all"``) or on the last one of each direction.
    """

    def __init__(self, recurrent: nn.RNN | nn.LSTM, length: int, num_outputs: int, readout: Readout):
        super().__init__()
        self.recurrent = recurrent
        self.readout = readout
        directions = 2 if recurrent.bidirectional else 1
        features = directions * recurrent.hidden_size
        self.head = nn.Linear(length * features if readout == "all" else features, num_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Channels first (N, C, L) -> (N, L, C), the layout the batch-first recurrent layers read.
        outputs, _ = self.recurrent(x.transpose(1, 2))
        if self.readout == "all":
            return self.head(outputs.reshape(outputs.shape[0], -1))
        hidden = self.recurrent.hidden_size
        # The forward direction ends at the last step; the backward direction ends at the first.
        last = outputs[:, -1, :hidden]
        if self.recurrent.bidirectional:
            last = torch.cat([last, outputs[:, 0, hidden:]], dim=1)
        return self.head(last)


def _classifier(
    name: str,
    recurrent_type: type[nn.RNN] | type[nn.LSTM],
    input_shape: tuple[int, ...],
    num_outputs: int,
    readout: Readout,
    init: ModelInit,
    **layer_options: object,
) -> RecurrentClassifier:
    require_input_kind(name, input_shape, INPUTS)
    in_channels, length = input_shape
    recurrent = recurrent_type(in_channels, batch_first=True, **layer_options)
    return apply_init(RecurrentClassifier(recurrent, length, num_outputs, readout), init)  # type: ignore[return-value]


@MODELS.register(
    "lstm",
    reference="Hochreiter & Schmidhuber 1997, Long Short-Term Memory, Neural Computation 9(8); "
    "Gers, Schmidhuber & Cummins 2000, Learning to Forget (the forget gate)",
    flags={"inputs": INPUTS},
)
def lstm(
    input_shape: tuple[int, ...],
    num_outputs: int,
    *,
    hidden_size: Annotated[int, Field(ge=1)] = 6,
    num_layers: Annotated[int, Field(ge=1)] = 1,
    bidirectional: bool = True,
    readout: Readout = "all",
    forget_bias: float | None = None,
    init: ModelInit = None,
) -> nn.Module:
    """A long short-term memory network over the time steps of a signal, with a linear classifier.

    Args:
        input_shape: ``(C, L)``: C features per time step, L time steps.
        num_outputs: Width of the linear classifier.
        hidden_size: Units of the LSTM in each direction.
        num_layers: Stacked LSTM layers.
        bidirectional: Also read the signal backwards.
        readout: ``all`` feeds every hidden state to the classifier (like the paper's GRU); ``last``
            feeds only the final state of each direction, so every gradient crosses the recurrence.
        forget_bias: Start every forget gate's bias at this value (1.0 is the usual advice, Jozefowicz
            et al. 2015): the cell then keeps most of its state, and its gradient, from the first step.
            None keeps torch's uniform initialization.
        init: Initialization of the weight matrices when the model is built: an initializer name,
            ``{name: ..., **options}`` or a list (``trainlab catalog inits``); None keeps torch's defaults.

    Returns:
        A ``RecurrentClassifier`` mapping ``(N, C, L)`` to ``(N, num_outputs)``.

    Raises:
        ModelError: the input is not a signal.
    """
    model = _classifier(
        "lstm",
        nn.LSTM,
        input_shape,
        num_outputs,
        readout,
        init,
        hidden_size=hidden_size,
        num_layers=num_layers,
        bidirectional=bidirectional,
    )
    if forget_bias is not None:
        set_forget_bias(model.recurrent, forget_bias)
    return model


def set_forget_bias(lstm: nn.RNNBase, value: float) -> None:
    """Set the forget gates' total bias to ``value`` in every layer and direction.

    torch orders each bias vector's gates as (input, forget, cell, output) and adds ``b_ih`` and
    ``b_hh``, so the forget quarter of ``b_ih`` gets the value and that of ``b_hh`` gets zero.
    """
    hidden = lstm.hidden_size
    with torch.no_grad():
        for name, bias in lstm.named_parameters():
            if name.startswith("bias_"):
                bias[hidden : 2 * hidden] = value if name.startswith("bias_ih") else 0.0


@MODELS.register(
    "rnn",
    reference="Elman 1990, Finding Structure in Time, Cognitive Science 14(2); Bengio, Simard & Frasconi 1994, "
    "Learning Long-Term Dependencies with Gradient Descent is Difficult",
    flags={"inputs": INPUTS},
)
def rnn(
    input_shape: tuple[int, ...],
    num_outputs: int,
    *,
    hidden_size: Annotated[int, Field(ge=1)] = 6,
    num_layers: Annotated[int, Field(ge=1)] = 1,
    bidirectional: bool = True,
    nonlinearity: Literal["tanh", "relu"] = "tanh",
    readout: Readout = "all",
    init: ModelInit = None,
) -> nn.Module:
    """A vanilla (Elman) recurrent network over the time steps of a signal, with a linear classifier.

    Args:
        input_shape: ``(C, L)``: C features per time step, L time steps.
        num_outputs: Width of the linear classifier.
        hidden_size: Units of the RNN in each direction.
        num_layers: Stacked RNN layers.
        bidirectional: Also read the signal backwards.
        nonlinearity: ``tanh`` (Elman's) or ``relu``.
        readout: ``all`` feeds every hidden state to the classifier (like the paper's GRU); ``last``
            feeds only the final state of each direction, so every gradient crosses the recurrence.
        init: Initialization of the weight matrices when the model is built: an initializer name,
            ``{name: ..., **options}`` or a list (``trainlab catalog inits``); None keeps torch's defaults.

    Returns:
        A ``RecurrentClassifier`` mapping ``(N, C, L)`` to ``(N, num_outputs)``.

    Raises:
        ModelError: the input is not a signal.
    """
    return _classifier(
        "rnn",
        nn.RNN,
        input_shape,
        num_outputs,
        readout,
        init,
        hidden_size=hidden_size,
        num_layers=num_layers,
        bidirectional=bidirectional,
        nonlinearity=nonlinearity,
    )
