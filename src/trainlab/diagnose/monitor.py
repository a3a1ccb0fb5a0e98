"""The Monitor: runs instruments on sampled steps of any loop, keeps their numbers on the device until read."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

from trainlab.diagnose.instruments import Instrument, SampledStep, build_instruments
from trainlab.diagnose.records import DiagnosticsWriter, materialize, records_table

# A hand-written loop that never reads the table still syncs now and then, to bound what waits on the device.
_MAX_PENDING_STEPS = 64


class Monitor:
    """Measures a model's training on every ``every``-th step, in any training loop.

    Call :meth:`after_backward` once the step's gradients exist and :meth:`after_step` after
    the optimizer's update. Forward hooks are attached only for a sampled step (from the end
    of the step before), so an unsampled step runs no instrument code; the statistics stay
    on the device until :meth:`flush` (or :meth:`table`) reads them all in one sync.

    Example:
        >>> mon = trainlab.diagnose.Monitor(model, optimizer, every=10)
        >>> for inputs, targets in loader:
        ...     loss = loss_fn(model(inputs), targets)
        ...     loss.backward()
        ...     mon.after_backward(loss)
        ...     optimizer.step()
        ...     optimizer.zero_grad()
        ...     mon.after_step()
        >>> mon.table()  # a DataFrame with pandas, else a list of dicts

    Args:
        model: The model being trained.
        optimizer: Its optimizer (the learning rate and the parameters it updates), or None.
        every: Measure steps whose number (counting from 1) is a multiple of this.
        instruments: Names (``"params"``), ``{name: ..., **options}`` mappings or instrument objects;
            default ``trainlab.diagnose.instruments.DEFAULT_INSTRUMENTS``.
        window: Sampled steps over which a unit must stay silent to count as dead.
        loss_fn: ``loss_fn(outputs, targets)``, needed by the ``hessian`` instrument (which also
            needs the targets passed to :meth:`after_backward`).
        grad_accum_steps: Backward passes per step; above 1, gradient SNR is between micro-batches.
        path: Append the rows to this ``diagnostics.jsonl`` as they are read.
        step: Steps already taken (a resumed run).
        last_step: The run's last step, sampled too (a run shorter than ``every`` still gets a row).
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer | None = None,
        *,
        every: int = 1,
        instruments: Sequence[str | Mapping[str, Any] | Instrument] | None = None,
        window: int | None = None,
        loss_fn: Callable[[Any, Any], torch.Tensor] | None = None,
        grad_accum_steps: int = 1,
        path: str | os.PathLike | None = None,
        step: int = 0,
        last_step: int | None = None,
    ):
        if every < 1:
            raise ValueError(f"every must be at least 1, got {every}")
        self.model = model
        self.optimizer = optimizer
        self.every = every
        self.instruments = build_instruments(instruments, window=window)
        self.loss_fn = loss_fn
        self.grad_accum_steps = grad_accum_steps
        self.step = step
        self.last_step = last_step
        self.records: list[dict[str, Any]] = []
        self.writer = DiagnosticsWriter(path) if path is not None else None
        self._sampled: SampledStep | None = None
        self._handles: list[RemovableHandle] = []
        self._pending: list[dict[str, Any]] = []
        self._pending_steps = 0
        self._measured_backward = False
        self.needs_batch = any(getattr(i, "needs_batch", False) for i in self.instruments)
        self.start_step()

    @property
    def sampled_step(self) -> SampledStep | None:
        """The sampled step in progress (hooks attached), or None between sampled steps."""
        return self._sampled

    @property
    def hooks_attached(self) -> int:
        """How many hooks the instruments hold on the model now (zero between sampled steps)."""
        return len(self._handles)

    def is_sampled(self, step: int) -> bool:
        return step % self.every == 0 or step == self.last_step

    def start_step(self) -> None:
        """Attach the instruments' hooks if the coming step is sampled (idempotent; called for you).

        A sampled step whose backward pass was measured but that never reached :meth:`after_step`
        was dropped (the trainer's NaN guard skips such a step): its numbers are void, and the
        step is measured afresh when it is taken again.
        """
        if self._sampled is not None and self._measured_backward:
            self._sampled = None
        if self._sampled is not None or not self.is_sampled(self.step + 1):
            return
        sampled = SampledStep(
            step=self.step + 1,
            model=self.model,
            optimizer=self.optimizer,
            micro_batches=self.grad_accum_steps,
            loss_fn=self.loss_fn,
        )
        for instrument in self.instruments:
            self._handles.extend(instrument.attach(sampled))
        if self.needs_batch:
            self._handles.append(self.model.register_forward_pre_hook(_first_inputs(sampled)))
        self._sampled = sampled
        self._measured_backward = False

    def after_backward(
        self, loss: torch.Tensor | None = None, *, targets: Any = None, grad_scale: float = 1.0
    ) -> None:
        """The step's gradients exist (before clipping and the update).

        Args:
            loss: The step's loss, recorded in the ``model`` row (kept on the device).
            targets: The first micro-batch's targets, for the ``hessian`` instrument.
            grad_scale: The fp16 loss scale the gradients carry (``scaler.get_scale()``).
        """
        sampled = self._sampled
        self._remove_hooks()
        if sampled is None:
            return
        self._measured_backward = True
        sampled.grad_scale = grad_scale
        sampled.targets = targets
        if loss is not None:
            sampled.add("model", "model", loss=loss.detach().float())
        for instrument in self.instruments:
            instrument.after_backward(sampled)

    def after_step(self) -> None:
        """The optimizer has updated the weights: finish the step and arm the next sampled one."""
        sampled = self._sampled
        self._remove_hooks()
        self.step += 1
        self._sampled = None
        if sampled is not None:
            for instrument in self.instruments:
                instrument.after_step(sampled)
            self._pending.extend(
                {"step": sampled.step, "kind": kind, "layer": layer, **stats}
                for (kind, layer), stats in sampled.rows.items()
            )
            self._pending_steps += 1
            if self._pending_steps >= _MAX_PENDING_STEPS:
                self.flush()
        self.start_step()

    def flush(self) -> list[dict[str, Any]]:
        """Read the pending statistics from the device (one sync), record and write them; returns them."""
        rows = materialize(self._pending)
        self._pending = []
        self._pending_steps = 0
        self.records.extend(rows)
        if self.writer is not None and rows:
            self.writer.write(rows)
        return rows

    def table(self, kind: str | None = None) -> Any:
        """Every row so far as a tidy table (pandas DataFrame if installed, else a list of dicts)."""
        self.flush()
        return records_table(self.records, kind)

    def close(self) -> None:
        """Flush, remove any hooks and close the file."""
        self._remove_hooks()
        self._sampled = None
        self.flush()
        if self.writer is not None:
            self.writer.close()

    def state_dict(self) -> dict[str, Any]:
        return {type(i).__name__: i.state_dict() for i in self.instruments if hasattr(i, "state_dict")}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        for instrument in self.instruments:
            if hasattr(instrument, "load_state_dict") and type(instrument).__name__ in state:
                instrument.load_state_dict(state[type(instrument).__name__])

    def _remove_hooks(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []


def _first_inputs(sampled: SampledStep) -> Callable[..., None]:
    def record(module: nn.Module, args: tuple[Any, ...]) -> None:
        if sampled.inputs is None and args:
            sampled.inputs = args[0]

    return record
