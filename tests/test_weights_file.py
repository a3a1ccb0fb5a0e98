"""model.safetensors for models whose tensors share memory: tied weights, and parameters that are
views into an optimizer's flat buffer."""

import torch
from safetensors.torch import load_file, load_model, save_model
from torch import nn

from trainlab._weights import load_weights, save_weights
from trainlab.optim import Lion


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(7, 4)
        self.head = nn.Linear(4, 7, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, tokens):
        return self.head(self.embed(tokens))


def stepped_mlp(seed=0):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 3))
    optimizer = Lion(model.parameters(), lr=1e-2)
    model(torch.randn(8, 5)).sum().backward()
    optimizer.step()
    return model


def assert_same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for name in sa:
        assert torch.equal(sa[name], sb[name]), name


def test_parameters_in_one_flat_buffer_are_written_compactly_and_read_back(tmp_path):
    model = stepped_mlp()
    assert len({p.untyped_storage().data_ptr() for p in model.parameters()}) == 1  # the optimizer bound them
    save_weights(model, tmp_path / "w.safetensors")
    stored = load_file(tmp_path / "w.safetensors")
    assert sum(t.numel() for t in stored.values()) == sum(p.numel() for p in model.parameters())
    fresh = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 3))
    assert load_weights(fresh, tmp_path / "w.safetensors") == ([], [])
    assert_same_state(fresh, model)
    # Reading into a model that is itself bound copies into the views and keeps the binding.
    bound = stepped_mlp(seed=1)
    load_weights(bound, tmp_path / "w.safetensors")
    assert_same_state(bound, model)
    assert len({p.untyped_storage().data_ptr() for p in bound.parameters()}) == 1


def test_tied_weights_are_stored_once_and_stay_tied(tmp_path):
    model = Tied()
    save_weights(model, tmp_path / "w.safetensors")
    assert list(load_file(tmp_path / "w.safetensors")) == ["embed.weight"]
    fresh = Tied()
    assert load_weights(fresh, tmp_path / "w.safetensors") == ([], [])
    assert torch.equal(fresh.embed.weight, model.embed.weight)
    assert fresh.head.weight is fresh.embed.weight


def test_files_interchange_with_safetensors_own_model_functions(tmp_path):
    model = Tied()
    save_model(model, tmp_path / "theirs.safetensors")
    ours = Tied()
    assert load_weights(ours, tmp_path / "theirs.safetensors") == ([], [])
    assert_same_state(ours, model)
    save_weights(model, tmp_path / "ours.safetensors")
    theirs = Tied()
    missing, unexpected = load_model(theirs, tmp_path / "ours.safetensors")
    assert not missing and not unexpected
    assert_same_state(theirs, model)


def test_missing_and_unexpected_names_are_reported(tmp_path):
    save_weights(nn.Sequential(nn.Linear(2, 2)), tmp_path / "w.safetensors")
    missing, unexpected = load_weights(
        nn.Sequential(nn.Identity(), nn.Linear(2, 2)), tmp_path / "w.safetensors"
    )
    assert sorted(missing) == ["1.bias", "1.weight"]
    assert sorted(unexpected) == ["0.bias", "0.weight"]
