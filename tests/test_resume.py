"""Exact resume: an interrupted and resumed run equals the uninterrupted one, bit for bit.

The resume matrix of the reliability issue: step 0, mid-epoch, an epoch boundary, the middle of
gradient accumulation, the last step, plus SIGTERM. The run has everything that could drift:
dropout (RNG), Adam (optimizer state), a schedule, a stateful callback (an EMA of the weights),
logging intervals that do not line up with checkpoints, and evaluation.

"Interrupted mid accumulation" means the process dies (or is signalled) between the
micro-batches of one optimizer step. Checkpoints are only ever taken at step boundaries, so the
resumed run redoes that step from its first micro-batch; a signal arriving mid-step is honoured
once the step completes.
"""

import os
import signal

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from trainlab.data import make_batch_iterator
from trainlab.train import Evaluator, Trainer, seed_everything
from trainlab.train.checkpoint import CheckpointManager
from trainlab.train.resume import restore_latest
from trainlab.train.seed import set_deterministic
from trainlab.train.settings import TrainSettings
from trainlab.train.signals import TrainingInterrupted

SAMPLES, BATCH = 48, 8  # 6 batches per epoch
STEPS = 14


class Crash(Exception):
    """Stands in for SIGKILL: the process state is gone, only the disk remains."""


class WeightEMA:
    """A stateful callback, like an EMA of the weights, that must be checkpointed too."""

    def __init__(self, decay=0.9):
        self.decay, self.average = decay, None

    def on_step_end(self, trainer):
        current = torch.cat([p.detach().flatten() for p in trainer.model.parameters()])
        self.average = (
            current.clone()
            if self.average is None
            else self.decay * self.average + (1 - self.decay) * current
        )

    def state_dict(self):
        return {"average": self.average}

    def load_state_dict(self, state):
        self.average = state["average"]


class CrashAt:
    """Raises Crash when the run reaches a point: before step k's first micro-batch, at a given
    micro-batch of step k (through the batch transform), or at the final evaluation."""

    def __init__(self, step=None, micro_batch=None, final_eval=False, signal_instead=False):
        self.step, self.micro_batch, self.final_eval, self.signal_instead = (
            step,
            micro_batch,
            final_eval,
            signal_instead,
        )
        self.trainer, self.seen = None, 0

    def on_fit_start(self, trainer):
        self.trainer = trainer

    def on_step_start(self, trainer):
        self.seen = 0
        if self.micro_batch is None and self.step is not None and trainer.step == self.step:
            raise Crash

    def on_eval_start(self, trainer, split):
        if self.final_eval and trainer.step == trainer.total_steps:
            raise Crash

    def transform(self, inputs, targets):
        self.seen += 1
        if self.micro_batch is not None and self.trainer.step == self.step and self.seen == self.micro_batch:
            if self.signal_instead:
                os.kill(os.getpid(), signal.SIGTERM)
            else:
                raise Crash
        return inputs, targets


@pytest.fixture(autouse=True)
def deterministic():
    set_deterministic(True)
    yield
    set_deterministic(False)


def build(tmp_path, *, accum=1, checkpoint_every=4, crash=None):
    """Everything a run is made of, constructed from scratch as a new process would."""
    seed_everything(7)
    generator = torch.Generator().manual_seed(0)
    x, y = torch.randn(SAMPLES, 6, generator=generator), torch.randint(0, 3, (SAMPLES,), generator=generator)
    dataset = TensorDataset(x, y)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 / (1 + 0.1 * step))
    batches = make_batch_iterator(dataset, BATCH, shuffle=True, seed=3)
    crash = crash or CrashAt()
    loss_fn = nn.CrossEntropyLoss()
    trainer = Trainer(
        model,
        loss_fn,
        optimizer,
        batches,
        TrainSettings(
            steps=STEPS, eval_every=5, log_every=3, grad_accum_steps=accum, checkpoint_every=checkpoint_every
        ),
        scheduler=scheduler,
        evaluator=Evaluator(loss_fn, {}, task="classification", batch_size=16),
        eval_sets={"train": dataset, "val": dataset},
        callbacks=[WeightEMA(), crash],
        batch_transform=crash.transform,
        checkpoints=CheckpointManager(tmp_path / "checkpoints", keep_last=2),
    )
    return trainer


