"""Schedule-free SGD and AdamW: iterate averaging instead of a learning-rate schedule (Defazio et al. 2024)."""

from __future__ import annotations

from typing import Any

import torch

from trainlab.optim._catalog import (
    Beta,
    NonNegativeFloat,
    NonNegativeInt,
    OpenUnitFloat,
    Params,
    PositiveFloat,
    WeightDecayMode,
    registered,
)
from trainlab.optim._flat import evaluate_closure, families, loaded_parts
from trainlab.optim._segments import ONE_TENSOR, Segments, is_zero


def schedule_free_update(
    y: torch.Tensor,
    direction: torch.Tensor,
    z: torch.Tensor,
    *,
    lr: float,
    beta: float,
    averaging: float,
) -> None:
    r"""One schedule-free step (Defazio et al. 2024, "The Road Less Scheduled", eq. 1–3), in place on ``y`` and ``z``.

    .. math::
        z_{t+1} = z_t − γ d_t \\
        x_{t+1} = (1 − c_{t+1}) x_t + c_{t+1} z_{t+1} \\
        y_{t+1} = (1 − β) z_{t+1} + β x_{t+1}

    The gradient is taken at y, which the parameters hold; x, the average to evaluate and keep,
    is not stored: y = (1 − β) z + β x gives it from y and z, so the parameters' memory holds x
    while it is updated, then y again.

    Args:
        y: The parameters, where the gradient was evaluated.
        direction: d_t, the gradient (SGD) or the normalized gradient (AdamW), with weight decay.
        z: The base sequence.
        lr: γ.
        beta: β, the interpolation between z and x (> 0).
        averaging: c_{t+1}, the weight of z_{t+1} in the average.
    """
    x = y.lerp_(z, 1.0 - 1.0 / beta)  # x_t = y_t + (1 − 1/β)(z_t − y_t)
    z.sub_(direction, alpha=lr)
    x.lerp_(z, averaging)
    x.lerp_(z, 1.0 - beta)  # y_{t+1}


def schedule_free_sgd_update(
    y: torch.Tensor,
    grad: torch.Tensor,
    z: torch.Tensor,
    *,
    lr: float,
    momentum: float,
    averaging: float,
    weight_decay: float | torch.Tensor = 0.0,
    segments: Segments = ONE_TENSOR,
) -> None:
    r"""One schedule-free SGD step: :func:`schedule_free_update` with d_t = g_t + λ y_t.

    Args:
        y: The parameters.
        grad: g_t, evaluated at y (not modified).
        z: The base sequence.
        lr: γ.
        momentum: β.
        averaging: c_{t+1}.
        weight_decay: λ, one value or one per tensor of ``segments``.
        segments: The tensors ``y`` holds (one, unless it is a flat buffer of several).
    """
    decay = segments.expand(weight_decay)
    direction = grad if is_zero(decay) else grad + decay * y
    schedule_free_update(y, direction, z, lr=lr, beta=momentum, averaging=averaging)


def schedule_free_adamw_update(
    y: torch.Tensor,
    grad: torch.Tensor,
    z: torch.Tensor,
    exp_avg_sq: torch.Tensor,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    step: int,
    averaging: float,
    weight_decay: float | torch.Tensor = 0.0,
    decoupled: bool = True,
    segments: Segments = ONE_TENSOR,
) -> None:
    r"""One schedule-free AdamW step (Algorithm 1 of the paper): :func:`schedule_free_update` with

    .. math::
        v_t = β_2 v_{t-1} + (1 − β_2) g_t^2, \quad
        d_t = \frac{g_t}{\sqrt{v_t/(1 − β_2^t)} + ε} + λ y_t

    ``decoupled=False`` (L2) adds λy to g before the normalization instead.

    Args:
        y: The parameters.
        grad: g_t, evaluated at y (not modified).
        z: The base sequence.
        exp_avg_sq: v.
        lr: γ.
        beta1: β, the interpolation between z and x.
        beta2: β2.
        eps: ε.
        step: t, counted from 1.
        averaging: c_{t+1}.
        weight_decay: λ, one value or one per tensor of ``segments``.
        decoupled: λy added after the normalization (the paper) or to g.
        segments: The tensors ``y`` holds (one, unless it is a flat buffer of several).
    """
    decay = segments.expand(weight_decay)
    if not decoupled and not is_zero(decay):
        grad = grad + decay * y
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
    denominator = (exp_avg_sq / (1.0 - beta2**step)).sqrt_().add_(eps)  # √v̂ + ε
    direction = torch.div(grad, denominator, out=denominator)  # in the denominator's memory
    if decoupled and not is_zero(decay):
        direction.add_(decay * y)
    schedule_free_update(y, direction, z, lr=lr, beta=beta1, averaging=averaging)


