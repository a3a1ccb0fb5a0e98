"""lstm and rnn against torch's own layers: the last-state readout equals h_n, and the parameter counts add up."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from trainlab.errors import ModelError
from trainlab.models import build_model, count_parameters


@pytest.mark.parametrize(("name", "layer_type"), [("lstm", nn.LSTM), ("rnn", nn.RNN)])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_last_readout_reads_the_final_hidden_state_of_each_direction(name, layer_type, bidirectional):
    torch.manual_seed(0)
    model = build_model(name, (3, 11), 4, hidden_size=5, bidirectional=bidirectional, readout="last")
    x = torch.randn(7, 3, 11)
    reference = layer_type(3, 5, batch_first=True, bidirectional=bidirectional)
    reference.load_state_dict(model.recurrent.state_dict())
    _, state = reference(x.transpose(1, 2))
    h_n = state[0] if isinstance(state, tuple) else state  # (directions, N, H)
    final = torch.cat(list(h_n), dim=1)  # forward's last step, then backward's (which ends at step 0)
    expected = final @ model.head.weight.T + model.head.bias
    torch.testing.assert_close(model(x), expected)


@pytest.mark.parametrize("name", ["lstm", "rnn"])
def test_all_readout_feeds_every_hidden_state_to_the_classifier(name):
    torch.manual_seed(0)
    model = build_model(name, (1, 40), 10, hidden_size=6)
    gates = 4 if name == "lstm" else 1
    recurrent = 2 * gates * 6 * (1 + 6 + 2)  # two directions: W_ih (1 input), W_hh, b_ih and b_hh per gate
    assert count_parameters(model) == recurrent + (2 * 6 * 40 * 10 + 10)
    x = torch.randn(2, 1, 40)
    outputs, _ = model.recurrent(x.transpose(1, 2))
    torch.testing.assert_close(model(x), model.head(outputs.reshape(2, -1)))


def test_rnn_relu_and_stacked_layers_reach_torch():
    model = build_model("rnn", (2, 9), 3, nonlinearity="relu", num_layers=2, bidirectional=False)
    assert model.recurrent.nonlinearity == "relu" and model.recurrent.num_layers == 2


@pytest.mark.parametrize("name", ["lstm", "rnn"])
def test_a_feature_vector_is_refused_with_the_models_that_take_it(name):
    with pytest.raises(ModelError, match=rf"'{name}' needs a signal"):
        build_model(name, (40,), 10)


def test_forget_bias_sets_the_summed_forget_gate_bias_and_nothing_else():
    torch.manual_seed(0)
    default = build_model("lstm", (1, 8), 2, hidden_size=3, num_layers=2)
    torch.manual_seed(0)
    model = build_model("lstm", (1, 8), 2, hidden_size=3, num_layers=2, forget_bias=1.0)
    for (name, bias), (_, original) in zip(
        model.recurrent.named_parameters(), default.recurrent.named_parameters(), strict=True
    ):
        if not name.startswith("bias_ih"):
            continue
        total = bias + getattr(model.recurrent, name.replace("bias_ih", "bias_hh"))
        torch.testing.assert_close(total[3:6], torch.ones(3))  # the forget quarter (i, f, g, o)
        torch.testing.assert_close(bias[:3], original[:3])  # the input gate's bias is untouched
        torch.testing.assert_close(bias[6:], original[6:])
