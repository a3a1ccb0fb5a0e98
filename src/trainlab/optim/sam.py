"""SAM and ASAM: sharpness-aware minimization around any optimizer (Foret et al. 2021; Kwon et al. 2021)."""

from __future__ import annotations

from typing import Annotated, Any

import torch
from pydantic import Field

from trainlab.optim._catalog import PositiveFloat
from trainlab.optim._param_groups import ParamGroupSpec, Params
from trainlab.optim._wrapper import OptimizerShell
from trainlab.optim.lookahead import build_inner
from trainlab.registry import OPTIMIZERS


class SAM(OptimizerShell):
    r"""SAM, Foret et al. 2021, "Sharpness-Aware Minimization for Efficiently Improving Generalization".

    Each step evaluates the gradient twice: at w, then at the worst nearby point w + ε̂ (eq. 2),

    .. math::
        ε̂(w) = ρ \frac{∇L(w)}{‖∇L(w)‖_2}, \qquad w ← A(w, ∇L(w)|_{w + ε̂(w)})

    with A the base optimizer. ASAM (Kwon et al. 2021, "ASAM: Adaptive Sharpness-Aware
    Minimization", eq. 10) makes the neighbourhood scale-invariant with T_w = |w| + η:

    .. math::
        ε̂(w) = ρ \frac{T_w^2 ∇L(w)}{‖T_w ∇L(w)‖_2}

    ``step(closure)`` needs the closure, which recomputes the loss and gradients at the current
    weights; the trainer supplies it (``needs_closure``). Gradients for the first evaluation are
    the ones already in ``.grad``.

    Args:
        optimizer: The base optimizer A.
        rho: Neighbourhood radius ρ.
        adaptive: ASAM instead of SAM.
        eta: η of ASAM's T_w.
    """

    needs_closure = True

    def __init__(
        self, optimizer: torch.optim.Optimizer, rho: float = 0.05, adaptive: bool = False, eta: float = 0.01
    ):
        if rho <= 0:
            raise ValueError(f"invalid SAM rho: {rho}")
        super().__init__([optimizer], {**optimizer.defaults, "rho": rho, "adaptive": adaptive, "eta": eta})
        self.base = optimizer
        self.rho, self.adaptive, self.eta = rho, adaptive, eta

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        if closure is None:
            raise RuntimeError(
                "SAM needs a closure that recomputes the loss and gradients (the trainer passes one)"
            )
        params = [p for p in self.params() if p.grad is not None]
        if not params:
            return self.base.step()
        grads = [p.grad for p in params if p.grad is not None]
        perturbation: list[torch.Tensor]
        if self.adaptive:
            scale = torch._foreach_abs(params)
            torch._foreach_add_(scale, self.eta)
            scaled = torch._foreach_mul(grads, scale)  # T_w g
            norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(scaled)))
            perturbation = list(torch._foreach_mul(scaled, scale))  # T_w² g
        else:
            norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
            perturbation = [g.clone() for g in grads]
        torch._foreach_mul_(perturbation, self.rho / (norm + 1e-12))
        torch._foreach_add_(params, perturbation)
        with torch.enable_grad():
            loss = closure()
        torch._foreach_sub_(params, perturbation)
        self.base.step()
        return loss


def _sam(
    params: Params,
    base: str,
    rho: float,
    adaptive: bool,
    eta: float,
    base_options: dict[str, Any] | None,
    param_groups: list[ParamGroupSpec] | None,
    decay_norm_and_bias: bool,
) -> torch.optim.Optimizer:
    inner = build_inner(params, base, base_options, param_groups, decay_norm_and_bias)
    return SAM(inner, rho=rho, adaptive=adaptive, eta=eta)


@OPTIMIZERS.register(
    "sam",
    reference="Foret et al. 2021, Sharpness-Aware Minimization for Efficiently Improving Generalization",
    flags={"family": "wrapper", "needs_closure": True, "ours": True},
)
def sam(
    params: Params,
    base: str = "momentum",
    rho: PositiveFloat = 0.05,
    base_options: dict[str, Any] | None = None,
    param_groups: list[ParamGroupSpec] | None = None,
    decay_norm_and_bias: bool = False,
) -> torch.optim.Optimizer:
    """SAM: each step descends from the worst point within radius rho (two gradient evaluations).

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        base: The base optimizer's registered name.
        rho: Neighbourhood radius.
        base_options: Options of the base optimizer, e.g. ``{lr: 0.05}``.
        param_groups: Passed to the base optimizer.
        decay_norm_and_bias: Passed to the base optimizer.
    """
    return _sam(params, base, rho, False, 0.01, base_options, param_groups, decay_norm_and_bias)


@OPTIMIZERS.register(
    "asam",
    reference="Kwon et al. 2021, ASAM: Adaptive Sharpness-Aware Minimization for Scale-Invariant Learning",
    flags={"family": "wrapper", "needs_closure": True, "ours": True},
)
def asam(
    params: Params,
    base: str = "momentum",
    rho: PositiveFloat = 0.5,
    eta: Annotated[float, Field(ge=0.0)] = 0.01,
    base_options: dict[str, Any] | None = None,
    param_groups: list[ParamGroupSpec] | None = None,
    decay_norm_and_bias: bool = False,
) -> torch.optim.Optimizer:
    """ASAM: SAM with a scale-invariant neighbourhood, |w|+eta times the radius per coordinate.

    Args:
        params: Parameters, ``(name, parameter)`` pairs or parameter groups.
        base: The base optimizer's registered name.
        rho: Neighbourhood radius (ASAM's are ~10× SAM's).
        eta: Offset of the per-coordinate scale |w| + eta.
        base_options: Options of the base optimizer.
        param_groups: Passed to the base optimizer.
        decay_norm_and_bias: Passed to the base optimizer.
    """
    return _sam(params, base, rho, True, eta, base_options, param_groups, decay_norm_and_bias)
