"""gru against the MNIST-1D paper's GRUBase, written out independently here."""

import pytest
import torch
from torch import nn

from trainlab.errors import ModelError
from trainlab.models import build_model, count_parameters


class PaperGRUBase(nn.Module):
    """GRUBase from github.com/greydanus/mnist1d (notebooks/models.py), without the print."""

    def __init__(self, input_size, output_size, hidden_size=6, time_steps=40, bidirectional=True):
        super().__init__()
        self.gru = nn.GRU(
            input_size=input_size, hidden_size=hidden_size, batch_first=True, bidirectional=bidirectional
        )
        flat_size = 2 * hidden_size * time_steps if bidirectional else hidden_size * time_steps
        self.linear = nn.Linear(flat_size, output_size)
        self.hidden_size = hidden_size
        self.bidirectional = bidirectional

    def forward(self, x):  # x: [batch, time]
        x = x.view(*x.shape[:2], 1)
        k = 2 if self.bidirectional else 1
        h0 = torch.zeros(k, x.shape[0], self.hidden_size)
        output, _ = self.gru(x, h0)
        return self.linear(output.reshape(output.shape[0], -1))


def test_paper_configuration_has_5134_parameters():
    assert count_parameters(build_model("gru", (1, 40), 10)) == 5134


@pytest.mark.parametrize("bidirectional", [True, False])
def test_matches_the_paper_network(bidirectional):
    torch.manual_seed(0)
    reference = PaperGRUBase(1, 10, bidirectional=bidirectional)
    model = build_model("gru", (1, 40), 10, bidirectional=bidirectional)
    renamed = {k.replace("linear.", "head."): v for k, v in reference.state_dict().items()}
    model.load_state_dict(renamed)
    signals = torch.randn(8, 40)
    # The reference takes [batch, time]; trainlab's signals are channels first, [batch, 1, time].
    torch.testing.assert_close(model(signals.unsqueeze(1)), reference(signals))


def test_unidirectional_parameter_count():
    # One direction: 3 gates x (6*1 input + 6*6 recurrent + 2*6 biases) = 162, plus Linear(6*40, 10).
    assert count_parameters(build_model("gru", (1, 40), 10, bidirectional=False)) == 162 + 6 * 40 * 10 + 10


def test_channels_are_features_per_time_step():
    model = build_model("gru", (3, 20), 5, hidden_size=4)
    assert model.gru.input_size == 3
    assert model.head.in_features == 20 * 2 * 4
    assert model(torch.randn(2, 3, 20)).shape == (2, 5)


def test_feature_vector_input_is_a_model_error():
    with pytest.raises(ModelError, match=r"model\.name: 'gru' needs a signal \(C, L\).*mlp"):
        build_model("gru", (40,), 10)
