"""The lottery-ticket procedure on a tiny MLP: its mask, its rewinding and its control."""

import pytest
import torch

from trainlab.compress.prune import lottery_ticket
from trainlab.compress.prune.lottery import RememberWeights
from trainlab.errors import TrainlabError

RECIPE = {
    "data": "mnist1d",
    "model": {"name": "mlp", "width": 32, "depth": 1},
    "train": {"steps": 12, "batch_size": 64, "progress": False, "deterministic": True},
}


@pytest.mark.slow  # five short trainings
def test_rounds_reach_the_target_sparsity_and_the_control_shares_the_mask():
    # a model override shapes the dense model; the retrained copies take its shape from it
    result = lottery_ticket(RECIPE, sparsity=0.75, rounds=2, rewind_step=3, overrides=["model.width=16"])
    assert [r["target_sparsity"] for r in result.rounds] == pytest.approx([0.5, 0.75])
    assert result.sparsity == pytest.approx(0.75, abs=1e-3)
    kept = sum(int(mask.sum()) for mask in result.masks.values())
    total = sum(mask.numel() for mask in result.masks.values())
    assert kept == total - round(0.75 * total)
    assert result.masks["linear1.weight"].shape == (16, 40)
    assert {"dense", "ticket", "random_reinit"} <= set(vars(result))
    assert all("accuracy" in result.ticket[s] and "accuracy" in result.random_reinit[s] for s in ("test",))


def test_remember_weights_keeps_the_state_after_the_given_step():
    model = torch.nn.Linear(2, 2)

    class Trainer:
        step = 0

    Trainer.model = model
    callback = RememberWeights(2)
    after = {}
    for step in (1, 2, 3):
        with torch.no_grad():
            model.weight.add_(1.0)
        after[step] = model.weight.detach().clone()
        Trainer.step = step
        callback.on_step_end(Trainer)
    assert torch.equal(callback.weights["weight"], after[2])


def test_a_rewind_step_beyond_the_run_is_one_message():
    with pytest.raises(TrainlabError, match="rewind_step 50"):
        lottery_ticket(RECIPE, sparsity=0.5, rounds=1, rewind_step=50)
    with pytest.raises(TrainlabError, match="sparsity"):
        lottery_ticket(RECIPE, sparsity=1.0)
