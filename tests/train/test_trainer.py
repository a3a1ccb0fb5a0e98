"""The loop itself, driven with plain torch objects: accumulation, clipping, precision, hooks, syncs."""

import math

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from trainlab.data import make_batch_iterator
from trainlab.train import Evaluator, Trainer
from trainlab.train.settings import TrainSettings


def make_problem(n=64, features=5, classes=3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, features, generator=generator)
    y = torch.randint(0, classes, (n,), generator=generator)
    return TensorDataset(x, y)


TRAINER_ARGUMENTS = ("evaluator", "eval_sets", "penalties", "batch_transform")


def make_trainer(dataset, *, batch_size=8, steps=4, lr=0.1, model=None, callbacks=(), **kwargs):
    """A trainer over ``dataset``; keyword arguments are Trainer arguments or TrainSettings fields."""
    torch.manual_seed(0)
    model = model or nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    batches = make_batch_iterator(dataset, batch_size, shuffle=True, seed=0)
    arguments = {k: kwargs.pop(k) for k in TRAINER_ARGUMENTS if k in kwargs}
    settings = TrainSettings(steps=steps, batch_size=batch_size, **kwargs)
    return Trainer(
        model, nn.CrossEntropyLoss(), optimizer, batches, settings, callbacks=callbacks, **arguments
    )


def test_gradient_accumulation_equals_the_large_batch():
    dataset = make_problem()
    small = make_trainer(dataset, batch_size=8, steps=1, grad_accum_steps=2)
    large = make_trainer(dataset, batch_size=16, steps=1)
    # Same seed, same permutation: two micro-batches of 8 are the first 16 samples.
    small.fit()
    large.fit()
    for a, b in zip(small.model.parameters(), large.model.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)


def test_clip_by_norm_bounds_the_update():
    dataset = make_problem()
    trainer = make_trainer(dataset, steps=1, lr=1.0, grad_clip_norm=1e-3)
    before = [p.detach().clone() for p in trainer.model.parameters()]
    trainer.fit()
    change = torch.cat(
        [(p.detach() - b).flatten() for p, b in zip(trainer.model.parameters(), before, strict=True)]
    )
    assert change.norm() == pytest.approx(1e-3, rel=1e-4)


def test_clip_by_value_bounds_each_element():
    dataset = make_problem()
    trainer = make_trainer(dataset, steps=1, lr=1.0, grad_clip_value=1e-4)
    before = [p.detach().clone() for p in trainer.model.parameters()]
    trainer.fit()
    change = torch.cat(
        [(p.detach() - b).flatten() for p, b in zip(trainer.model.parameters(), before, strict=True)]
    )
    # float32 parameters near 0.3 resolve steps of about 3e-8, hence the tolerance
    assert change.abs().max() == pytest.approx(1e-4, rel=1e-3)


def test_bf16_autocast_trains_on_cpu():
    dataset = make_problem(n=256)
    trainer = make_trainer(
        dataset,
        steps=60,
        batch_size=32,
        lr=0.5,
        log_every=10,
        precision="bf16",
    )
    history = trainer.fit()
    losses = [r["loss"] for r in history if r["type"] == "step"]
    assert losses[-1] < losses[0]


class Recorder:
    def __init__(self):
        self.events = []

    def on_fit_start(self, trainer):
        self.events.append(("fit_start", trainer.step))

    def on_step_start(self, trainer):
        self.events.append(("step_start", trainer.step))

    def on_after_backward(self, trainer):
        grads = [p.grad for p in trainer.model.parameters()]
        self.events.append(("after_backward", all(g is not None for g in grads)))

    def on_step_end(self, trainer):
        self.events.append(("step_end", trainer.step))

    def on_log(self, trainer, record):
        self.events.append(("log", trainer.step))

    def on_eval_end(self, trainer, split, metrics):
        self.events.append(("eval", split))

    def on_fit_end(self, trainer):
        self.events.append(("fit_end", trainer.step))


def test_hooks_fire_in_loop_order():
    dataset = make_problem()
    recorder = Recorder()
    evaluator = Evaluator(nn.CrossEntropyLoss(), {}, task="classification")
    trainer = make_trainer(
        dataset, steps=2, log_every=1, callbacks=[recorder], evaluator=evaluator, eval_sets={"val": dataset}
    )
    trainer.fit()
    assert recorder.events == [
        ("fit_start", 0),
        ("step_start", 0),
        ("after_backward", True),
        ("step_end", 1),
        ("log", 1),
        ("step_start", 1),
        ("after_backward", True),
        ("step_end", 2),
        ("log", 2),
        ("eval", "val"),
        ("fit_end", 2),
    ]


def test_a_callback_can_stop_training():
    class StopAtThree:
        def on_step_end(self, trainer):
            if trainer.step == 3:
                trainer.should_stop = True

    trainer = make_trainer(make_problem(), steps=100, callbacks=[StopAtThree()])
    history = trainer.fit()
    assert trainer.step == 3
    assert history[-1]["step"] == 3  # the partial logging interval is still logged