def outcome(trainer):
    ema = next(cb for cb in trainer.hooks.callbacks if isinstance(cb, WeightEMA))
    return trainer.history, trainer.model.state_dict(), trainer.optimizer.state_dict(), ema.average


def assert_identical(resumed, reference):
    history, weights, optimizer, ema = resumed
    ref_history, ref_weights, ref_optimizer, ref_ema = reference
    assert history == ref_history  # every per-step loss, lr and evaluation, exactly
    for name, tensor in ref_weights.items():
        assert torch.equal(weights[name], tensor), name
    for index, state in ref_optimizer["state"].items():
        for key, value in state.items():
            assert torch.equal(optimizer["state"][index][key], value), (index, key)
    assert torch.equal(ema, ref_ema)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    references = {}
    for accum in (1, 3):
        trainer = build(tmp_path_factory.mktemp(f"reference{accum}"), accum=accum)
        trainer.fit()
        references[accum] = outcome(trainer)
    return references


def interrupted_then_resumed(tmp_path, crash, *, accum=1, expect=Crash):
    with pytest.raises(expect):
        build(tmp_path, accum=accum, crash=crash).fit()
    resumed = build(tmp_path, accum=accum)
    info = restore_latest(resumed, resumed.checkpoints, resumed.process)
    resumed.fit()
    return outcome(resumed), info


@pytest.mark.parametrize(
    ("where", "crash", "resumed_from"),
    [
        ("step 0", CrashAt(step=0), None),
        ("mid-epoch", CrashAt(step=7), 4),  # steps 5-7 redone: checkpoint at 4 is mid-epoch 0
        ("epoch boundary", CrashAt(step=12), 12),  # step 12 ends epoch 1 (6 batches per epoch)
        ("last step", CrashAt(final_eval=True), STEPS),
    ],
)
def test_resume_matrix(tmp_path, reference, where, crash, resumed_from):
    result, info = interrupted_then_resumed(tmp_path, crash)
    assert (info.step if info else None) == resumed_from, where
    assert_identical(result, reference[1])


def test_resume_mid_gradient_accumulation(tmp_path, reference):
    # Killed at the 2nd of 3 micro-batches of step 6: the checkpoint of step 4 is the latest.
    result, info = interrupted_then_resumed(tmp_path, CrashAt(step=5, micro_batch=2), accum=3)
    assert info.step == 4
    assert_identical(result, reference[3])


def test_sigterm_mid_accumulation_checkpoints_at_the_step_boundary(tmp_path, reference):
    crash = CrashAt(step=5, micro_batch=2, signal_instead=True)
    result, info = interrupted_then_resumed(tmp_path, crash, accum=3, expect=TrainingInterrupted)
    assert info.step == 6  # the step in flight was completed, then checkpointed
    assert_identical(result, reference[3])


def test_sigterm_reports_how_to_continue(tmp_path):
    crash = CrashAt(step=2, micro_batch=1, signal_instead=True)
    with pytest.raises(TrainingInterrupted, match="SIGTERM at step 3") as caught:
        build(tmp_path, crash=crash).fit()
    assert caught.value.exit_code == 128 + signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored


def test_a_corrupt_newest_checkpoint_falls_back_to_the_previous(tmp_path, reference):
    with pytest.raises(Crash):
        build(tmp_path, crash=CrashAt(step=10)).fit()
    newest = tmp_path / "checkpoints" / "step-00000008" / "state.pt"
    newest.write_bytes(newest.read_bytes()[:1000])  # truncated, as by a dying disk
    resumed = build(tmp_path)
    with pytest.warns(UserWarning, match="falling back"):
        info = restore_latest(resumed, resumed.checkpoints, resumed.process)
    assert info.step == 4
    resumed.fit()
    assert_identical(outcome(resumed), reference[1])