class _ScheduleFree(torch.optim.Optimizer):
    """The schedule and the train/eval switch the schedule-free methods share.

    The parameters hold y during training; :meth:`eval` swaps in the average x (the weights to
    evaluate and keep) and :meth:`train` swaps y back; the trainer does both around every
    evaluation. γ_t ramps up linearly over ``warmup_steps``, and the averaging weight is
    c_{t+1} = w_t / Σ w_i with w_t = (t + 1)^r · γ_max^weight_lr_power, γ_max the running maximum of
    γ (the reference code's choice; r = 0 and power 2 give c = γ²/Σγ² for a constant γ).
    """

    beta_key = "momentum"  # the group option holding β

    def _beta(self, group: dict[str, Any]) -> float:
        return float(group["betas"][0] if self.beta_key == "betas" else group[self.beta_key])

    def _schedule(self, family: list[dict[str, Any]]) -> tuple[float, float]:
        """γ_t and c_{t+1} for the family's next step; groups step together only when their options agree."""
        lr = averaging = 0.0
        for group in family:
            step = group["k"]
            warmup = min(1.0, (step + 1) / group["warmup_steps"]) if group["warmup_steps"] else 1.0
            lr = group["lr"] * warmup
            group["lr_max"] = max(lr, group["lr_max"])
            weight = (step + 1) ** group["r"] * group["lr_max"] ** group["weight_lr_power"]
            group["weight_sum"] += weight
            averaging = weight / group["weight_sum"] if group["weight_sum"] else 0.0
            group["k"] = step + 1
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
            beta = self._beta(group)
            params = [p for p in group["params"] if "z" in self.state[p]]
            if params:
                z = [self.state[p]["z"] for p in params]
                # y = (1 − β) z + β x, so x = y + (1 − 1/β)(z − y): both are lerps toward z.
                torch._foreach_lerp_(params, z, (1.0 - beta) if to_train else (1.0 - 1.0 / beta))
            group["train_mode"] = to_train

    def _start(self, closure: Any) -> Any:
        if not self.param_groups[0]["train_mode"]:
            raise RuntimeError(
                f"{type(self).__name__}.step() was called in eval mode; call optimizer.train() first"
            )
        return evaluate_closure(closure)


