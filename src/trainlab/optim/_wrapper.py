"""A shell optimizer around inner optimizers whose param_groups stay the inner ones, live."""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from typing import Any

import torch


class OptimizerShell(torch.optim.Optimizer):
    """Base for optimizers that delegate to others (Lookahead, SAM, Muon routing).

    ``param_groups`` is read through to the inner optimizers on every access, so an LR scheduler
    built on the shell keeps driving the inner groups even after ``load_state_dict`` replaced them.
    """

    def __init__(self, inner: list[torch.optim.Optimizer], defaults: dict[str, Any]):
        # torch.optim.Optimizer.__init__ would re-register the inner parameters as our own groups;
        # set up only what the base class's methods (hooks, zero_grad, profiling) rely on.
        self.inner = list(inner)
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        self._patch_step_function()
        self.state = defaultdict(dict)
        self._warned_capturable_if_run_uncaptured = True

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        if len(self.inner) == 1:
            return self.inner[0].param_groups
        return [group for optimizer in self.inner for group in optimizer.param_groups]

    @param_groups.setter
    def param_groups(self, value: list[dict[str, Any]]) -> None:
        if value:
            raise AttributeError("set the inner optimizers' param_groups instead")

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        self.inner[0].add_param_group(param_group)

    def train(self) -> None:
        """Forward the training mode to inner optimizers that have one (schedule-free)."""
        self._set_mode("train")

    def eval(self) -> None:
        """Forward the evaluation mode (e.g. schedule-free's averaged weights) to inner optimizers."""
        self._set_mode("eval")

    def _set_mode(self, mode: str) -> None:
        for optimizer in self.inner:
            switch = getattr(optimizer, mode, None)
            if callable(switch):
                switch()

    def zero_grad(self, set_to_none: bool = True) -> None:
        for optimizer in self.inner:
            optimizer.zero_grad(set_to_none=set_to_none)

    def shell_state_dict(self) -> dict[str, Any]:
        """The shell's own state; subclasses extend it."""
        return {}

    def load_shell_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`shell_state_dict` returned."""

    def state_dict(self) -> dict[str, Any]:
        return {"inner": [o.state_dict() for o in self.inner], "shell": self.shell_state_dict()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        for optimizer, inner_state in zip(self.inner, state_dict["inner"], strict=True):
            optimizer.load_state_dict(inner_state)
        self.load_shell_state_dict(state_dict["shell"])

    def params(self) -> list[torch.Tensor]:
        return [p for group in self.param_groups for p in group["params"]]
