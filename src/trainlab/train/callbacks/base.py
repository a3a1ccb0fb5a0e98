"""The callback protocol: hooks around fit, step and eval, and a dispatcher that costs nothing when unused."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from trainlab.train.trainer import Trainer

HOOKS = (
    "on_fit_start",
    "on_step_start",
    "on_after_backward",
    "on_step_end",
    "on_log",
    "on_eval_start",
    "on_eval_end",
    "on_fit_end",
    "on_exception",
)


@runtime_checkable
class Callback(Protocol):
    """Implement any subset of these methods; the trainer calls only the ones that exist.

    There is no base class to inherit: a plain object with an ``on_step_end`` method is a
    callback. A callback with ``state_dict``/``load_state_dict`` is saved in checkpoints.

    Hooks, in the order the loop reaches them:
        on_fit_start(trainer): before the first step (after a resume, at the resumed step).
        on_step_start(trainer): before the step's first micro-batch.
        on_after_backward(trainer): gradients of the whole step exist, before clipping and the update.
        on_step_end(trainer): after the update; ``trainer.step`` counts it.
        on_log(trainer, record): every ``log_every`` steps with the mean training loss and lr.
        on_eval_start(trainer, split): before each evaluation (e.g. swap in averaged weights).
        on_eval_end(trainer, split, metrics): after each evaluation (swap them back).
        on_fit_end(trainer): after the final evaluation.
        on_exception(trainer, exc): when training raises or is interrupted.

    A callback stops training early by setting ``trainer.should_stop = True``.
    """


class CallbackHooks:
    """For each hook, the bound methods of the callbacks that define it.

    The trainer iterates ``hooks.on_step_end`` etc. directly: with no callback defining a hook
    the list is empty and the per-step cost is one empty loop.
    """

    # One list per name in HOOKS, set in __init__; the ones the loop iterates per step are declared.
    on_step_start: list[Callable[..., Any]]
    on_after_backward: list[Callable[..., Any]]
    on_step_end: list[Callable[..., Any]]

    def __init__(self, callbacks: Sequence[Any]):
        self.callbacks = list(callbacks)
        for hook in HOOKS:
            methods: list[Callable[..., Any]] = [
                getattr(cb, hook) for cb in self.callbacks if hasattr(cb, hook)
            ]
            setattr(self, hook, methods)

    def call(self, hook: str, trainer: Trainer, *args: Any) -> None:
        for method in getattr(self, hook):
            method(trainer, *args)

    def stateful(self) -> dict[str, Any]:
        """Callbacks to checkpoint, keyed by a name unique within this run."""
        named: dict[str, Any] = {}
        for index, cb in enumerate(self.callbacks):
            if hasattr(cb, "state_dict") and hasattr(cb, "load_state_dict"):
                named[f"{index}:{type(cb).__name__}"] = cb
        return named
