"""Non-finite losses and loss spikes: find them, name the culprit, apply ``train.nan_policy``."""

from __future__ import annotations

import copy
import logging
import math
from collections import deque
from collections.abc import Sequence
from typing import Any, Literal

import torch
from torch import nn

from trainlab.errors import TrainlabError
from trainlab.summary_tables import short_number
from trainlab.train.distributed import ProcessContext, any_rank

Policy = Literal["raise", "skip", "rollback"]
log = logging.getLogger("trainlab")


class NonFiniteLossError(TrainlabError):
    """The loss became NaN/Inf (or spiked) under ``train.nan_policy: raise``, or no policy could recover."""


class SpikeDetector:
    """Flags a step loss whose z-score against the last ``window`` good losses exceeds ``threshold``.

    Only losses that pass are added to the window, so one spike does not inflate the statistics
    that judge the next step. Nothing is flagged before the window is full.
    """

    def __init__(self, window: int = 50, threshold: float = 6.0):
        self.window, self.threshold = window, threshold
        self.losses: deque[float] = deque(maxlen=window)

    def z_score(self, loss: float) -> float:
        if len(self.losses) < self.window:
            return 0.0
        mean = math.fsum(self.losses) / len(self.losses)
        std = math.sqrt(math.fsum((x - mean) ** 2 for x in self.losses) / len(self.losses))
        return (loss - mean) / max(std, 1e-12 * max(abs(mean), 1.0))

    def add(self, loss: float) -> None:
        self.losses.append(loss)

    def state_dict(self) -> dict[str, Any]:
        return {"losses": list(self.losses)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.losses = deque(state["losses"], maxlen=self.window)


class AnomalyGuard:
    """Checks each step's loss before the update and decides what the trainer does with it.

    Args:
        policy: ``raise`` stops with the step and the first non-finite tensor and layer; ``skip``
            drops the step (parameters, optimizer state, schedule and step counter untouched);
            ``rollback`` restores the last good state, scales the lr by ``rollback_lr_factor``
            and continues with the batches after the offending ones.
        spikes: A :class:`SpikeDetector` whose spikes are handled like non-finite losses.
        check_gradients: Also require finite gradients (one fused norm per step); on for
            skip and rollback, which must decide before the update.
        max_consecutive: Skips or rollbacks in a row after which the run stops anyway.
        rollback_lr_factor: Multiplies every learning rate on each rollback.
    """

    def __init__(
        self,
        policy: Policy = "raise",
        *,
        spikes: SpikeDetector | None = None,
        check_gradients: bool | None = None,
        max_consecutive: int = 10,
        rollback_lr_factor: float = 0.5,
    ):
        self.policy = policy
        self.spikes = spikes
        self.check_gradients = policy != "raise" if check_gradients is None else check_gradients
        self.max_consecutive = max_consecutive
        self.rollback_lr_factor = rollback_lr_factor
        self.consecutive = 0
        self.handled = 0
        self._last_good: dict[str, Any] | None = None

    # --------------------------------------------------------------------------------------------
    def problem(
        self,
        step_losses: Sequence[torch.Tensor],
        params: Sequence[torch.Tensor],
        process: ProcessContext | None = None,
    ) -> str | None:
        """What is wrong with this step (before its update), or None. Reads the loss: one sync.

        In a distributed run, skip and rollback must be decided by every rank alike (or their
        collectives would no longer pair up), so the ranks agree with one small all-reduce.
        """
        found = self._local_problem(step_losses, params)
        if process is not None and process.is_distributed and self.policy != "raise":
            if any_rank(found is not None, process) and found is None:
                found = "another rank's loss or gradients were not finite (or spiked)"
        if found is None:
            self.consecutive = 0
        return found

    def _local_problem(
        self, step_losses: Sequence[torch.Tensor], params: Sequence[torch.Tensor]
    ) -> str | None:
        loss = (
            float(torch.stack(list(step_losses)).float().mean())
            if len(step_losses) > 1
            else float(step_losses[0])
        )
        if not math.isfinite(loss):
            return f"the loss is {loss}"
        if self.check_gradients:
            grads = [p.grad for p in params if p.grad is not None]
            if grads and not math.isfinite(float(torch.nn.utils.get_total_norm(grads))):
                return "a gradient is not finite"
        if self.spikes is not None:
            z = self.spikes.z_score(loss)
            if z > self.spikes.threshold:
                return f"the loss {loss:.4g} spiked (z-score {z:.1f} > {self.spikes.threshold:g})"
            self.spikes.add(loss)
        return None

    def remember(self, state: dict[str, Any]) -> None:
        """Keep a copy of a good state for rollback (taken whenever the trainer checkpoints)."""
        if self.policy == "rollback":
            self._last_good = copy.deepcopy(state)

    def handle(self, trainer: Any, problem: str, batch: tuple[torch.Tensor, torch.Tensor] | None) -> None:
        """Apply the policy to a bad step; returns normally when training may go on."""
        self.consecutive += 1
        self.handled += 1
        where = f"step {trainer.step + 1}"
        if self.policy == "raise":
            culprit = first_nonfinite(trainer.model, batch)
            raise NonFiniteLossError(
                f"{where}: {problem} (train.nan_policy: raise); first non-finite tensor: {culprit}. "
                "Lower optimizer.lr, set train.grad_clip_norm, or use train.nan_policy: skip | rollback"
            )
        if self.consecutive > self.max_consecutive:
            raise NonFiniteLossError(
                f"{where}: {problem}, and {self.consecutive} steps in a row were bad under "
                f"train.nan_policy: {self.policy}; the run cannot recover. First non-finite tensor: "
                f"{first_nonfinite(trainer.model, batch)}"
            )
        trainer.optimizer.zero_grad(set_to_none=True)
        if self.policy == "skip":
            log.warning("%s: %s; skipped the batch (train.nan_policy: skip)", where, problem)
            return
        if self._last_good is None:
            raise NonFiniteLossError(f"{where}: {problem}, and there is no earlier state to roll back to")
        trainer.load_state_dict(self._last_good, data_position=False)
        scale_learning_rates(trainer.optimizer, trainer.scheduler, self.rollback_lr_factor)
        log.warning(
            "%s: %s; rolled back to step %d and scaled the lr by %g (train.nan_policy: rollback)",
            where,
            problem,
            trainer.step,
            self.rollback_lr_factor,
        )

    def state_dict(self) -> dict[str, Any]:
        return {"spikes": self.spikes.state_dict() if self.spikes else None, "handled": self.handled}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.handled = state["handled"]
        if self.spikes is not None and state.get("spikes") is not None:
            self.spikes.load_state_dict(state["spikes"])


def scale_learning_rates(optimizer: torch.optim.Optimizer, scheduler: Any, factor: float) -> None:
    """Multiply the lr of every group, and the base the schedule derives it from, by ``factor``."""
    for group in optimizer.param_groups:
        group["lr"] *= factor
        if "initial_lr" in group:
            group["initial_lr"] *= factor
    if scheduler is not None and hasattr(scheduler, "base_lrs"):
        scheduler.base_lrs = [lr * factor for lr in scheduler.base_lrs]


def first_nonfinite(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor] | None) -> str:
    """Name the first non-finite tensor: a parameter, then (re-running the batch) an input or a
    layer's output in execution order, then a gradient."""
    for name, param in model.named_parameters():
        if not torch.isfinite(param).all():
            return f"parameter '{name}' of layer '{_layer(name)}'"
    if batch is not None:
        inputs = batch[0]
        if torch.is_tensor(inputs) and inputs.is_floating_point() and not torch.isfinite(inputs).all():
            return "the input batch"
        found: list[str] = []

        def hook(module: nn.Module, args: Any, output: Any) -> None:
            if (
                not found
                and torch.is_tensor(output)
                and output.is_floating_point()
                and not torch.isfinite(output).all()
            ):
                found.append(f"output of layer '{names[module]}' ({type(module).__name__})")

        names = {module: name or "<model>" for name, module in model.named_modules()}
        handles = [module.register_forward_hook(hook) for module in names]
        try:
            with torch.no_grad():
                model(inputs)
        finally:
            for handle in handles:
                handle.remove()
        if found:
            return found[0]
    for name, param in model.named_parameters():
        if param.grad is not None and not torch.isfinite(param.grad).all():
            return f"gradient of '{name}' of layer '{_layer(name)}'"
    return "none in the parameters, activations or gradients (the loss function itself produced it)"


