"""NaN/Inf and loss-spike policies: raise names the culprit, skip changes nothing, rollback recovers."""

import copy

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from trainlab.data import make_batch_iterator
from trainlab.train import Trainer
from trainlab.train.anomaly import NonFiniteLossError, SpikeDetector, guard_for
from trainlab.train.settings import TrainSettings


class Poison(nn.Module):
    """Identity, except at one step (for ``times`` attempts) when its output becomes NaN (or is scaled)."""

    def __init__(self):
        super().__init__()
        self.armed_at, self.factor, self.trainer, self.times = None, float("nan"), None, 1

    def forward(self, x):
        if (
            self.trainer is not None
            and self.trainer.step == self.armed_at
            and self.training
            and self.times > 0
        ):
            self.times -= 1
            return x * self.factor
        return x


def setup(
    policy="raise", *, steps=8, armed_at=3, factor=float("nan"), times=1, max_consecutive=None, **settings
):
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    dataset = TensorDataset(
        torch.randn(64, 5, generator=generator), torch.randint(0, 3, (64,), generator=generator)
    )
    poison = Poison()
    model = nn.Sequential(nn.Linear(5, 8), poison, nn.Linear(8, 3))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    trainer = Trainer(
        model,
        nn.CrossEntropyLoss(),
        optimizer,
        make_batch_iterator(dataset, 8, seed=0),
        TrainSettings(steps=steps, log_every=1, nan_policy=policy, **settings),
    )
    if max_consecutive is not None:
        trainer.guard.max_consecutive = max_consecutive
    poison.trainer, poison.armed_at, poison.factor, poison.times = trainer, armed_at, factor, times
    return trainer, poison


def test_raise_names_the_step_and_the_first_nonfinite_layer():
    trainer, _ = setup("raise", armed_at=3, times=2)  # the diagnosis re-runs the batch
    with pytest.raises(NonFiniteLossError, match=r"step 4: the loss is nan .*output of layer '1' \(Poison\)"):
        trainer.fit()


def test_raise_names_a_nonfinite_parameter_first():
    trainer, _ = setup("raise", armed_at=None)

    class Corrupt:
        def on_step_start(self, trainer):
            if trainer.step == 2:
                with torch.no_grad():
                    trainer.model[2].weight[0, 0] = float("inf")

    trainer.hooks = type(trainer.hooks)([Corrupt()])
    with pytest.raises(NonFiniteLossError, match=r"step 3: .*parameter '2.weight' of layer '2'"):
        trainer.fit()


class Snapshot:
    """Records parameters and optimizer state at the start of every attempt at a step."""

    def __init__(self):
        self.attempts = []

    def on_step_start(self, trainer):
        self.attempts.append(
            (
                trainer.step,
                copy.deepcopy(trainer.model.state_dict()),
                copy.deepcopy(trainer.optimizer.state_dict()),
            )
        )


def test_skip_leaves_parameters_and_optimizer_state_bit_unchanged():
    trainer, _ = setup("skip", armed_at=3, steps=6)
    snapshot = Snapshot()
    trainer.hooks = type(trainer.hooks)([snapshot])
    trainer.fit()
    at_step_3 = [attempt for attempt in snapshot.attempts if attempt[0] == 3]
    assert len(at_step_3) == 2  # the poisoned attempt, then the retry with the next batch
    (_, weights_before, optim_before), (_, weights_after, optim_after) = at_step_3
    assert all(torch.equal(weights_before[k], weights_after[k]) for k in weights_before)
    for index, state in optim_before["state"].items():
        assert all(torch.equal(value, optim_after["state"][index][key]) for key, value in state.items())
    assert optim_before["param_groups"] == optim_after["param_groups"]
    assert trainer.step == 6 and trainer.guard.handled == 1
    assert all(torch.isfinite(p).all() for p in trainer.model.parameters())


def test_skip_gives_up_after_too_many_bad_steps_in_a_row():
    trainer, _ = setup("skip", armed_at=2, times=100, max_consecutive=3)
    with pytest.raises(NonFiniteLossError, match="4 steps in a row"):
        trainer.fit()


def test_rollback_restores_the_last_good_state_and_lowers_the_lr():
    trainer, _ = setup("rollback", armed_at=5, steps=8, checkpoint_every=2)
    steps_started = Snapshot()
    trainer.hooks = type(trainer.hooks)([steps_started])
    trainer.fit()
    started = [attempt[0] for attempt in steps_started.attempts]
    assert started == [0, 1, 2, 3, 4, 5, 4, 5, 6, 7]  # step 6 failed: back to the state after step 4
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(0.5e-2)
    assert all(torch.isfinite(p).all() for p in trainer.model.parameters())
    assert trainer.step == 8


def test_a_loss_spike_feeds_the_same_policy():
    trainer, _ = setup("skip", armed_at=5, factor=1e4, spike_window=3, spike_zscore=5.0)
    trainer.fit()
    assert trainer.guard.handled == 1


def test_spike_detector_z_score():
    detector = SpikeDetector(window=4, threshold=3.0)
    for loss in [1.0, 1.2, 0.8, 1.0]:
        assert detector.z_score(loss) == 0.0  # window not yet full
        detector.add(loss)
    assert detector.z_score(1.1) < 3.0
    assert detector.z_score(2.0) == pytest.approx(
        (2.0 - 1.0) / torch.tensor([1.0, 1.2, 0.8, 1.0]).std(unbiased=False).item()
    )


def test_without_a_guard_a_nan_is_caught_at_the_next_log():
    trainer, _ = setup(armed_at=2)
    trainer.guard = None  # as on an accelerator, where nan_policy raise checks at log intervals only
    trainer.settings = trainer.settings.model_copy(update={"log_every": 4})
    with pytest.raises(NonFiniteLossError, match="steps 1 to 4 is nan"):
        trainer.fit()


def test_the_default_guard_checks_every_step_only_where_a_read_is_cheap():
    assert guard_for("raise", torch.device("cpu")) is not None
    assert guard_for("raise", torch.device("cuda")) is None  # no sync per step on accelerators
    assert guard_for("skip", torch.device("cuda")).check_gradients
    assert guard_for("raise", torch.device("cuda"), spike_zscore=6.0).spikes is not None
