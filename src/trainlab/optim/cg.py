"""Nonlinear conjugate gradient (Fletcher–Reeves, Polak–Ribière+) with restarts, for full-batch problems."""

from __future__ import annotations

from typing import Any, Literal

import torch

from trainlab.optim._catalog import Params, PositiveFloat, PositiveInt, registered
from trainlab.optim._full_batch import FlatParams, first_step_length, needs_closure


@registered(
    "cg",
    reference="Nocedal & Wright 2006, Numerical Optimization, ch. 5.2 (Fletcher–Reeves, Polak–Ribière)",
    aliases=("conjugate_gradient",),
    flags={"family": "conjugate_gradient", "needs_closure": True, "full_batch": True, "ours": True},
    hidden=("tolerance_grad",),
)
class ConjugateGradient(torch.optim.Optimizer):
    r"""Nonlinear conjugate gradient, Polak–Ribière+ or Fletcher–Reeves, with restarts; full batch.

    Nocedal & Wright 2006, Algorithm 5.4 and eq. 5.41–5.45:

    .. math::
        d_0 = −g_0, \quad x_{k+1} = x_k + α_k d_k, \quad d_{k+1} = −g_{k+1} + β_{k+1} d_k \\
        β^{FR}_{k+1} = \frac{g_{k+1}ᵀ g_{k+1}}{g_kᵀ g_k}, \qquad
        β^{PR+}_{k+1} = \max\Big(0, \frac{g_{k+1}ᵀ (g_{k+1} − g_k)}{g_kᵀ g_k}\Big)

    α_k satisfies the strong Wolfe conditions with c2 = 0.1, which makes d_{k+1} a descent
    direction for FR. The method restarts with d = −g every ``restart_every`` steps (n, the
    dimension, by default), when d is not a descent direction, and when successive gradients are
    far from orthogonal (|g_{k+1}ᵀ g_k| ≥ 0.1 ‖g_{k+1}‖², eq. 5.52).

    Args:
        params: Parameters (all groups are treated as one vector).
        lr: Initial trial step length of the first line search.
        beta: ``pr+`` (Polak–Ribière+) or ``fr`` (Fletcher–Reeves).
        restart_every: Steps between restarts; None for the dimension n.
        tolerance_grad: Stop stepping once ‖g‖∞ is below this.
    """

    needs_closure = True

    def __init__(
        self,
        params: Params,
        lr: PositiveFloat = 1.0,
        beta: Literal["pr+", "fr"] = "pr+",
        restart_every: PositiveInt | None = None,
        tolerance_grad: float = 1e-12,
    ):
        if beta not in ("pr+", "fr"):
            raise ValueError(f"beta must be 'pr+' or 'fr', got {beta!r}")
        super().__init__(
            params, dict(lr=lr, beta=beta, restart_every=restart_every, tolerance_grad=tolerance_grad)
        )

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        needs_closure("ConjugateGradient", closure)
        group = self.param_groups[0]
        flat = FlatParams([p for g in self.param_groups for p in g["params"]], closure)
        state = self.state[flat.params[0]]
        loss, g = flat.evaluate()
        if float(g.abs().max()) <= group["tolerance_grad"]:
            return torch.tensor(loss)
        x = flat.get()
        k = state.get("step", 0)
        restart_every = group["restart_every"] or len(x)
        previous_g, previous_d = state.get("previous_grad"), state.get("direction")
        if (
            previous_g is None
            or k % restart_every == 0
            or abs(float(g.dot(previous_g))) >= 0.1 * float(g.dot(g))
        ):
            d = -g
        else:
            denominator = float(previous_g.dot(previous_g))
            if group["beta"] == "fr":
                beta = float(g.dot(g)) / denominator
            else:
                beta = max(0.0, float(g.dot(g - previous_g)) / denominator)
            d = -g + beta * previous_d
            if float(g.dot(d)) >= 0:
                d = -g
        if previous_g is None:
            t = first_step_length(g, group["lr"])
        else:
            # Nocedal & Wright eq. 3.60: expect the same first-order change as the last step.
            t = min(1.0, 1.01 * state["step_length"] * float(previous_g.dot(previous_d)) / float(g.dot(d)))
        _, _, t, _ = flat.wolfe_step(x, loss, g, d, t, c2=0.1)
        state.update(previous_grad=g, direction=d, step_length=t, step=k + 1)
        return torch.tensor(loss)