def _layer(parameter_name: str) -> str:
    return parameter_name.rpartition(".")[0] or "<model>"


def guard_for(
    policy: Policy,
    device: torch.device,
    *,
    spike_zscore: float | None = None,
    spike_window: int = 50,
    rollback_lr_factor: float = 0.5,
) -> AnomalyGuard | None:
    """The per-step guard a recipe asks for, or None when checking at log intervals is enough.

    The per-step check reads the loss on the host. On CPU that read is nearly free, so the
    default ``raise`` checks every step and names the exact step. On an accelerator it would be
    a sync per step, so plain ``raise`` is left to the log-interval read the loop does anyway;
    skip, rollback and spike detection must decide before each update and always check.
    """
    if policy == "raise" and spike_zscore is None and device.type != "cpu":
        return None
    spikes = SpikeDetector(spike_window, spike_zscore) if spike_zscore is not None else None
    return AnomalyGuard(policy, spikes=spikes, rollback_lr_factor=rollback_lr_factor)


def divergence(history: Sequence[dict[str, Any]], factor: float = 100.0) -> str | None:
    """Why a finished run looks diverged, or None.

    Diverged: the last logged training loss is not finite, or it ended above where it started and
    ``factor`` times above the best it reached. A run that plateaus, or whose loss falls near zero
    and jitters there, stays clear of both.
    """
    losses = [record["loss"] for record in history if record.get("type") == "step"]
    if len(losses) < 2:
        return None
    first, last, best = losses[0], losses[-1], min(losses)
    if math.isfinite(last) and not (last > first and last > factor * best):
        return None
    return (
        f"the training loss went from {short_number(first)} (best {short_number(best)}) to {short_number(last)}; "
        "lower optimizer.lr, set train.grad_clip_norm, or add a warmup (schedule.warmup_steps)"
    )
