"""Damped Newton's method with the exact Hessian, for small full-batch problems."""

from __future__ import annotations

import warnings
from typing import Any

import torch

from trainlab.optim._catalog import NonNegativeFloat, Params, PositiveFloat, registered
from trainlab.optim._full_batch import FlatParams, accepts_keyword, as_float, jacobian_rows, needs_closure


@registered(
    "newton",
    reference="Nocedal & Wright 2006, Numerical Optimization, ch. 3.3-3.4 (Newton with Hessian modification)",
    flags={
        "family": "second_order",
        "second_order": True,
        "needs_closure": True,
        "full_batch": True,
        "ours": True,
    },
    hidden=("tolerance_grad",),
)
class Newton(torch.optim.Optimizer):
    r"""Damped Newton: exact Hessian (torch autograd, vmapped rows), Cholesky solve, backtracking; tiny full-batch problems.

    Nocedal & Wright 2006, ch. 3.4 (Hessian modification) and 3.1 (backtracking):

    .. math::
        (∇^2 f(x) + λ I)\, p = −∇f(x), \qquad x ← x + α p

    λ starts at ``damping`` and grows ×10 until the shifted Hessian has a Cholesky factor (so p is
    a descent direction even where f is not convex); α starts at ``lr`` and halves until the
    Armijo condition f(x + αp) ≤ f(x) + 10⁻⁴ α ∇fᵀp holds.

    The Hessian is exact: the closure is called as ``closure(create_graph=True)`` and must pass
    that to ``backward`` (the trainer's closure does), so the gradient can be differentiated once more, all n rows at once with vmap (``is_grads_batched``).
    The cost is n backward passes' worth of work and n² memory: for problems up to a few thousand
    parameters.

    Args:
        params: Parameters (all groups are treated as one vector).
        lr: Initial step length α (1 is the pure Newton step).
        damping: Initial shift λ of the Hessian, raised until it is positive definite.
        tolerance_grad: Stop stepping once ‖g‖∞ is below this.
    """

    needs_closure = True

    def __init__(
        self,
        params: Params,
        lr: PositiveFloat = 1.0,
        damping: NonNegativeFloat = 1e-8,
        tolerance_grad: float = 1e-12,
    ):
        super().__init__(params, dict(lr=lr, damping=damping, tolerance_grad=tolerance_grad))

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        needs_closure("Newton", closure)
        group = self.param_groups[0]
        params = [p for g in self.param_groups for p in g["params"]]
        flat = FlatParams(params, closure)
        with torch.enable_grad(), warnings.catch_warnings():
            # Keeping the graph of param.grad is the point here, not the leak torch warns about.
            warnings.filterwarnings("ignore", message=".*create_graph=True.*reference cycle.*")
            loss = as_float(_call_with_graph(closure))
            graph_grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
            g = torch.cat([gr.reshape(-1) for gr in graph_grads])
            if not g.requires_grad or float(g.detach().abs().max()) <= group["tolerance_grad"]:
                hessian = None
            else:
                hessian = jacobian_rows(g, params)
        g = g.detach()
        for p in params:  # drop the graph the gradients carry
            p.grad = None if p.grad is None else p.grad.detach()
        if hessian is None:
            return torch.tensor(loss)
        hessian = (hessian + hessian.T) / 2
        d = _damped_solve(hessian, g, group["damping"])
        x, slope, t = flat.get(), float(g.dot(d)), group["lr"]
        for _ in range(40):
            flat.set(x + t * d)
            with torch.enable_grad():
                if as_float(closure()) <= loss + 1e-4 * t * slope:
                    break
            t /= 2
        self.state[params[0]]["step"] = self.state[params[0]].get("step", 0) + 1
        return torch.tensor(loss)


def _damped_solve(hessian: torch.Tensor, g: torch.Tensor, damping: float) -> torch.Tensor:
    eye = torch.eye(len(g), dtype=g.dtype, device=g.device)
    shift = damping
    for _ in range(30):
        factor, info = torch.linalg.cholesky_ex(hessian + shift * eye)
        if int(info) == 0:
            return -torch.cholesky_solve(g.unsqueeze(1), factor).squeeze(1)
        shift = max(10 * shift, 1e-6)
    return -g  # curvature unusable even heavily damped: fall back to the gradient direction


def _call_with_graph(closure: Any) -> Any:
    """Call ``closure(create_graph=True)``, so that the gradients it leaves can be differentiated again."""
    if not accepts_keyword(closure, "create_graph"):
        raise TypeError(
            "Newton differentiates the gradient once more, so its closure must accept create_graph and pass it "
            "to backward: def closure(create_graph=False): optimizer.zero_grad(); loss = f(); "
            "loss.backward(create_graph=create_graph); return loss (the trainer's closure does)"
        )
    return closure(create_graph=True)
