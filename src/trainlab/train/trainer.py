"""The training loop. It reads top to bottom; everything optional hooks in through callbacks."""

from __future__ import annotations

import math
import signal
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager as ContextManager
from contextlib import nullcontext
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from trainlab.errors import DataError, TrainlabError
from trainlab.losses.residuals import least_squares_residuals
from trainlab.losses.terms import LossTerms
from trainlab.train.anomaly import NonFiniteLossError, guard_for
from trainlab.train.callbacks.base import CallbackHooks
from trainlab.train.checkpoint import CheckpointManager
from trainlab.train.distributed import (
    ProcessContext,
    any_rank,
    gather_objects,
    mean_across_ranks,
    wrap_data_parallel,
)
from trainlab.train.evaluator import Evaluator
from trainlab.train.precision import autocast_factory, grad_scaler
from trainlab.train.seed import rng_state, set_rng_state
from trainlab.train.settings import TrainSettings
from trainlab.train.signals import StopRequests, TrainingInterrupted


class Trainer:
    """Trains a model for the steps its settings ask for.

    Every piece is a plain torch object, so the trainer works the same whether a recipe built
    them or your own code did. How long and how to train (accumulation, clipping, precision,
    logging, evaluation, checkpoint intervals, the NaN policy) is one settings object: the
    recipe's ``train:`` section, e.g. ``TrainSettings(steps=1000, grad_clip_norm=1.0)``.

    Args:
        model: The model; batches are moved to the device of its parameters.
        loss_fn: Called as ``loss_fn(outputs, targets)``; returns a scalar, or a
            :class:`~trainlab.losses.terms.LossTerms` whose terms are logged as ``loss.<name>``.
        optimizer: A ``torch.optim.Optimizer`` over the model's parameters.
        batches: Yields ``(inputs, targets)`` for one epoch per iteration, from its current
            position; exposes ``epoch``, ``__len__`` and ``state_dict()`` (see ``trainlab.data``).
        settings: How long and how to train (see :class:`~trainlab.train.settings.TrainSettings`).
        scheduler: Stepped once per optimizer step.
        evaluator: Computes loss and metrics on a split.
        eval_sets: Splits to evaluate by name (``"val"``, ``"test"``, ``"train"``); every one of
            them is evaluated after the last step, and ``settings.eval_on`` every ``eval_every`` steps.
        callbacks: Objects implementing any hooks of ``trainlab.train.callbacks.Callback``.
        penalties: Named terms ``f(model) -> scalar`` added to each micro-batch's loss
            (regularizers); each is logged beside the data loss as ``penalty.<name>``.
        batch_transform: ``f(inputs, targets) -> (inputs, targets)`` applied to every training
            micro-batch before the forward pass (augmentation, mixup).
        monitor_metric: The metric shown in progress and used by callbacks that track "best".
        process: This process's rank; only rank 0 writes. In a distributed run (the process
            group initialised) the model is wrapped in DistributedDataParallel for training.
        checkpoints: Where checkpoints go; with it, SIGTERM and SIGINT checkpoint and stop at the
            next step boundary (raising ``TrainingInterrupted``) instead of killing the run.
    """

    def __init__(
        self,
        model: nn.Module,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        optimizer: torch.optim.Optimizer,
        batches: Any,
        settings: TrainSettings,
        *,
        scheduler: Any = None,
        evaluator: Evaluator | None = None,
        eval_sets: Mapping[str, Dataset | None] | None = None,
        callbacks: Sequence[Any] = (),
        penalties: Mapping[str, Callable[[nn.Module], torch.Tensor]] | None = None,
        batch_transform: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
        | None = None,
        monitor_metric: str = "loss",
        process: ProcessContext | None = None,
        checkpoints: CheckpointManager | None = None,
    ):
        self.model = model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.batches = batches
        self.settings = settings
        self.total_steps = settings.total_steps(len(batches))
        self.scheduler = scheduler
        self.evaluator = evaluator
        self.eval_sets = {k: v for k, v in (eval_sets or {}).items() if v is not None}
        self.hooks = CallbackHooks(callbacks)
        self.penalties = dict(penalties or {})
        self.batch_transform = batch_transform
        self.monitor_metric = monitor_metric
        self.process = process or ProcessContext()
        self.checkpoints = checkpoints
        self.device = _device_of(model)
        self.autocast = autocast_factory(settings.precision, self.device)
        self.scaler = grad_scaler(settings.precision, self.device)
        self.guard = guard_for(
            settings.nan_policy,
            self.device,
            spike_zscore=settings.spike_zscore,
            spike_window=settings.spike_window,
            rollback_lr_factor=settings.rollback_lr_factor,
        )
        self._train_model = wrap_data_parallel(model, self.process, self.device)

        self.step = 0
        self.should_stop = False
        self.history: list[dict[str, Any]] = []
        self.last_eval: dict[str, dict[str, Any]] = {}
        self._clip_params = [p for p in model.parameters() if p.requires_grad]
        # Optimizers that re-evaluate the loss (L-BFGS, SAM, line searches) get a closure.
        self._needs_closure = isinstance(optimizer, torch.optim.LBFGS) or getattr(
            optimizer, "needs_closure", False
        )
        # Optimizers whose evaluation weights differ from their training point (schedule-free).
        self._has_modes = callable(getattr(optimizer, "train", None)) and callable(
            getattr(optimizer, "eval", None)
        )
        self._optimizer_state: str | None = None  # unknown until fit() sets it
        # Detached per-micro-batch losses since the last log; averaged only when logging, to
        # avoid a sync per step. Checkpointed, so a resumed run logs the same means.
        self._pending_losses: list[torch.Tensor] = []
        self._pending_penalties: dict[str, list[torch.Tensor]] = {name: [] for name in self.penalties}
        self._pending_terms: dict[str, list[torch.Tensor]] = {}  # a LossTerms loss's terms, by name

    @property
    def epoch(self) -> int:
        return self.batches.epoch

    @property
    def eval_on(self) -> str:
        """The split evaluated during training, which callbacks that track "best" watch."""
        return self.settings.eval_on

    # ------------------------------------------------------------------------------------------
    def fit(self) -> list[dict[str, Any]]:
        """Train to ``total_steps`` (or until a callback sets ``should_stop``); returns the history.

        Raises:
            TrainingInterrupted: after SIGTERM/SIGINT, once the checkpoint has been written.
            NonFiniteLossError: a NaN/Inf or spiking loss that the guard's policy cannot absorb.
        """
        model, optimizer, hooks, scaler = self.model, self.optimizer, self.hooks, self.scaler
        settings = self.settings
        accum = settings.grad_accum_steps
        batches = self._batch_stream()
        step_batches: list[tuple[torch.Tensor, torch.Tensor]] = []  # kept only for closure optimizers
        model.train()
        self._optimizer_mode("train")
        with StopRequests(enabled=self.checkpoints is not None) as stop:
            try:
                hooks.call("on_fit_start", self)
                if self.guard is not None and self.guard.policy == "rollback":
                    self.guard.remember(self.state_dict())  # so that even step 1 can roll back
                while self.step < self.total_steps and not self.should_stop:
                    for hook in hooks.on_step_start:
                        hook(self)

                    # 1) forward and backward over the step's micro-batches; gradients add up
                    for micro in range(accum):
                        inputs, targets = next(batches)
                        if self.batch_transform is not None:
                            inputs, targets = self.batch_transform(inputs, targets)
                        if self._needs_closure:
                            step_batches.append((inputs, targets))
                        # DDP averages gradients across ranks in the last micro-batch's backward only.
                        with self._gradient_sync(micro == accum - 1):
                            loss, objective = self._forward(
                                inputs, targets, self._pending_penalties, self._pending_terms
                            )
                            scaler.scale(objective / accum if accum > 1 else objective).backward()
                        self._pending_losses.append(loss.detach())
                    for hook in hooks.on_after_backward:
                        hook(self)

                    # 2) a NaN/Inf or spiking loss is raised, skipped or rolled back (train.nan_policy)
                    if self.guard is not None:
                        problem = self.guard.problem(
                            self._pending_losses[-accum:], self._clip_params, self.process
                        )
                        if problem is not None:
                            self._drop_pending(accum)
                            step_batches = []
                            self.guard.handle(self, problem, (inputs, targets))
                            continue

                    # 3) clip, update, clear gradients, advance the schedule
                    if settings.grad_clip_norm is not None or settings.grad_clip_value is not None:
                        scaler.unscale_(optimizer)
                    self._clip_gradients()
                    if self._needs_closure:
                        # torch types a closure as returning a float; LBFGS and ours use the loss tensor
                        optimizer.step(self._closure(step_batches))  # type: ignore[arg-type]
                        step_batches = []
                    else:
                        scaler.step(optimizer)
                    scaler.update()
                    optimizer.zero_grad(set_to_none=True)
                    if self.scheduler is not None:
                        self.scheduler.step()
                    self.step += 1
                    for hook in hooks.on_step_end:
                        hook(self)

                    # 4) log and evaluate: the only places that wait for the device
                    last = self.step == self.total_steps
                    if self.step % settings.log_every == 0 or last or self.should_stop:
                        self._log_train()
                    if settings.eval_every and self.step % settings.eval_every == 0 and not last:
                        self.evaluate(settings.eval_on)

                    # 5) checkpoint on schedule and after the last step; on SIGTERM/SIGINT, checkpoint and leave
                    interrupted = self._stop_agreed(stop)
                    if interrupted or (
                        settings.checkpoint_every and (self.step % settings.checkpoint_every == 0 or last)
                    ):
                        self.save_checkpoint()
                    if interrupted:
                        raise self._interruption(stop.signum)

                # 6) final evaluation of every split, with the optimizer's evaluation weights
                self._optimizer_mode("eval")
                for split in self.eval_sets:
                    self.evaluate(split)
                hooks.call("on_fit_end", self)
            except BaseException as exc:
                hooks.call("on_exception", self, exc)
                raise
        return self.history

    def evaluate(self, split: str) -> dict[str, Any]:
        """Loss and metrics of the current model on ``split``; recorded in the history.

        Callbacks may swap weights around it (``on_eval_start``/``on_eval_end``, e.g. EMA), and
        an optimizer with train/eval modes (schedule-free) is put in eval mode meanwhile.
        """
        if self.evaluator is None or split not in self.eval_sets:
            return {}
        self.hooks.call("on_eval_start", self, split)
        mode = self._optimizer_state
        self._optimizer_mode("eval")
        try:
            metrics = self.evaluator.evaluate(self.model, self.eval_sets[split])
        finally:
            if mode is not None:  # evaluated before fit(): stay in eval mode until fit() switches
                self._optimizer_mode(mode)
        self.last_eval[split] = metrics
        self.history.append(
            {"type": "eval", "step": self.step, "epoch": self.epoch, "split": split, **metrics}
        )
        self.hooks.call("on_eval_end", self, split, metrics)
        return metrics

    # ------------------------------------------------------------------------------------------
    def _forward(
        self,
        inputs: torch.Tensor,
        targets: torch.Tensor,
        step_penalties: dict[str, list[torch.Tensor]],
        step_terms: dict[str, list[torch.Tensor]],
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The data loss and the objective (data loss plus penalties) of one micro-batch."""
        with self.autocast():
            outputs = self._train_model(inputs)
            loss = self.loss_fn(outputs, targets)
        if isinstance(loss, LossTerms):  # a loss of named parts (a VAE's reconstruction and KL)
            for name, value in loss.terms.items():
                step_terms.setdefault(name, []).append(value.detach())
            loss = loss.total
        if not self.penalties:
            return loss, loss
        objective = loss
        for name, penalty in self.penalties.items():
            value = penalty(self.model)
            step_penalties[name].append(value.detach())
            objective = objective + value
        return loss, objective

    def _clip_gradients(self) -> None:
        if self.settings.grad_clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(self._clip_params, self.settings.grad_clip_norm)
        elif self.settings.grad_clip_value is not None:
            torch.nn.utils.clip_grad_value_(self._clip_params, self.settings.grad_clip_value)

    def _closure(self, step_batches: list[tuple[torch.Tensor, torch.Tensor]]) -> Callable[..., torch.Tensor]:
        """Re-evaluates the step's objective and gradients at the current weights.

        Every gradient an optimizer sees is clipped as configured: SAM's step uses the gradient
        at the perturbed point, so clipping only the first one would leave the update unclipped.
        The first is clipped too so that every optimizer sees the same clipped gradient in ``.grad``
        (SAM's ascent is normalized anyway, so norm clipping leaves its direction unchanged).
        ``create_graph=True`` (Newton's exact Hessian) keeps the backward graph and skips clipping,
        since the Hessian is that of the objective itself.
        """
        accum = len(step_batches)
        unused: dict[str, list[torch.Tensor]] = {name: [] for name in self.penalties}

        def closure(create_graph: bool = False, residuals: bool = False) -> torch.Tensor:
            if residuals:  # least-squares optimizers (Levenberg-Marquardt): r with objective = ‖r‖²
                return least_squares_residuals(self._train_model, self.loss_fn, step_batches)
            self.optimizer.zero_grad(set_to_none=True)
            total = torch.zeros(())
            with torch.enable_grad():
                for inputs, targets in step_batches:
                    _, objective = self._forward(inputs, targets, unused, {})
                    (objective / accum).backward(create_graph=create_graph)
                    total = total + objective.detach().float().cpu() / accum
            if not create_graph:
                self._clip_gradients()
            return total

        return closure

    def _optimizer_mode(self, mode: str) -> None:
        if self._has_modes and mode != self._optimizer_state:
            getattr(self.optimizer, mode)()
        self._optimizer_state = mode

    # ------------------------------------------------------------------------------------------
    def _log_train(self) -> None:
        if not self._pending_losses:
            return
        loss = mean_across_ranks(torch.stack(self._pending_losses).float().mean().item(), self.process)
        if not math.isfinite(loss) and self.guard is None:
            # Without a per-step guard (the default on accelerators) this read is the first sync to see it.
            raise NonFiniteLossError(
                f"the mean training loss of steps {self.step - len(self._pending_losses) // self.settings.grad_accum_steps + 1}"
                f" to {self.step} is {loss} (train.nan_policy: raise, checked at log intervals on this device)"
            )
        record = {"loss": loss, "lr": self.optimizer.param_groups[0]["lr"]}
        for name, values in self._pending_penalties.items():
            if values:
                record[f"penalty.{name}"] = mean_across_ranks(
                    torch.stack(values).float().mean().item(), self.process
                )
        for name, values in self._pending_terms.items():
            record[f"loss.{name}"] = mean_across_ranks(
                torch.stack(values).float().mean().item(), self.process
            )
        self._pending_losses = []
        self._pending_penalties = {name: [] for name in self.penalties}
        self._pending_terms = {}
        self.history.append(
            {"type": "step", "step": self.step, "epoch": self.epoch, "split": "train", **record}
        )
        self.hooks.call("on_log", self, record)

    def _drop_pending(self, micro_batches: int) -> None:
        del self._pending_losses[-micro_batches:]
        for values in [*self._pending_penalties.values(), *self._pending_terms.values()]:
            del values[-micro_batches:]

    def _gradient_sync(self, final_micro_batch: bool) -> ContextManager:
        if final_micro_batch or not isinstance(self._train_model, nn.parallel.DistributedDataParallel):
            return nullcontext()
        return self._train_model.no_sync()

    def _stop_agreed(self, stop: StopRequests) -> bool:
        if not self.process.is_distributed:
            return stop.signum is not None
        # Every rank must join the checkpoint's collectives, so they agree first; they compare
        # notes only at log steps, where they synchronise anyway.
        return self.step % self.settings.log_every == 0 and any_rank(stop.signum is not None, self.process)

    def _interruption(self, signum: int | None) -> TrainingInterrupted:
        signum = signum or signal.SIGTERM
        name = signal.Signals(signum).name
        if self.checkpoints is None:
            return TrainingInterrupted(f"stopped by {name} at step {self.step}", signum)
        run_dir = self.checkpoints.directory.parent
        return TrainingInterrupted(
            f"stopped by {name} at step {self.step}; checkpoint saved in {self.checkpoints.directory}. "
            f"Continue with `trainlab fit --resume {run_dir}`",
            signum,
        )

    def _batch_stream(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Batches across epoch boundaries, on the training device."""
        empty_passes = 0
        while True:
            produced = False
            for inputs, targets in self.batches:
                produced = True
                if inputs.device != self.device:
                    inputs, targets = (
                        inputs.to(self.device, non_blocking=True),
                        targets.to(self.device, non_blocking=True),
                    )
                yield inputs, targets
            # One empty pass is a resume at an epoch's end; two in a row mean there is no data.
            empty_passes = 0 if produced else empty_passes + 1
            if empty_passes > 1:
                raise DataError("the training split yields no batches; lower train.batch_size or add data")

    # ------------------------------------------------------------------------------------------
    # Checkpointable state: everything the rest of the run depends on.
    def save_checkpoint(self) -> None:
        """Checkpoint now (every rank calls it; rank 0 writes) and keep the state for rollback."""
        state = self.state_dict()
        if self.guard is not None:
            self.guard.remember(state)
        if self.checkpoints is not None and self.process.is_main:
            metric = self.last_eval.get(self.settings.eval_on, {}).get(self.monitor_metric)
            self.checkpoints.save(
                state, self.step, metric=metric if isinstance(metric, (int, float)) else None
            )

    def state_dict(self) -> dict[str, Any]:
        """The run's state; in a distributed run every rank must call it (RNG states are gathered)."""
        return {
            "step": self.step,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "scaler": self.scaler.state_dict(),
            "batches": self.batches.state_dict(),
            "callbacks": {name: cb.state_dict() for name, cb in self.hooks.stateful().items()},
            "guard": self.guard.state_dict() if self.guard is not None else None,
            # A loss that learns as it goes: center loss's centres (buffers), proxy_nca's proxies (parameters).
            "loss_state": {name: t.detach().cpu().clone() for name, t in _loss_state(self.loss_fn)},
            "rng": gather_objects(rng_state(), self.process),
            "history": list(self.history),
            "pending": {
                "losses": [t.cpu() for t in self._pending_losses],
                "penalties": {
                    name: [t.cpu() for t in values] for name, values in self._pending_penalties.items()
                },
                "terms": {name: [t.cpu() for t in values] for name, values in self._pending_terms.items()},
            },
        }

    def load_state_dict(self, state: Mapping[str, Any], *, data_position: bool = True) -> None:
        """Restore a :meth:`state_dict`.

        Args:
            state: What ``state_dict`` returned (possibly through a checkpoint file).
            data_position: Also restore the batch position, the RNG states, the history and the
                pending losses. A rollback passes False: it keeps going forward through the data,
                past the batches that went wrong.
        """
        if data_position and len(state["rng"]) != self.process.world_size:
            raise TrainlabError(
                f"the checkpoint was written by {len(state['rng'])} process(es) and this run has "
                f"{self.process.world_size}; resume with --nproc {len(state['rng'])}"
            )
        self.step = state["step"]
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        for name, cb in self.hooks.stateful().items():
            if name in state.get("callbacks", {}):
                cb.load_state_dict(state["callbacks"][name])
        if self.guard is not None and state.get("guard") is not None:
            self.guard.load_state_dict(state["guard"])
        if state.get("loss_state") and isinstance(self.loss_fn, nn.Module):
            self.loss_fn.load_state_dict(state["loss_state"], strict=False)
        if not data_position:
            return
        self.batches.load_state_dict(state["batches"])
        set_rng_state(state["rng"][self.process.rank])
        self.history = list(state.get("history", []))
        pending = state.get("pending", {"losses": [], "penalties": {}})
        self._pending_losses = [t.to(self.device) for t in pending["losses"]]
        self._pending_penalties = {
            name: [t.to(self.device) for t in pending["penalties"].get(name, [])] for name in self.penalties
        }
        self._pending_terms = {
            name: [t.to(self.device) for t in values] for name, values in pending.get("terms", {}).items()
        }


def _device_of(model: nn.Module) -> torch.device:
    """Where the model's parameters live (the CPU for a model without any)."""
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def _loss_state(loss_fn: Any) -> list[tuple[str, torch.Tensor]]:
    """A loss's buffers and trainable parameters; frozen ones (a distillation teacher's weights) are left out."""
    if not isinstance(loss_fn, nn.Module):
        return []
    trainable = [(name, p) for name, p in loss_fn.named_parameters() if p.requires_grad]
    return [*loss_fn.named_buffers(), *trainable]
