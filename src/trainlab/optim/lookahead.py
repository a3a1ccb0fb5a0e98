"""Lookahead: slow weights that follow any inner optimizer's fast weights (Zhang et al. 2019)."""

from __future__ import annotations

from typing import Annotated, Any

import torch
from pydantic import Field

from trainlab.errors import ConfigError
from trainlab.optim._param_groups import ParamGroupSpec, Params
from trainlab.optim._wrapper import OptimizerShell
from trainlab.registry import OPTIMIZERS


class Lookahead(OptimizerShell):
    r"""Lookahead, Zhang, Lucas, Hinton & Ba 2019, "Lookahead Optimizer: k steps forward, 1 step back".

    Update rule (Algorithm 1): the inner optimizer A takes k fast steps from the slow weights φ,
    then the slow weights move a fraction α toward where the fast weights ended and the fast
    weights restart there:

    .. math::
        θ_{t,i} = θ_{t,i-1} + A(L, θ_{t,i-1}), \quad i = 1..k \\
        φ_{t+1} = φ_t + α (θ_{t,k} − φ_t), \quad θ_{t+1,0} = φ_{t+1}

    ``param_groups`` are the inner optimizer's, read live, so LR schedulers keep working after
    ``load_state_dict``.

    Args:
        optimizer: The inner optimizer.
        k: Fast steps per slow step.
        alpha: Slow-weight step size α.
        foreach: Multi-tensor path or a loop over parameters.
    """

    def __init__(
        self, optimizer: torch.optim.Optimizer, k: int = 5, alpha: float = 0.5, foreach: bool = True
    ):
        if k < 1 or not 0.0 < alpha <= 1.0:
            raise ValueError(f"invalid Lookahead options: k={k}, alpha={alpha}")
        super().__init__([optimizer], {**optimizer.defaults, "k": k, "alpha": alpha})
        self.base = optimizer
        self.k, self.alpha, self.foreach = k, alpha, foreach
        self.fast_steps = 0
        self.slow = [p.detach().clone() for p in self.params()]
        # The inner optimizer may need a closure (L-BFGS, SAM): the trainer reads this flag.
        self.needs_closure = isinstance(optimizer, torch.optim.LBFGS) or getattr(
            optimizer, "needs_closure", False
        )

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        loss = self.base.step(closure) if closure is not None else self.base.step()
        self.fast_steps += 1
        if self.fast_steps % self.k == 0:
            if self.foreach:
                _pull(self.slow, self.params(), alpha=self.alpha)
            else:
                for slow, fast in zip(self.slow, self.params(), strict=True):
                    _pull([slow], [fast], alpha=self.alpha)
        return loss

    def shell_state_dict(self) -> dict[str, Any]:
        return {"fast_steps": self.fast_steps, "slow": [s.clone() for s in self.slow]}

    def load_shell_state_dict(self, state: dict[str, Any]) -> None:
        self.fast_steps = state["fast_steps"]
        for slow, saved in zip(self.slow, state["slow"], strict=True):
            slow.copy_(saved)


def _pull(slow: list[torch.Tensor], fast: list[torch.Tensor], *, alpha: float) -> None:
    torch._foreach_lerp_(slow, fast, alpha)
    torch._foreach_copy_(fast, slow)


@OPTIMIZERS.register(
    "lookahead",
    reference="Zhang et al. 2019, Lookahead Optimizer: k steps forward, 1 step back",
    flags={"family": "wrapper", "ours": True},
)
def lookahead(
    params: Params,
    base: str = "adam",
    k: Annotated[int, Field(ge=1)] = 5,
    alpha: Annotated[float, Field(gt=0.0, le=1.0)] = 0.5,
    base_options: dict[str, Any] | None = None,
    param_groups: list[ParamGroupSpec] | None = None,
    decay_norm_and_bias: bool = False,
) -> torch.optim.Optimizer:
    """Lookahead: wraps any optimizer; slow weights step toward the fast ones every k steps.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        base: The inner optimizer's registered name.
        k: Fast steps per slow step.
        alpha: Slow-weight step size.
        base_options: Options of the inner optimizer, e.g. ``{lr: 1e-3}``.
        param_groups: Passed to the inner optimizer.
        decay_norm_and_bias: Passed to the inner optimizer.
    """
    inner = build_inner(params, base, base_options, param_groups, decay_norm_and_bias)
    return Lookahead(inner, k=k, alpha=alpha)


def build_inner(
    params: Params,
    base: str,
    base_options: dict[str, Any] | None,
    param_groups: list[ParamGroupSpec] | None,
    decay_norm_and_bias: bool,
) -> torch.optim.Optimizer:
    """The wrapped optimizer, built by name with its own options checked."""
    entry = OPTIMIZERS.get(base, key="optimizer.base")
    options = dict(base_options or {})
    accepted = entry.parameters()
    if param_groups and "param_groups" in accepted:
        options["param_groups"] = param_groups
    if decay_norm_and_bias and "decay_norm_and_bias" in accepted:
        options["decay_norm_and_bias"] = decay_norm_and_bias
    converted, problems = entry.check_kwargs(options, provided=["params"], key="optimizer.base_options")
    if problems:
        raise ConfigError(problems)
    return entry.factory(params, **converted)
