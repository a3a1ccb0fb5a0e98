"""Pruned weights stay zero through fine-tuning, and gradual pruning's masks survive checkpoint and resume."""

import json

import pytest
import torch
from safetensors.torch import load_file

import trainlab
from trainlab.compress import prune
from trainlab.compress.prune import MaskedTraining
from trainlab.train.checkpoint import CheckpointManager, load_state


def test_a_pruned_weight_stays_zero_through_fine_tuning(tiny_run, tmp_path):
    before = load_file(tiny_run / "model.safetensors")
    result = prune(tiny_run, "global_magnitude", 0.8, finetune_steps=15, out=tmp_path / "pruned")
    after = load_file(tmp_path / "pruned" / "model.safetensors")
    for name in ("linear1.weight", "linear2.weight", "head.weight"):
        pruned = after[name] == 0
        assert pruned.float().mean() > 0.5
        # the fine-tune moved the surviving weights (AdamW with weight decay would also move the pruned ones)
        assert not torch.equal(after[name][~pruned], before[name][~pruned])
    summary = json.loads((tmp_path / "pruned" / "summary.json").read_text())
    assert summary["pruning"]["weight_sparsity"] == pytest.approx(0.8, abs=1e-3)
    assert summary["model"]["nonzero_parameters"] == sum(int((t != 0).sum()) for t in after.values())
    assert result.summary["run"]["steps"] == 15
    assert len((tmp_path / "pruned" / "metrics.jsonl").read_text().splitlines()) > 0


def test_masked_training_zeroes_gradients_before_the_update_and_weights_after_it():
    torch.manual_seed(0)
    layer = torch.nn.Linear(4, 4)
    mask = torch.rand(4, 4) > 0.5
    callback = MaskedTraining({"weight": mask})

    class Trainer:
        model = layer

    optimizer = torch.optim.AdamW(layer.parameters(), lr=0.1, weight_decay=0.1)
    callback.on_fit_start(Trainer)
    for _ in range(3):
        layer(torch.randn(8, 4)).square().sum().backward()
        callback.on_after_backward(Trainer)
        assert torch.all(layer.weight.grad[~mask] == 0)
        optimizer.step()
        optimizer.zero_grad()
        callback.on_step_end(Trainer)
        assert torch.all(layer.weight[~mask] == 0)
    assert torch.all(layer.weight[mask] != 0)


RECIPE = {
    "data": "mnist1d",
    "model": {"name": "mlp", "width": 32},
    "callbacks": [
        {"name": "gradual_pruning", "final_sparsity": 0.75, "start_step": 2, "end_step": 14, "every": 4}
    ],
    "train": {
        "steps": 20,
        "batch_size": 32,
        "checkpoint_every": 5,
        "deterministic": True,
        "progress": False,
    },
}


class CrashAt:
    def __init__(self, step):
        self.step = step

    def on_step_start(self, trainer):
        if trainer.step == self.step:
            raise RuntimeError("killed")


def final_masks(run):
    manager = CheckpointManager(run / "checkpoints")
    state = load_state(manager.complete()[-1].state_path)
    (masks,) = [s["masks"] for name, s in state["callbacks"].items() if name.endswith("GradualPruning")]
    return masks


def test_gradual_pruning_masks_survive_checkpoint_and_resume_bit_identically(tmp_path):
    trainlab.fit(RECIPE, out=str(tmp_path / "straight"), verbose=0)
    with pytest.raises(RuntimeError, match="killed"):
        trainlab.fit(RECIPE, out=str(tmp_path / "resumed"), callbacks=[CrashAt(12)], verbose=0)
    trainlab.fit(resume=tmp_path / "resumed", verbose=0)
    straight, resumed = final_masks(tmp_path / "straight"), final_masks(tmp_path / "resumed")
    assert straight.keys() == resumed.keys()
    assert all(torch.equal(straight[name], resumed[name]) for name in straight)
    weights = (tmp_path / "straight" / "model.safetensors").read_bytes()
    assert weights == (tmp_path / "resumed" / "model.safetensors").read_bytes()
    summary = json.loads((tmp_path / "straight" / "summary.json").read_text())
    # scope "layer": each weight, the head's too, ends at exactly s_f = 0.75 zeros; biases stay dense
    zeros = summary["model"]["parameters"] - summary["model"]["nonzero_parameters"]
    assert zeros == round(0.75 * 40 * 32) + round(0.75 * 32 * 32) + round(0.75 * 32 * 10)
