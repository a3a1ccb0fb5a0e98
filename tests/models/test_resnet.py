"""resnet: pre-activation blocks for every input kind, zero_init_residual and drop path."""

import pytest
import torch
from torch import nn

from trainlab.models import build_model
from trainlab.models.resnet import ResidualBlock
from trainlab.nn.dropout import DropPath

INPUTS = {"features": (6,), "signal": (2, 12), "image": (2, 6, 6)}
LAYERS = {"features": nn.Linear, "signal": nn.Conv1d, "image": nn.Conv2d}


@pytest.mark.parametrize("kind", INPUTS)
def test_layers_follow_the_input_kind(kind):
    model = build_model("resnet", INPUTS[kind], 3, depth=3, width=16)
    blocks = [m for m in model.modules() if isinstance(m, ResidualBlock)]
    assert len(blocks) == 3
    assert all(isinstance(b.branch.layer1, LAYERS[kind]) for b in blocks)
    assert model(torch.randn(4, *INPUTS[kind])).shape == (4, 3)


@pytest.mark.parametrize("kind", INPUTS)
def test_block_is_input_plus_preactivation_branch(kind):
    torch.manual_seed(0)
    block = build_model("resnet", INPUTS[kind], 3, depth=1, width=8).blocks[0].eval()
    branch = block.branch
    assert list(dict(branch.named_children())) == ["norm1", "act1", "layer1", "norm2", "act2", "layer2"]
    h = torch.randn(4, 8, *INPUTS[kind][1:])
    expected = h + branch.layer2(branch.act2(branch.norm2(branch.layer1(branch.act1(branch.norm1(h))))))
    torch.testing.assert_close(block(h), expected)


@pytest.mark.parametrize("kind", INPUTS)
@pytest.mark.parametrize("norm", ["batch", "none"])
def test_zero_init_residual_makes_every_branch_output_zero(kind, norm):
    torch.manual_seed(0)
    model = build_model("resnet", INPUTS[kind], 3, depth=3, width=8, norm=norm, zero_init_residual=True)
    h = torch.randn(4, 8, *INPUTS[kind][1:])
    for block in model.blocks:
        assert torch.count_nonzero(block.branch(h)) == 0
        torch.testing.assert_close(block(h), h)
    # The zeroed layers still get gradients, so the branches start learning at the first step.
    model(torch.randn(4, *INPUTS[kind])).square().sum().backward()
    assert all(block.branch.layer2.weight.grad.abs().sum() > 0 for block in model.blocks)


def test_default_init_leaves_branches_nonzero():
    torch.manual_seed(0)
    model = build_model("resnet", (6,), 3, width=8)
    assert all(torch.count_nonzero(block.branch(torch.randn(4, 8))) > 0 for block in model.blocks)


def test_layers_have_a_bias_only_without_norm():
    with_norm = build_model("resnet", (2, 12), 3, width=8)
    without = build_model("resnet", (2, 12), 3, width=8, norm="none")
    assert with_norm.stem.bias is None and with_norm.blocks[0].branch.layer2.bias is None
    assert without.stem.bias is not None and without.blocks[0].branch.layer2.bias is not None


def test_global_average_pool_makes_the_head_independent_of_input_size():
    model = build_model("resnet", (1, 8, 8), 10, width=8)
    assert model.head.in_features == 8


def test_drop_path_rates_grow_linearly_with_depth_and_vanish_at_eval():
    model = build_model("resnet", INPUTS["features"], 3, depth=4, width=8, drop_path=0.4)
    rates = [block.drop_path.p for block in model.modules() if isinstance(block, ResidualBlock)]
    assert rates == pytest.approx([0.1, 0.2, 0.3, 0.4])
    assert sum(isinstance(m, DropPath) for m in model.modules()) == 4
    plain = build_model("resnet", INPUTS["features"], 3, depth=4, width=8)
    plain.load_state_dict(model.state_dict())  # drop path adds no parameters
    x = torch.randn(16, *INPUTS["features"])
    model.eval()
    plain.eval()
    torch.testing.assert_close(model(x), plain(x))


def test_drop_path_skips_whole_samples_of_a_branch_in_training():
    torch.manual_seed(0)
    block = ResidualBlock(torch.nn.Sequential(torch.nn.Linear(4, 4)), drop_path=DropPath(0, 0.5))
    block.train()
    x = torch.randn(2000, 4)
    branch = block.branch(x).detach()
    residual = (block(x) - x).detach()
    skipped = residual.abs().sum(dim=1) == 0
    # each sample's branch is either dropped or kept and scaled by 1 / (1 − p)
    torch.testing.assert_close(residual[~skipped], branch[~skipped] * 2.0)
    assert 0.45 < skipped.float().mean() < 0.55
