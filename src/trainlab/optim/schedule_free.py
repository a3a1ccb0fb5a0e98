"""Schedule-free SGD and AdamW: iterate averaging instead of a learning-rate schedule (Defazio et al. 2024)."""

from __future__ import annotations

import math
from typing import Annotated, Any

import torch
from pydantic import Field

from trainlab.optim._common import (
    Beta,
    Implementation,
    NonNegativeFloat,
    Params,
    PositiveFloat,
    WeightDecayMode,
    catalog_options,
    evaluate_closure,
    own_implementation,
)
from trainlab.optim._flat import FlatGroup, families, flat_parts
from trainlab.registry import OPTIMIZERS


class _ScheduleFree(torch.optim.Optimizer):
    r"""Shared train/eval switching of the schedule-free methods.

    The method keeps three sequences (Defazio et al. 2024, "The Road Less Scheduled", eq. 1–3):

    .. math::
        y_t = (1 − β) z_t + β x_t \qquad \text{(gradient evaluated here)} \\
        z_{t+1} = z_t − γ_t \, d_t \\
        x_{t+1} = (1 − c_{t+1}) x_t + c_{t+1} z_{t+1}, \quad c_{t+1} = \frac{γ_t^2}{\sum_{i \le t} γ_i^2}

    where d_t is the gradient (SGD) or the Adam-normalized gradient (AdamW). The parameters hold
    y during training; :meth:`eval` swaps in x (the weights to evaluate and keep) and :meth:`train`
    swaps y back. The trainer does both around every evaluation. γ_t ramps up linearly over
    ``warmup_steps``; c uses the running maximum of γ (``lr_max``) as in the reference code.
    """

    def _weights(self, group: dict[str, Any]) -> tuple[float, float]:
        step = group["k"]
        schedule = min(1.0, (step + 1) / group["warmup_steps"]) if group["warmup_steps"] else 1.0
        lr = group["lr"] * schedule
        group["lr_max"] = max(lr, group["lr_max"])
        weight = (step + 1) ** group["r"] * group["lr_max"] ** group["weight_lr_power"]
        group["weight_sum"] += weight
        averaging = weight / group["weight_sum"] if group["weight_sum"] else 0.0
        return lr, averaging

    @torch.no_grad()
    def eval(self) -> None:
        """Put the averaged point x into the parameters."""
        self._switch(to_train=False)

    @torch.no_grad()
    def train(self) -> None:
        """Put the gradient point y back into the parameters."""
        self._switch(to_train=True)

    def _switch(self, to_train: bool) -> None:
        for group in self.param_groups:
            if group["train_mode"] == to_train:
                continue
            beta = group[self._beta_key][0] if self._beta_key == "betas" else group[self._beta_key]
            params = [p for p in group["params"] if "z" in self.state[p]]
            if params:
                z = [self.state[p]["z"] for p in params]
                # y = (1 − β) z + β x, so x = y + (1 − 1/β)(z − y): both are lerps toward z.
                torch._foreach_lerp_(params, z, (1.0 - beta) if to_train else (1.0 - 1.0 / beta))
            group["train_mode"] = to_train

    def _family_weights(self, family: list[dict[str, Any]]) -> tuple[float, float]:
        # Groups step together only when their options agree, so each advances to the same weights.
        return [self._weights(group) for group in family][0]

    def _advance(self, family: list[dict[str, Any]]) -> None:
        for group in family:
            group["k"] += 1

    def _start(self, closure: Any) -> Any:
        if not self.param_groups[0]["train_mode"]:
            raise RuntimeError(
                f"{type(self).__name__}.step() was called in eval mode; call optimizer.train() first"
            )
        return evaluate_closure(closure)


