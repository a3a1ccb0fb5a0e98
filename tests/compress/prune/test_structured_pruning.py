"""Structured pruning shrinks the model, keeps the kept units' outputs, and its run directory loads."""

import json

import pytest
import torch

import trainlab
from trainlab.compress import prune
from trainlab.compress.prune import StructuredPruner
from trainlab.compress.prune.structured import pruned_model_spec
from trainlab.models import build_model


def test_kept_neurons_compute_what_they_computed_before():
    torch.manual_seed(0)
    model = build_model("mlp", (1, 40), 10, depth=2, width=16).eval()
    pruner = StructuredPruner(0.5, norm=2)
    pruned = pruner.shrink(model, torch.zeros(1, 1, 40))
    kept = pruner.kept["linear1"]
    # the reference: the L2 norms of linear1's rows, largest half kept
    norms = model.linear1.weight.detach().norm(dim=1)
    assert torch.equal(kept, torch.sort(torch.argsort(norms, descending=True)[:8]).values)
    x = torch.randn(5, 1, 40).flatten(1)
    torch.testing.assert_close(
        pruned.linear1(x), model.linear1(x)[:, kept]
    )  # equal up to float32 rounding of a smaller matmul
    # the second layer sees only the kept inputs: fed the kept units, it matches on its kept outputs
    hidden = torch.relu(model.linear1(x))
    kept2 = pruner.kept["linear2"]
    expected = (hidden[:, kept] @ model.linear2.weight[kept2][:, kept].T) + model.linear2.bias[kept2]
    torch.testing.assert_close(pruned.linear2(torch.relu(pruned.linear1(x))), expected)
    assert pruned.head.out_features == 10
    assert model.linear1.out_features == 16  # the original is untouched


def test_kept_conv_channels_compute_what_they_computed_before():
    torch.manual_seed(0)
    model = build_model("cnn1d", (1, 40), 10, channels=12).eval()
    pruner = StructuredPruner(0.5, norm=1)
    pruned = pruner.shrink(model, torch.zeros(1, 1, 40))
    kept = pruner.kept["conv1"]
    norms = model.conv1.weight.detach().abs().sum(dim=(1, 2))
    assert torch.equal(kept, torch.sort(torch.argsort(norms, descending=True)[:6]).values)
    x = torch.randn(3, 1, 40)
    torch.testing.assert_close(
        pruned.conv1(x), model.conv1(x)[:, kept]
    )  # equal up to float32 rounding of a smaller matmul
    assert pruned(x).shape == (3, 10)
    spec = pruned_model_spec({"name": "cnn1d", "channels": 12}, pruned)
    assert spec == {"name": "cnn1d", "channels": 6}
    rebuilt = build_model("cnn1d", (1, 40), 10, channels=spec["channels"])
    rebuilt.load_state_dict(pruned.state_dict())  # strict: the recipe's widths rebuild the pruned model


def test_a_structured_run_has_fewer_parameters_and_evaluates_and_predicts(tiny_run, tmp_path):
    out = tmp_path / "structured"
    result = prune(tiny_run, "structured", 0.5, out=out)
    summary = json.loads((out / "summary.json").read_text())
    # 40 -> 16 -> 16 -> 10 after halving both hidden layers of width 32
    assert summary["model"]["parameters"] == 40 * 16 + 16 + 16 * 16 + 16 + 16 * 10 + 10
    assert summary["pruning"]["units"] == {
        "linear1": {"before": 32, "after": 16},
        "linear2": {"before": 32, "after": 16},
    }
    assert summary["model"]["weights_bytes"] < summary["pruning"]["source_model"]["weights_bytes"] / 2
    evaluated = trainlab.evaluate(out)
    assert evaluated["test"]["accuracy"] == pytest.approx(result.summary["test"]["accuracy"])
    predictor = trainlab.load(out)
    assert predictor.model.linear1.out_features == 16
    assert predictor.predict(torch.randn(4, 1, 40).numpy()).shape == (4,)
