"""mlp share_hidden: one hidden block applied depth - 1 times, so depth adds no parameters; saved and loaded like any run."""

from __future__ import annotations

import pytest
import torch

import trainlab
from trainlab.errors import ConfigError
from trainlab.models import build_model, count_parameters


def test_shared_depth_adds_computation_but_no_parameters():
    deep = build_model("mlp", (6,), 3, depth=5, width=8, share_hidden=True)
    two = build_model("mlp", (6,), 3, depth=2, width=8)
    assert count_parameters(deep) == count_parameters(two)
    x = torch.randn(4, 6)
    block = deep.shared.block
    hidden = deep.act1(deep.linear1(x.flatten(1)))
    for _ in range(4):
        hidden = block.act(block.linear(hidden))
    torch.testing.assert_close(deep(x), deep.head(hidden))


@pytest.mark.parametrize(("depth", "width"), [(1, 8), (3, [8, 8, 4])])
def test_sharing_needs_two_or_more_layers_of_one_width(depth, width):
    with pytest.raises(ConfigError, match="share_hidden"):
        build_model("mlp", (6,), 3, depth=depth, width=width, share_hidden=True)


def test_a_shared_mlp_trains_saves_and_loads(tmp_path):
    result = trainlab.fit(
        {
            "data": "iris",
            "model": {"name": "mlp", "depth": 4, "width": 16, "share_hidden": True},
            "train": {"steps": 30},
            "out": str(tmp_path / "run"),
        },
        verbose=0,
    )
    predictor = trainlab.load(tmp_path / "run")
    x = torch.randn(5, 4)
    with torch.no_grad():
        torch.testing.assert_close(predictor.model(x), result.model.eval()(x))