class ScheduleFreeSGD(_ScheduleFree):
    r"""Schedule-free SGD (Defazio et al. 2024): d_t = g_t(y_t) + λ y_t.

    Weight decay is evaluated at y; for plain SGD the ``l2`` and ``decoupled`` modes are the same
    update, so both are accepted.

    Args:
        params: Parameters or parameter groups.
        lr: γ (schedule-free SGD takes larger rates than SGD; 1.0 in the reference code).
        momentum: β, the interpolation between z and x.
        weight_decay: λ.
        warmup_steps: Linear ramp of γ.
        r: Polynomial weighting power of the average.
        weight_lr_power: Power of γ in the averaging weights.
        maximize: Ascend instead of descend.
        foreach: All tensors at once on flat buffers (``trainlab.optim._flat``), or one parameter at a time.
    """

    _beta_key = "momentum"

    def __init__(
        self,
        params: Params,
        lr: float = 1.0,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        warmup_steps: int = 0,
        r: float = 0.0,
        weight_lr_power: float = 2.0,
        maximize: bool = False,
        foreach: bool = True,
    ):
        if lr <= 0 or not 0.0 < momentum < 1.0 or weight_decay < 0:
            raise ValueError(f"invalid schedule-free SGD options: lr={lr}, momentum={momentum}")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            weight_decay=weight_decay,
            warmup_steps=warmup_steps,
            r=r,
            weight_lr_power=weight_lr_power,
            k=0,
            train_mode=True,
            weight_sum=0.0,
            lr_max=-1.0,
            maximize=maximize,
            foreach=foreach,
        )
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        loss = self._start(closure)
        for family in families(self):
            lr, averaging = self._family_weights(family)
            for flat in flat_parts(self, family, "ScheduleFreeSGD"):
                _sgd(
                    flat,
                    flat.bind_state(self, "z", torch.clone),
                    lr=lr,
                    averaging=averaging,
                    momentum=family[0]["momentum"],
                )
            self._advance(family)
        return loss


def _sgd(flat: FlatGroup, z: torch.Tensor, *, lr: float, averaging: float, momentum: float) -> None:
    flat.apply_weight_decay(lr, decoupled=False)  # at y, the same update in both modes
    y, grad = flat.param, flat.grad
    # y_{t+1} from y_t without materializing x: the reference code's two-line update.
    y.lerp_(z, averaging)
    y.add_(grad, alpha=lr * (momentum * (1.0 - averaging) - 1.0))
    z.sub_(grad, alpha=lr)


class ScheduleFreeAdamW(_ScheduleFree):
    r"""Schedule-free AdamW (Defazio et al. 2024, Algorithm 1).

    .. math::
        v_t = β_2 v_{t-1} + (1 − β_2) g_t^2, \quad
        d_t = \frac{g_t}{\sqrt{v_t/(1 − β_2^t)} + ε} + λ y_t

    ``weight_decay_mode="decoupled"`` (the paper) adds λy after the normalization; ``l2`` adds λy
    to g before it.

    Args:
        params: Parameters or parameter groups.
        lr: γ.
        betas: (β1 = interpolation β, β2).
        eps: ε.
        weight_decay: λ.
        weight_decay_mode: ``decoupled`` (the paper) or ``l2``.
        warmup_steps: Linear ramp of γ.
        r: Polynomial weighting power of the average.
        weight_lr_power: Power of γ in the averaging weights.
        maximize: Ascend instead of descend.
        foreach: All tensors at once on flat buffers (``trainlab.optim._flat``), or one parameter at a time.
    """

    _beta_key = "betas"

    def __init__(
        self,
        params: Params,
        lr: float = 0.0025,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        weight_decay_mode: str = "decoupled",
        warmup_steps: int = 0,
        r: float = 0.0,
        weight_lr_power: float = 2.0,
        maximize: bool = False,
        foreach: bool = True,
    ):
        if lr <= 0 or not 0.0 < betas[0] < 1.0 or not 0.0 <= betas[1] < 1.0 or weight_decay < 0:
            raise ValueError(f"invalid schedule-free AdamW options: lr={lr}, betas={betas}")
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            weight_decay_mode=weight_decay_mode,
            warmup_steps=warmup_steps,
            r=r,
            weight_lr_power=weight_lr_power,
            k=0,
            train_mode=True,
            weight_sum=0.0,
            lr_max=-1.0,
            maximize=maximize,
            foreach=foreach,
        )
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        loss = self._start(closure)
        for family in families(self):
            lr, averaging = self._family_weights(family)
            group = family[0]
            beta1, beta2 = group["betas"]
            for flat in flat_parts(self, family, "ScheduleFreeAdamW"):
                _adamw(
                    flat,
                    flat.bind_state(self, "z", torch.clone),
                    flat.bind_state(self, "exp_avg_sq"),
                    lr=lr,
                    averaging=averaging,
                    beta1=beta1,
                    beta2=beta2,
                    eps=group["eps"],
                    bias_correction2=1.0 - beta2 ** (group["k"] + 1),
                    decoupled=group["weight_decay_mode"] == "decoupled",
                )
            self._advance(family)
        return loss


