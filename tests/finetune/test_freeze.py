"""freeze: matched parameters stay bitwise unchanged, get no optimizer state, and the summary counts them."""

import pytest
import torch

import trainlab
from trainlab.errors import ConfigError


class OptimizerState:
    """Records, at the end of training, which parameters the optimizer holds state for."""

    def on_fit_end(self, trainer):
        names = {id(p): n for n, p in trainer.model.named_parameters()}
        self.with_state = {names[id(p)] for p in trainer.optimizer.state}
        self.in_groups = {names[id(p)] for g in trainer.optimizer.param_groups for p in g["params"]}


def test_frozen_parameters_are_unchanged_and_have_no_optimizer_state(
    pretrained, tmp_path, finetune_recipe, weights
):
    probe = OptimizerState()
    result = trainlab.fit(
        finetune_recipe(pretrained, freeze=["linear1.*", "norm1.*"], out=str(tmp_path / "ft")),
        callbacks=[probe],
        verbose=0,
    )
    before, after = weights(pretrained), weights(tmp_path / "ft")
    frozen = {"linear1.weight", "linear1.bias", "norm1.weight", "norm1.bias"}
    for name in frozen:
        assert torch.equal(before[name], after[name]), name  # AdamW's decay included
    assert not torch.equal(before["linear2.weight"], after["linear2.weight"])
    assert probe.with_state and not probe.with_state & frozen
    assert not probe.in_groups & frozen
    finetune = result.summary["finetune"]
    params = dict(result.model.named_parameters())
    assert finetune["frozen_tensors"] == 4
    assert finetune["frozen_parameters"] == sum(params[n].numel() for n in frozen)
    assert finetune["parameters"] == sum(p.numel() for p in params.values())


def test_a_pattern_that_matches_nothing_is_named(pretrained, tmp_path, finetune_recipe):
    with pytest.raises(ConfigError) as caught:
        trainlab.fit(
            finetune_recipe(pretrained, freeze=["linear1.*", "encoder.*"], out=str(tmp_path / "x")), verbose=0
        )
    assert [p.key for p in caught.value.problems] == ["freeze[1]"]
    assert "'encoder.*' matches no parameter" in str(caught.value)
    assert not (tmp_path / "x").exists()


def test_batch_norm_statistics_stay_or_update_by_option(pretrained, tmp_path, finetune_recipe, weights):
    before = weights(pretrained)
    for frozen_stats in (True, False):
        out = tmp_path / f"bn-{frozen_stats}"
        trainlab.fit(finetune_recipe(pretrained, freeze_bn_stats=frozen_stats, out=str(out)), verbose=0)
        after = weights(out)
        for name in ("norm1.running_mean", "norm1.running_var", "norm2.num_batches_tracked"):
            assert torch.equal(before[name], after[name]) is frozen_stats, name


def test_the_printed_summary_says_what_was_frozen():
    from rich.console import Console

    from trainlab.summary_tables import print_summary

    run = {"session_steps": 5, "wall_time_s": 1.0, "steps_per_s": 5.0, "parameters": 1200, "dir": None}
    finetune = {"frozen_tensors": 2, "tensors": 6, "frozen_parameters": 1000, "parameters": 1200}
    console = Console(record=True, width=200)
    print_summary({"run": run, "finetune": finetune}, console)
    assert "frozen: 2 of 6 tensors, 1,000 of 1,200 parameters" in console.export_text()