def test_exception_hook_sees_the_error():
    seen = []

    class Boom:
        def on_step_end(self, trainer):
            raise RuntimeError("boom")

        def on_exception(self, trainer, exc):
            seen.append(str(exc))

    with pytest.raises(RuntimeError, match="boom"):
        make_trainer(make_problem(), callbacks=[Boom()]).fit()
    assert seen == ["boom"]


def test_no_host_sync_between_logging_intervals(monkeypatch):
    calls = {"item": 0}
    original = torch.Tensor.item

    def counting_item(self):
        calls["item"] += 1
        return original(self)

    monkeypatch.setattr(torch.Tensor, "item", counting_item)
    trainer = make_trainer(make_problem(), steps=40, log_every=20)
    trainer.guard = None  # as on an accelerator, where nan_policy raise checks at log intervals only
    trainer.fit()
    assert calls["item"] == 2  # one per logging interval, none per step


def test_logged_loss_is_the_mean_over_the_interval():
    dataset = make_problem()
    trainer = make_trainer(dataset, steps=4, log_every=4)
    per_step = []

    class Capture:
        def on_after_backward(self, t):
            per_step.append(None)

    trainer.hooks = type(trainer.hooks)([Capture()])
    losses = []
    original_forward = trainer.loss_fn.forward

    def spy(outputs, targets):
        loss = original_forward(outputs, targets)
        losses.append(loss.item())
        return loss

    trainer.loss_fn.forward = spy
    history = trainer.fit()
    assert history[0]["loss"] == pytest.approx(sum(losses) / 4, rel=1e-6)
    assert len(per_step) == 4


def test_schedule_steps_once_per_optimizer_step():
    dataset = make_problem()
    trainer = make_trainer(dataset, steps=10, log_every=1, grad_accum_steps=2)
    trainer.scheduler = torch.optim.lr_scheduler.LambdaLR(trainer.optimizer, lambda s: 0.5**s)
    history = trainer.fit()
    lrs = [r["lr"] for r in history if r["type"] == "step"]
    assert lrs == pytest.approx([0.1 * 0.5 ** (s + 1) for s in range(10)])
    assert trainer.epoch == math.floor(10 * 2 / len(trainer.batches))


def test_state_dict_round_trip_continues_identically():
    dataset = make_problem()
    straight = make_trainer(dataset, steps=10, log_every=1)
    straight.fit()

    first = make_trainer(dataset, steps=5, log_every=1)
    first.fit()
    state = first.state_dict()
    second = make_trainer(dataset, steps=10, log_every=1)
    second.load_state_dict(state)
    second.fit()
    for a, b in zip(straight.model.parameters(), second.model.parameters(), strict=True):
        assert torch.equal(a, b)


def test_penalties_are_added_and_logged():
    dataset = make_problem()
    penalty_weight = 1e-2

    def l2(model):
        return penalty_weight * sum((p**2).sum() for p in model.parameters())

    plain = make_trainer(dataset, steps=1, log_every=1)
    plain.fit()
    penalized = make_trainer(dataset, steps=1, log_every=1, penalties={"l2": l2})
    initial = [p.detach().clone() for p in penalized.model.parameters()]
    history = penalized.fit()
    assert history[0]["penalty.l2"] == pytest.approx(l2_value(initial, penalty_weight), rel=1e-5)
    # the extra gradient of the penalty is 2·w·weight: SGD's step differs from the plain one by lr·that
    for p_pen, p_plain, w0 in zip(
        penalized.model.parameters(), plain.model.parameters(), initial, strict=True
    ):
        torch.testing.assert_close(p_pen, p_plain - 0.1 * 2 * penalty_weight * w0, rtol=0, atol=1e-6)


def l2_value(params, weight):
    return weight * sum(float((p**2).sum()) for p in params)


def test_batch_transform_sees_every_training_batch():
    seen = []

    def transform(inputs, targets):
        seen.append(len(inputs))
        return inputs * 0, targets

    trainer = make_trainer(
        make_problem(), steps=3, batch_size=8, grad_accum_steps=2, batch_transform=transform
    )
    trainer.fit()
    assert seen == [8] * 6


def test_lbfgs_gets_a_closure_over_the_step_batches():
    dataset = make_problem(n=32)
    torch.manual_seed(0)
    model = nn.Linear(5, 3)
    optimizer = torch.optim.LBFGS(model.parameters(), lr=0.5, max_iter=5)
    batches = make_batch_iterator(dataset, 32, shuffle=False)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optimizer, batches, TrainSettings(steps=5, log_every=1))
    history = trainer.fit()
    losses = [r["loss"] for r in history]
    assert losses[-1] < losses[0] * 0.9


