"""Levenberg-Marquardt with adaptive damping, and Gauss-Newton as its undamped case, for least squares."""

from __future__ import annotations

from typing import Any

import torch

from trainlab.optim._catalog import NonNegativeFloat, Params, PositiveFloat, PositiveInt, registered
from trainlab.optim._full_batch import FlatParams, accepts_keyword, jacobian_rows, needs_closure

_REFERENCE = (
    "Levenberg 1944, A Method for the Solution of Certain Non-Linear Problems in Least Squares; "
    "Marquardt 1963, An Algorithm for Least-Squares Estimation of Nonlinear Parameters; "
    "Nielsen 1999, Damping Parameter in Marquardt's Method (the damping update); "
    "Nocedal & Wright 2006, Numerical Optimization, ch. 10.3"
)
_FLAGS = {
    "family": "second_order",
    "needs_closure": True,
    "needs_residuals": True,
    "full_batch": True,
    "ours": True,
}


@registered(
    "levenberg_marquardt", reference=_REFERENCE, aliases=("lm",), flags=_FLAGS, hidden=("tolerance_grad",)
)
class LevenbergMarquardt(torch.optim.Optimizer):
    r"""Levenberg-Marquardt: damped Gauss-Newton steps on the residuals of a least-squares loss; full batch.

    For f(x) = ‖r(x)‖² with Jacobian J = ∂r/∂x, each step solves (Marquardt 1963, Nielsen 1999)

    .. math::
        (JᵀJ + λ D)\, δ = −Jᵀ r, \qquad D = \operatorname{diag}(JᵀJ) \text{ or } I

    and compares the actual decrease of ½‖r‖² with the decrease the linear model r + Jδ predicts,
    ρ = (½‖r‖² − ½‖r(x+δ)‖²) / (−δᵀJᵀr − ½ δᵀJᵀJδ). A step with ρ > 0 is taken and λ shrinks,
    λ ← λ·max(1/3, 1 − (2ρ − 1)³), ν ← 2; otherwise the step is retried with λ ← λν, ν ← 2ν.
    Small λ gives the Gauss-Newton step, large λ a short gradient-descent step.

    The closure must accept ``residuals`` and, called as ``closure(residuals=True)``, return the
    residual vector r (with its graph, no backward) such that the loss is ‖r‖²; the trainer's
    closure does so for ``mse`` (r = (outputs − targets)/√m). J is formed row by row (m × n), so
    this is for problems of up to a few thousand parameters and residuals.

    Args:
        params: Parameters (all groups are treated as one vector).
        lr: Fraction of the solved step δ that is taken (1 is the Levenberg-Marquardt step).
        damping: Initial damping λ (relative to diag(JᵀJ) with ``scale_by_curvature``).
        scale_by_curvature: Damp with D = diag(JᵀJ) (Marquardt, invariant to rescaling parameters)
            instead of the identity (Levenberg).
        max_tries: Damping increases tried in one step before giving up on a decrease.
        tolerance_grad: Stop stepping once ‖Jᵀr‖∞ is below this.
    """

    needs_closure = True
    needs_residuals = True
    catalog_name = "levenberg_marquardt"

    def __init__(
        self,
        params: Params,
        lr: PositiveFloat = 1.0,
        damping: NonNegativeFloat = 1e-3,
        scale_by_curvature: bool = True,
        max_tries: PositiveInt = 30,
        tolerance_grad: float = 1e-12,
    ):
        defaults = dict(
            lr=lr,
            damping=damping,
            scale_by_curvature=scale_by_curvature,
            max_tries=max_tries,
            tolerance_grad=tolerance_grad,
        )
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        needs_closure(type(self).__name__, closure)
        _check_residual_closure(closure)
        group = self.param_groups[0]
        params = [p for g in self.param_groups for p in g["params"]]
        flat = FlatParams(params, closure)
        state = self.state[params[0]]
        damping = state.get("damping", group["damping"])
        growth = state.get("growth", 2.0)
        with torch.enable_grad():
            residual = closure(residuals=True)
            jacobian = jacobian_rows(residual, params).double()
        residual = residual.detach().double()
        half_loss = 0.5 * float(residual.dot(residual))
        gradient = jacobian.T @ residual
        state["step"] = state.get("step", 0) + 1
        if float(gradient.abs().max()) <= group["tolerance_grad"]:
            return torch.tensor(2 * half_loss)
        x = flat.get()
        if damping == 0:
            _gauss_newton_step(flat, closure, x, jacobian, residual, gradient, half_loss, group["lr"])
            return torch.tensor(2 * half_loss)
        scale = (
            jacobian.pow(2).sum(0).clamp_min(1e-12)  # diag(JᵀJ), without forming JᵀJ
            if group["scale_by_curvature"]
            else torch.ones_like(gradient)
        )
        for _ in range(group["max_tries"]):
            delta = group["lr"] * _damped_solve(jacobian, residual, damping * scale)
            predicted = -float(delta.dot(gradient)) - 0.5 * float((jacobian @ delta).pow(2).sum())
            flat.set(x + delta.to(x.dtype))
            with torch.enable_grad():
                new_residual = closure(residuals=True).detach().double()
            actual = half_loss - 0.5 * float(new_residual.dot(new_residual))
            ratio = actual / predicted if predicted > 0 else -1.0
            if ratio > 0:
                damping *= max(1 / 3, 1 - (2 * ratio - 1) ** 3)
                growth = 2.0
                break
            flat.set(x)
            damping *= growth
            growth *= 2
        state["damping"], state["growth"] = damping, growth
        return torch.tensor(2 * half_loss)


