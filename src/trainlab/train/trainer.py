"""The training loop. It reads top to bottom; everything optional hooks in through callbacks."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager as ContextManager
from contextlib import nullcontext
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from trainlab.errors import DataError
from trainlab.train.callbacks.base import CallbackHooks
from trainlab.train.distributed import ProcessContext
from trainlab.train.evaluator import Evaluator
from trainlab.train.seed import rng_state, set_rng_state


class Trainer:
    """Trains a model for a fixed number of optimizer steps.

    Every piece is a plain torch object, so the trainer works the same whether a recipe built
    them or your own code did.

    Args:
        model: The model, already on ``device``.
        loss_fn: Called as ``loss_fn(outputs, targets)``; returns a scalar.
        optimizer: A ``torch.optim.Optimizer`` over the model's parameters.
        batches: Yields ``(inputs, targets)`` for one epoch per iteration, from its current
            position; exposes ``epoch`` and ``state_dict()`` (see ``trainlab.data``).
        total_steps: Optimizer steps to take.
        scheduler: Stepped once per optimizer step.
        evaluator: Computes loss and metrics on a split.
        eval_sets: Splits to evaluate by name (``"val"``, ``"test"``, ``"train"``).
        eval_every: Evaluate ``eval_on`` every N steps.
        eval_on: The split evaluated during training (``"val"``, or ``"test"`` to track it like papers do).
        final_splits: Splits evaluated after the last step, in this order.
        grad_accum_steps: Micro-batches per optimizer step; the loss is divided by it so the
            summed gradient is the mean over the large batch.
        grad_clip_norm: Clip the global L2 norm of the gradients.
        grad_clip_value: Clip each gradient element to [-value, value].
        log_every: Steps between training-loss logs; the only point where the loop syncs.
        autocast: Zero-argument callable returning the forward pass's autocast context.
        device: Where batches must be; a batch already there is not copied.
        callbacks: Objects implementing any hooks of ``trainlab.train.callbacks.Callback``.
        penalties: Named terms ``f(model) -> scalar`` added to each micro-batch's loss
            (regularizers); each is logged beside the data loss as ``penalty.<name>``.
        batch_transform: ``f(inputs, targets) -> (inputs, targets)`` applied to every training
            micro-batch before the forward pass (augmentation, mixup).
        monitor_metric: The metric shown in progress and used by callbacks that track "best".
        process: This process's rank; only rank 0 writes.
    """

    def __init__(
        self,
        model: nn.Module,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        optimizer: torch.optim.Optimizer,
        batches: Any,
        *,
        total_steps: int,
        scheduler: Any = None,
        evaluator: Evaluator | None = None,
        eval_sets: Mapping[str, Dataset] | None = None,
        eval_every: int | None = None,
        eval_on: str = "val",
        final_splits: Sequence[str] = ("train", "val", "test"),
        grad_accum_steps: int = 1,
        grad_clip_norm: float | None = None,
        grad_clip_value: float | None = None,
        log_every: int = 50,
        autocast: Callable[[], ContextManager] = nullcontext,
        device: torch.device | str = "cpu",
        callbacks: Sequence[Any] = (),
        penalties: Mapping[str, Callable[[nn.Module], torch.Tensor]] | None = None,
        batch_transform: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]] | None = None,
        monitor_metric: str = "loss",
        process: ProcessContext | None = None,
    ):
        self.model = model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.batches = batches
        self.total_steps = total_steps
        self.scheduler = scheduler
        self.evaluator = evaluator
        self.eval_sets = {k: v for k, v in (eval_sets or {}).items() if v is not None}
        self.eval_every = eval_every
        self.eval_on = eval_on
        self.final_splits = [s for s in final_splits if s in self.eval_sets]
        self.grad_accum_steps = grad_accum_steps
        self.grad_clip_norm = grad_clip_norm
        self.grad_clip_value = grad_clip_value
        self.log_every = log_every
        self.autocast = autocast
        self.device = torch.device(device)
        self.hooks = CallbackHooks(callbacks)
        self.penalties = dict(penalties or {})
        self.batch_transform = batch_transform
        self.monitor_metric = monitor_metric
        self.process = process or ProcessContext()

        self.step = 0
        self.should_stop = False
        self.history: list[dict[str, Any]] = []
        self.last_eval: dict[str, dict[str, Any]] = {}
        self._clip_params = [p for p in model.parameters() if p.requires_grad]
        # Optimizers that re-evaluate the loss (L-BFGS, SAM, line searches) get a closure.
        self._needs_closure = isinstance(optimizer, torch.optim.LBFGS) or getattr(optimizer, "needs_closure", False)
        # Optimizers whose evaluation weights differ from their training point (schedule-free).
        self._has_modes = callable(getattr(optimizer, "train", None)) and callable(getattr(optimizer, "eval", None))
        self._optimizer_state: str | None = None  # unknown until fit() sets it

    @property
    def epoch(self) -> int:
        return self.batches.epoch

    # ------------------------------------------------------------------------------------------
    def fit(self) -> list[dict[str, Any]]:
        """Train to ``total_steps`` (or until a callback sets ``should_stop``); returns the history."""
        model, optimizer, hooks = self.model, self.optimizer, self.hooks
        accum = self.grad_accum_steps
        batches = self._batch_stream()
        step_losses: list[torch.Tensor] = []  # detached; averaged only when logging, to avoid a sync per step
        step_penalties: dict[str, list[torch.Tensor]] = {name: [] for name in self.penalties}
        step_batches: list[tuple[torch.Tensor, torch.Tensor]] = []  # kept only for closure optimizers
        model.train()
        self._optimizer_mode("train")
        try:
            hooks.call("on_fit_start", self)
            while self.step < self.total_steps and not self.should_stop:
                for hook in hooks.on_step_start:
                    hook(self)

                # 1) forward and backward over the step's micro-batches; gradients add up
                for _ in range(accum):
                    inputs, targets = next(batches)
                    if self.batch_transform is not None:
                        inputs, targets = self.batch_transform(inputs, targets)
                    if self._needs_closure:
                        step_batches.append((inputs, targets))
                    loss, objective = self._forward(inputs, targets, step_penalties)
                    (objective / accum if accum > 1 else objective).backward()
                    step_losses.append(loss.detach())
                for hook in hooks.on_after_backward:
                    hook(self)

                # 2) clip, update, clear gradients, advance the schedule
                if self.grad_clip_norm is not None:
                    torch.nn.utils.clip_grad_norm_(self._clip_params, self.grad_clip_norm)
                elif self.grad_clip_value is not None:
                    torch.nn.utils.clip_grad_value_(self._clip_params, self.grad_clip_value)
                if self._needs_closure:
                    optimizer.step(self._closure(step_batches))
                    step_batches = []
                else:
                    optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                if self.scheduler is not None:
                    self.scheduler.step()
                self.step += 1
                for hook in hooks.on_step_end:
                    hook(self)

                # 3) log and evaluate: the only places that wait for the device
                last = self.step == self.total_steps
                if self.step % self.log_every == 0 or last or self.should_stop:
                    self._log_train(step_losses, step_penalties)
                    step_losses = []
                    step_penalties = {name: [] for name in self.penalties}
                if self.eval_every and self.step % self.eval_every == 0 and not last:
                    self.evaluate(self.eval_on)

            # 4) final evaluation of every split, with the optimizer's evaluation weights
            self._optimizer_mode("eval")
            for split in self.final_splits:
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
            self._optimizer_mode(mode)
        self.last_eval[split] = metrics
        self.history.append({"type": "eval", "step": self.step, "epoch": self.epoch, "split": split, **metrics})
        self.hooks.call("on_eval_end", self, split, metrics)
        return metrics

    # ------------------------------------------------------------------------------------------
    def _forward(
        self, inputs: torch.Tensor, targets: torch.Tensor, step_penalties: dict[str, list[torch.Tensor]]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The data loss and the objective (data loss plus penalties) of one micro-batch."""
        with self.autocast():
            outputs = self.model(inputs)
            loss = self.loss_fn(outputs, targets)
        if not self.penalties:
            return loss, loss
        objective = loss
        for name, penalty in self.penalties.items():
            value = penalty(self.model)
            step_penalties[name].append(value.detach())
            objective = objective + value
        return loss, objective

    def _closure(self, step_batches: list[tuple[torch.Tensor, torch.Tensor]]) -> Callable[[], torch.Tensor]:
        """Re-evaluates the step's objective and gradients at the current weights."""
        accum = len(step_batches)
        unused: dict[str, list[torch.Tensor]] = {name: [] for name in self.penalties}

        def closure() -> torch.Tensor:
            self.optimizer.zero_grad(set_to_none=True)
            total = torch.zeros(())
            with torch.enable_grad():
                for inputs, targets in step_batches:
                    _, objective = self._forward(inputs, targets, unused)
                    (objective / accum).backward()
                    total = total + objective.detach().float().cpu() / accum
            return total

        return closure

    def _optimizer_mode(self, mode: str) -> None:
        if self._has_modes and mode != self._optimizer_state:
            getattr(self.optimizer, mode)()
        self._optimizer_state = mode

    # ------------------------------------------------------------------------------------------
    def _log_train(self, step_losses: list[torch.Tensor], step_penalties: dict[str, list[torch.Tensor]]) -> None:
        if not step_losses:
            return
        record = {
            "loss": torch.stack(step_losses).float().mean().item(),
            "lr": self.optimizer.param_groups[0]["lr"],
        }
        for name, values in step_penalties.items():
            if values:
                record[f"penalty.{name}"] = torch.stack(values).float().mean().item()
        self.history.append({"type": "step", "step": self.step, "epoch": self.epoch, "split": "train", **record})
        self.hooks.call("on_log", self, record)

    def _batch_stream(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Batches across epoch boundaries, on the training device."""
        empty_passes = 0
        while True:
            produced = False
            for inputs, targets in self.batches:
                produced = True
                if inputs.device != self.device:
                    inputs, targets = inputs.to(self.device, non_blocking=True), targets.to(self.device, non_blocking=True)
                yield inputs, targets
            # One empty pass is a resume at an epoch's end; two in a row mean there is no data.
            empty_passes = 0 if produced else empty_passes + 1
            if empty_passes > 1:
                raise DataError("the training split yields no batches; lower train.batch_size or add data")

    # ------------------------------------------------------------------------------------------
    # Checkpointable state: everything the rest of the run depends on.
    def state_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "batches": self.batches.state_dict(),
            "callbacks": {name: cb.state_dict() for name, cb in self.hooks.stateful().items()},
            "rng": rng_state(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.step = state["step"]
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.batches.load_state_dict(state["batches"])
        for name, cb in self.hooks.stateful().items():
            if name in state.get("callbacks", {}):
                cb.load_state_dict(state["callbacks"][name])
        set_rng_state(state["rng"])