class ModalOptimizer(torch.optim.SGD):
    """Records the train/eval switches a schedule-free optimizer needs."""

    def __init__(self, params):
        super().__init__(params, lr=0.1)
        self.modes = []

    def train(self):
        self.modes.append("train")

    def eval(self):
        self.modes.append("eval")


def test_optimizer_modes_switch_around_evaluation():
    dataset = make_problem()
    torch.manual_seed(0)
    model = nn.Linear(5, 3)
    optimizer = ModalOptimizer(model.parameters())
    evaluator = Evaluator(nn.CrossEntropyLoss(), {}, task="classification")
    trainer = Trainer(
        model,
        nn.CrossEntropyLoss(),
        optimizer,
        make_batch_iterator(dataset, 8),
        TrainSettings(steps=4, eval_every=2),
        evaluator=evaluator,
        eval_sets={"val": dataset, "test": dataset},
    )
    trainer.fit()
    # train at start; eval and back around the step-2 validation; eval for the final evaluations
    assert optimizer.modes == ["train", "eval", "train", "eval"]


@pytest.mark.parametrize("clip", [{"grad_clip_norm": 1e-3}, {"grad_clip_value": 1e-4}])
def test_sam_update_uses_a_clipped_gradient(clip):
    # SAM's base step uses the gradient at the perturbed point, which the closure computes: with a
    # plain SGD base of lr 1, the parameters can move only as far as the clipped gradient allows.
    from trainlab.optim import SAM

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 3))
    optimizer = SAM(torch.optim.SGD(model.parameters(), lr=1.0), rho=0.05)
    batches = make_batch_iterator(make_problem(), 8, shuffle=True, seed=0)
    trainer = Trainer(model, nn.CrossEntropyLoss(), optimizer, batches, TrainSettings(steps=1, **clip))
    before = torch.cat([p.detach().reshape(-1).clone() for p in model.parameters()])
    trainer.fit()
    moved = torch.cat([p.detach().reshape(-1) for p in model.parameters()]) - before
    if "grad_clip_norm" in clip:
        assert 0 < float(moved.norm()) <= 1e-3 * 1.001  # float32: adding and removing the perturbation rounds
    else:
        assert 0 < float(moved.abs().max()) <= 1e-4 * 1.001


def test_newton_gets_its_graph_through_the_closure_without_patching_backward():
    from trainlab.optim import Newton

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 3))
    optimizer = Newton(model.parameters())
    batches = make_batch_iterator(make_problem(), 64, shuffle=False, seed=0)
    backward = torch.Tensor.backward
    seen = []
    original_step = optimizer.step

    def step(closure):
        seen.append(torch.Tensor.backward is backward)
        return original_step(closure)

    optimizer.step = step
    trainer = Trainer(model, nn.CrossEntropyLoss(), optimizer, batches, TrainSettings(steps=2, log_every=1))
    trainer.fit()
    assert seen == [True, True] and torch.Tensor.backward is backward
    assert trainer.history[-1]["loss"] < trainer.history[0]["loss"]


class WeightRecorder:
    """The model's weights after each step and during each evaluation."""

    def __init__(self):
        self.after_step, self.during_eval = [], []

    def on_step_end(self, trainer):
        self.after_step.append(
            torch.cat([p.detach().reshape(-1).clone() for p in trainer.model.parameters()])
        )

    def on_eval_end(self, trainer, split, metrics):
        self.during_eval.append(
            torch.cat([p.detach().reshape(-1).clone() for p in trainer.model.parameters()])
        )


def test_lookahead_around_schedule_free_evaluates_on_the_averaged_weights():
    # The trainer switches modes through the outer optimizer only; Lookahead must pass them on, or
    # evaluation would see the gradient point y instead of the average x. With k beyond the run the
    # slow pull never fires, so the wrapped run must evaluate exactly where the bare one does.
    from trainlab.optim import Lookahead, ScheduleFreeAdamW

    def evaluated(wrap):
        torch.manual_seed(0)
        model = nn.Linear(5, 3)
        inner = ScheduleFreeAdamW(model.parameters(), lr=0.05)
        optimizer = Lookahead(inner, k=100) if wrap else inner
        recorder = WeightRecorder()
        dataset = make_problem()
        trainer = Trainer(
            model,
            nn.CrossEntropyLoss(),
            optimizer,
            make_batch_iterator(dataset, 8, seed=0),
            TrainSettings(steps=3, eval_every=3),
            evaluator=Evaluator(nn.CrossEntropyLoss(), {}, task="classification"),
            eval_sets={"val": dataset},
            callbacks=[recorder],
        )
        trainer.fit()
        assert not torch.allclose(recorder.during_eval[0], recorder.after_step[-1])  # x, not y
        return recorder.during_eval

    for bare, wrapped in zip(evaluated(False), evaluated(True), strict=True):
        torch.testing.assert_close(wrapped, bare)
