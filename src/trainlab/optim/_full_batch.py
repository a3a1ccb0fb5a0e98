"""Flat-vector plumbing shared by the classical full-batch methods (newton, bfgs, cg, levenberg_marquardt)."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import torch
from torch.optim.lbfgs import _strong_wolfe  # torch's strong-Wolfe line search (Nocedal & Wright, Alg. 3.5)


class FlatParams:
    """The parameters of one optimizer seen as one vector x, with f(x) and ∇f(x) from a closure."""

    def __init__(self, params: list[torch.Tensor], closure: Callable[[], Any]):
        self.params = params
        self.closure = closure

    def get(self) -> torch.Tensor:
        return torch.cat([p.detach().reshape(-1) for p in self.params])

    def set(self, flat: torch.Tensor) -> None:
        offset = 0
        for p in self.params:
            p.copy_(flat[offset : offset + p.numel()].view_as(p))
            offset += p.numel()

    def grad(self) -> torch.Tensor:
        return torch.cat(
            [
                (p.grad if p.grad is not None else torch.zeros_like(p)).detach().reshape(-1)
                for p in self.params
            ]
        )

    def evaluate(self) -> tuple[float, torch.Tensor]:
        with torch.enable_grad():
            loss = as_float(self.closure())
        return loss, self.grad()

    def along(self, x: torch.Tensor, t: float, d: torch.Tensor) -> tuple[float, torch.Tensor]:
        """f and ∇f at x + t·d; the parameters are left at x (the line search's contract)."""
        self.set(x + t * d)
        result = self.evaluate()
        self.set(x)
        return result

    def wolfe_step(
        self, x: torch.Tensor, loss: float, g: torch.Tensor, d: torch.Tensor, t: float, c2: float = 0.9
    ) -> tuple[float, torch.Tensor, float, int]:
        """Strong-Wolfe line search along d from x; moves the parameters to the accepted point.

        Returns:
            The new loss, gradient, step length and number of function evaluations.
        """
        slope = float(g.dot(d))
        if not slope < 0 or not math.isfinite(t) or t <= 0:
            return loss, g, 0.0, 0  # converged to round-off: no descent left to search along
        try:
            new_loss, new_g, t, evaluations = _strong_wolfe(
                lambda x_, t_, d_: self.along(x_, t_, d_), x, t, d, loss, g, slope, c2=c2
            )
        except ZeroDivisionError:  # the bracketing interval collapsed at round-off level
            return loss, g, 0.0, 0
        self.set(x + t * d)
        return new_loss, new_g, t, evaluations


def accepts_keyword(closure: Any, keyword: str) -> bool:
    """Whether ``closure`` can be called with ``keyword=...`` (named, or through ``**kwargs``)."""
    try:
        parameters = list(inspect.signature(closure).parameters.values())
    except (TypeError, ValueError):
        return False
    return any(p.name == keyword or p.kind is p.VAR_KEYWORD for p in parameters)


def as_float(loss: Any) -> float:
    return float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss)


def needs_closure(name: str, closure: Any) -> None:
    if closure is None:
        raise RuntimeError(
            f"{name} needs a closure that recomputes the loss and gradients (the trainer passes one)"
        )


def first_step_length(g: torch.Tensor, lr: float) -> float:
    # As torch's L-BFGS: a first step of length ≤ lr in the L1 sense, since no curvature is known yet.
    return min(1.0, 1.0 / float(g.abs().sum())) * lr if float(g.abs().sum()) > 0 else lr


def jacobian_rows(vector: torch.Tensor, params: list[torch.Tensor], chunk: int = 256) -> torch.Tensor:
    """∂vector/∂x as an (m, n) matrix, ``chunk`` rows per vmapped backward pass to bound memory.

    ``vector`` must carry a graph to ``params``: a gradient built with ``create_graph=True`` (its
    Jacobian is the Hessian) or a residual vector.
    """
    eye = torch.eye(len(vector), dtype=vector.dtype, device=vector.device)
    blocks = []
    for start in range(0, len(vector), chunk):
        rows = torch.autograd.grad(
            vector,
            params,
            grad_outputs=eye[start : start + chunk],
            retain_graph=True,
            is_grads_batched=True,
            allow_unused=True,
            materialize_grads=True,
        )
        blocks.append(torch.cat([r.reshape(len(rows[0]), -1) for r in rows], dim=1))
    return torch.cat(blocks)