def _adamw(
    flat: FlatGroup,
    z: torch.Tensor,
    exp_avg_sq: torch.Tensor,
    *,
    lr: float,
    averaging: float,
    beta1: float,
    beta2: float,
    eps: float,
    bias_correction2: float,
    decoupled: bool,
) -> None:
    if not decoupled:
        flat.apply_weight_decay(lr, decoupled=False)
    y, grad = flat.param, flat.grad
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
    # d = g/(√(v/b) + ε) = √b · g/(√v + ε√b) with b = 1 − β2^t: the √b rides on the step sizes.
    scale = math.sqrt(bias_correction2)
    denom = torch.sqrt(exp_avg_sq, out=flat.scratch(0)).add_(eps * scale)
    direction = torch.div(grad, denom, out=flat.scratch(1))
    if flat.weight_decay is not None and decoupled:
        flat.layout.add_scaled_(direction, y, flat.weight_decay / scale)
    y.lerp_(z, averaging)
    y.add_(direction, alpha=scale * lr * (beta1 * (1.0 - averaging) - 1.0))
    z.sub_(direction, alpha=scale * lr)


@OPTIMIZERS.register(
    "schedule_free_sgd",
    aliases=("sfsgd",),
    reference="Defazio et al. 2024, The Road Less Scheduled",
    flags={"family": "sgd", "has_modes": True, "ours": True},
)
@catalog_options
def schedule_free_sgd(
    params: Params,
    lr: PositiveFloat = 1.0,
    momentum: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.9,
    weight_decay: NonNegativeFloat = 0.0,
    weight_decay_mode: WeightDecayMode = "l2",
    warmup_steps: Annotated[int, Field(ge=0)] = 0,
    implementation: Implementation = "auto",
) -> torch.optim.Optimizer:
    """Schedule-free SGD: momentum by interpolation and iterate averaging; no LR schedule needed.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Learning rate (larger than SGD's; the reference default is 1.0).
        momentum: Interpolation β between the SGD sequence and its average.
        weight_decay: Decay at the gradient point (l2 and decoupled coincide for SGD).
        weight_decay_mode: l2 or decoupled (the same update here).
        warmup_steps: Linear warmup of the learning rate.
        implementation: auto or foreach (all tensors at once, on flat buffers), or loop.
    """
    return ScheduleFreeSGD(
        params,
        lr=lr,
        momentum=momentum,
        weight_decay=weight_decay,
        warmup_steps=warmup_steps,
        foreach=own_implementation(implementation),
    )


@OPTIMIZERS.register(
    "schedule_free_adamw",
    aliases=("sfadamw",),
    reference="Defazio et al. 2024, The Road Less Scheduled",
    flags={"family": "adam", "has_betas": True, "has_modes": True, "ours": True},
)
@catalog_options
def schedule_free_adamw(
    params: Params,
    lr: PositiveFloat = 0.0025,
    beta1: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.9,
    beta2: Beta = 0.999,
    eps: PositiveFloat = 1e-8,
    weight_decay: NonNegativeFloat = 0.0,
    weight_decay_mode: WeightDecayMode = "decoupled",
    warmup_steps: Annotated[int, Field(ge=0)] = 0,
    implementation: Implementation = "auto",
) -> torch.optim.Optimizer:
    """Schedule-free AdamW: Adam's normalization with iterate averaging; no LR schedule needed.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        lr: Learning rate.
        beta1: Interpolation β between the Adam sequence and its average.
        beta2: Decay of the second moment.
        eps: Added to the denominator.
        weight_decay: Decay coefficient (see ``weight_decay_mode``).
        weight_decay_mode: decoupled (the paper) or l2.
        warmup_steps: Linear warmup of the learning rate.
        implementation: auto or foreach (all tensors at once, on flat buffers), or loop.
    """
    return ScheduleFreeAdamW(
        params,
        lr=lr,
        betas=(beta1, beta2),
        eps=eps,
        weight_decay=weight_decay,
        weight_decay_mode=weight_decay_mode,
        warmup_steps=warmup_steps,
        foreach=own_implementation(implementation),
    )