@registered(
    "schedule_free_sgd",
    aliases=("sfsgd",),
    reference="Defazio et al. 2024, The Road Less Scheduled",
    flags={"family": "sgd", "has_modes": True, "ours": True},
    hidden=("r", "weight_lr_power"),
)
class ScheduleFreeSGD(_ScheduleFree):
    """Schedule-free SGD: momentum by interpolation and iterate averaging; no LR schedule needed.

    Defazio et al. 2024, "The Road Less Scheduled"; the update is
    :func:`schedule_free_sgd_update`. Weight decay is taken at y; for plain SGD the ``l2`` and
    ``decoupled`` modes are the same update, so both are accepted.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate γ (larger than SGD's; the reference default is 1.0).
        momentum: Interpolation β between the SGD sequence and its average.
        weight_decay: Decay at the gradient point (l2 and decoupled coincide for SGD).
        weight_decay_mode: l2 or decoupled (the same update here).
        warmup_steps: Linear warmup of the learning rate.
        r: Polynomial weighting power of the average.
        weight_lr_power: Power of γ in the averaging weights.
        maximize: Ascend instead of descend.
        foreach: All tensors at once, on flat buffers (see ``trainlab.optim._flat``), or one at a time.
    """

    def __init__(
        self,
        params: Params,
        lr: PositiveFloat = 1.0,
        momentum: OpenUnitFloat = 0.9,
        weight_decay: NonNegativeFloat = 0.0,
        weight_decay_mode: WeightDecayMode = "l2",
        warmup_steps: NonNegativeInt = 0,
        r: float = 0.0,
        weight_lr_power: float = 2.0,
        maximize: bool = False,
        foreach: bool = True,
    ):
        if lr <= 0 or not 0.0 < momentum < 1.0 or weight_decay < 0 or warmup_steps < 0:
            raise ValueError(f"invalid schedule-free SGD options: lr={lr}, momentum={momentum}")
        defaults = dict(
            lr=lr,
            momentum=momentum,
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
            lr, averaging = self._schedule(family)
            for part in loaded_parts(self, family):
                schedule_free_sgd_update(
                    part.param,
                    part.grad,
                    part.state(self, "z", torch.clone),
                    lr=lr,
                    momentum=family[0]["momentum"],
                    averaging=averaging,
                    weight_decay=part.weight_decay,
                    segments=part.segments,
                )
        return loss


@registered(
    "schedule_free_adamw",
    aliases=("sfadamw",),
    reference="Defazio et al. 2024, The Road Less Scheduled",
    flags={"family": "adam", "has_betas": True, "has_modes": True, "ours": True},
    hidden=("r", "weight_lr_power"),
    docs={"beta1": "Interpolation β between the Adam sequence and its average."},
)
class ScheduleFreeAdamW(_ScheduleFree):
    """Schedule-free AdamW: Adam's normalization with iterate averaging; no LR schedule needed.

    Defazio et al. 2024, "The Road Less Scheduled", Algorithm 1; the update is
    :func:`schedule_free_adamw_update`.

    Args:
        params: Parameters or parameter groups.
        lr: Learning rate γ.
        betas: (β1, β2): the interpolation β between the Adam sequence and its average, and the
            second moment's decay.
        eps: ε, added to the denominator.
        weight_decay: Decay coefficient λ (see ``weight_decay_mode``).
        weight_decay_mode: decoupled (the paper) or l2.
        warmup_steps: Linear warmup of the learning rate.
        r: Polynomial weighting power of the average.
        weight_lr_power: Power of γ in the averaging weights.
        maximize: Ascend instead of descend.
        foreach: All tensors at once, on flat buffers (see ``trainlab.optim._flat``), or one at a time.
    """

    beta_key = "betas"

    def __init__(
        self,
        params: Params,
        lr: PositiveFloat = 0.0025,
        betas: tuple[OpenUnitFloat, Beta] = (0.9, 0.999),
        eps: PositiveFloat = 1e-8,
        weight_decay: NonNegativeFloat = 0.0,
        weight_decay_mode: WeightDecayMode = "decoupled",
        warmup_steps: NonNegativeInt = 0,
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
            lr, averaging = self._schedule(family)
            group = family[0]
            beta1, beta2 = group["betas"]
            for part in loaded_parts(self, family):
                schedule_free_adamw_update(
                    part.param,
                    part.grad,
                    part.state(self, "z", torch.clone),
                    part.state(self, "exp_avg_sq"),
                    lr=lr,
                    beta1=beta1,
                    beta2=beta2,
                    eps=group["eps"],
                    step=group["k"],
                    averaging=averaging,
                    weight_decay=part.weight_decay,
                    decoupled=group["weight_decay_mode"] == "decoupled",
                    segments=part.segments,
                )
        return loss
