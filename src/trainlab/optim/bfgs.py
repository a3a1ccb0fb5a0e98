"""BFGS: a dense inverse-Hessian estimate with a strong-Wolfe line search, for small full-batch problems."""

from __future__ import annotations

from typing import Any

import torch

from trainlab.optim._catalog import Params, PositiveFloat, registered
from trainlab.optim._full_batch import FlatParams, first_step_length, needs_closure


@registered(
    "bfgs",
    reference="Nocedal & Wright 2006, Numerical Optimization, ch. 6 (BFGS, Algorithm 6.1)",
    flags={"family": "quasi_newton", "needs_closure": True, "full_batch": True, "ours": True},
    hidden=("tolerance_grad",),
)
class BFGS(torch.optim.Optimizer):
    r"""BFGS: dense inverse-Hessian quasi-Newton with a strong-Wolfe line search; small full-batch problems.

    BFGS (Broyden, Fletcher, Goldfarb, Shanno 1970); Nocedal & Wright 2006, Algorithm 6.1. Each step: direction p = −H g, a step length α satisfying the strong Wolfe conditions, then
    with s = α p and y = g_{new} − g, ρ = 1/(yᵀs), the inverse-Hessian update (eq. 6.17)

    .. math::
        H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ

    H starts as (yᵀs / yᵀy) I after the first step (eq. 6.20). The update is skipped when
    yᵀs ≤ 1e-10 (curvature condition fails), and H resets to I if p is not a descent direction.
    H is dense (n × n): for problems up to a few thousand parameters.

    Args:
        params: Parameters (all groups are treated as one vector).
        lr: Initial trial step length of the line search.
        tolerance_grad: Stop stepping once ‖g‖∞ is below this.
    """

    needs_closure = True

    def __init__(self, params: Params, lr: PositiveFloat = 1.0, tolerance_grad: float = 1e-12):
        super().__init__(params, dict(lr=lr, tolerance_grad=tolerance_grad))

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        needs_closure("BFGS", closure)
        group = self.param_groups[0]
        flat = FlatParams([p for g in self.param_groups for p in g["params"]], closure)
        state = self.state[flat.params[0]]
        loss, g = flat.evaluate()
        if float(g.abs().max()) <= group["tolerance_grad"]:
            return torch.tensor(loss)
        x = flat.get()
        H = state.get("inverse_hessian")
        d = -g if H is None else -(H @ g)
        if H is not None and float(g.dot(d)) >= 0:
            H, d = None, -g
        t = first_step_length(g, group["lr"]) if H is None else group["lr"]
        _, new_g, t, _ = flat.wolfe_step(x, loss, g, d, t)
        s, y = t * d, new_g - g
        ys = float(y.dot(s))
        if ys > 1e-10:
            if H is None:
                H = torch.eye(len(x), dtype=x.dtype, device=x.device) * (ys / float(y.dot(y)))
            rho = 1.0 / ys
            Hy = H @ y
            # (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, expanded to avoid forming I.
            H = (
                H
                - rho * (torch.outer(s, Hy) + torch.outer(Hy, s))
                + (rho * rho * float(y.dot(Hy)) + rho) * torch.outer(s, s)
            )
        if H is not None:
            state["inverse_hessian"] = H
        state["step"] = state.get("step", 0) + 1
        return torch.tensor(loss)