@registered(
    "gauss_newton",
    reference="Gauss 1809, Theoria Motus; Nocedal & Wright 2006, Numerical Optimization, ch. 10.3",
    flags=_FLAGS,
    hidden=("tolerance_grad",),
)
class GaussNewton(LevenbergMarquardt):
    r"""Gauss-Newton: Levenberg-Marquardt without damping (λ = 0), with a backtracking line search; full batch.

    The direction is the least-squares solution of J δ = −r (minimum norm where J is rank
    deficient), i.e. (JᵀJ) δ = −Jᵀr: Newton's step with the Hessian of ‖r‖² approximated by 2JᵀJ
    (the residual curvature Σ rᵢ∇²rᵢ dropped). The step length starts at ``lr`` and halves until
    the Armijo condition holds (Nocedal & Wright 2006, §10.3, "Gauss-Newton with a line search"):
    undamped, the full step overshoots far from a zero-residual minimum. The closure is as for
    ``levenberg_marquardt``.

    Args:
        params: Parameters (all groups are treated as one vector).
        lr: Initial step length (1 is the full Gauss-Newton step).
        tolerance_grad: Stop stepping once ‖Jᵀr‖∞ is below this.
    """

    catalog_name = "gauss_newton"

    def __init__(self, params: Params, lr: PositiveFloat = 1.0, tolerance_grad: float = 1e-12):
        super().__init__(params, lr=lr, damping=0.0, tolerance_grad=tolerance_grad)


def _gauss_newton_step(
    flat: FlatParams,
    closure: Any,
    x: torch.Tensor,
    jacobian: torch.Tensor,
    residual: torch.Tensor,
    gradient: torch.Tensor,
    half_loss: float,
    lr: float,
) -> None:
    """x + t δ with δ the least-squares solution of J δ = −r and t from ``lr`` halved until Armijo holds."""
    # Minimum-norm where J is rank deficient; a descent direction whenever Jᵀr ≠ 0.
    delta = torch.linalg.lstsq(jacobian, -residual.unsqueeze(1)).solution.squeeze(1)
    slope, t = float(gradient.dot(delta)), lr
    for _ in range(40):
        flat.set(x + (t * delta).to(x.dtype))
        with torch.enable_grad():
            new_residual = closure(residuals=True).detach().double()
        if 0.5 * float(new_residual.dot(new_residual)) <= half_loss + 1e-4 * t * slope:
            return
        t /= 2
    flat.set(x)  # no decrease along δ at round-off level: stay


def _damped_solve(jacobian: torch.Tensor, residual: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """δ = −(JᵀJ + S)⁻¹ Jᵀ r for the positive diagonal S = diag(shift), in the smaller of the two spaces.

    With fewer residuals m than parameters n (a network on a small batch) the m × m system is solved
    instead: (JᵀJ + S)⁻¹ Jᵀ = S⁻¹ Jᵀ (J S⁻¹ Jᵀ + I)⁻¹ (the push-through identity), so no n × n matrix
    is formed. Both matrices are positive definite, so Cholesky applies; should round-off break that,
    the least-squares solve still gives a step.
    """
    rows, columns = jacobian.shape
    if rows < columns:
        scaled = jacobian / shift  # J S⁻¹
        system = scaled @ jacobian.T + torch.eye(rows, dtype=jacobian.dtype, device=jacobian.device)
        return -(scaled.T @ _spd_solve(system, residual))
    return -_spd_solve(jacobian.T @ jacobian + torch.diag(shift), jacobian.T @ residual)


def _spd_solve(matrix: torch.Tensor, vector: torch.Tensor) -> torch.Tensor:
    factor, info = torch.linalg.cholesky_ex(matrix)
    if int(info) != 0:
        return torch.linalg.lstsq(matrix, vector.unsqueeze(1)).solution.squeeze(1)
    return torch.cholesky_solve(vector.unsqueeze(1), factor).squeeze(1)


def _check_residual_closure(closure: Any) -> None:
    if not accepts_keyword(closure, "residuals"):
        raise TypeError(
            "Levenberg-Marquardt needs the residuals, not just the loss: the closure must accept residuals and, "
            "called as closure(residuals=True), return r with loss = ||r||^2 (the trainer's closure does for mse): "
            "def closure(residuals=False): r = (model(x) - y).flatten(); "
            "return r if residuals else r.pow(2).sum()"
        )
