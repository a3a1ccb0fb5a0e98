"""Opt-in: the Hessian's top eigenvalue by power iteration on Hessian-vector products, and sharpness against 2/lr."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import torch
from pydantic import Field
from torch.utils.hooks import RemovableHandle

from trainlab.diagnose.instruments._base import SampledStep
from trainlab.diagnose.instruments.registry import INSTRUMENTS


def hessian_top_eigenvalue(
    loss: torch.Tensor, params: Sequence[torch.Tensor], *, iterations: int = 20, seed: int = 0
) -> torch.Tensor:
    """The eigenvalue of largest magnitude of ∇²loss over ``params``, by power iteration.

    Each iteration is one Hessian-vector product (Pearlmutter 1994): the gradient of g·v, where
    g = ∇loss is built once with ``create_graph=True``. The estimate is the Rayleigh quotient
    vᵀHv of the last iterate. A fixed number of iterations keeps it free of device syncs.
    """
    grads = torch.autograd.grad(loss, list(params), create_graph=True)
    generator = torch.Generator(device=params[0].device).manual_seed(seed)
    vector = [torch.randn(p.shape, generator=generator, device=p.device, dtype=p.dtype) for p in params]
    vector = list(torch._foreach_div(vector, _norm(vector)))
    eigenvalue = torch.zeros((), device=params[0].device)
    for _ in range(iterations):
        product = hessian_vector_product(grads, params, vector)
        eigenvalue = sum((h * v).sum() for h, v in zip(product, vector, strict=True))  # type: ignore[assignment]
        vector = list(torch._foreach_div(list(product), _norm(list(product)) + 1e-30))
    return eigenvalue


def hessian_vector_product(
    grads: Sequence[torch.Tensor], params: Sequence[torch.Tensor], vector: Sequence[torch.Tensor]
) -> tuple[torch.Tensor, ...]:
    """H·v, the gradient of g·v, where ``grads`` = ∇loss over ``params`` was built with ``create_graph=True``."""
    return torch.autograd.grad(list(grads), list(params), grad_outputs=list(vector), retain_graph=True)


def _norm(tensors: list[torch.Tensor]) -> torch.Tensor:
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(tensors)))


@INSTRUMENTS.register(
    "hessian",
    reference="Pearlmutter 1994, Fast Exact Multiplication by the Hessian (Neural Computation); "
    "Cohen, Kaur, Li, Kolter & Talwalkar 2021, Gradient Descent on Neural Networks Typically Occurs "
    "at the Edge of Stability (ICLR)",
    flags={"expensive": True},
)
class HessianTopEigenvalue:
    """Opt-in and expensive: the top Hessian eigenvalue of the loss, and how it compares with 2/lr.

    On a sampled step, before the update, the data loss of the step's first micro-batch is
    evaluated again with a graph for second derivatives (costing about ``iterations`` extra
    backward passes). The ``model`` row gets ``hessian_top`` (λ_max) and ``sharpness_x_lr_over_2``
    = λ_max · lr / 2: gradient descent on a quadratic diverges along the top direction when this
    exceeds 1, and full-batch training tends to hover there (the edge of stability). Regularizer
    penalties are not included. The random numbers and batch-norm statistics of the extra pass
    are restored, so the run trains exactly as it would without it.

    Args:
        iterations: Power-iteration steps (Hessian-vector products).
        seed: Seed of the starting vector.
    """

    needs_batch = True

    def __init__(self, iterations: Annotated[int, Field(ge=1)] = 20, seed: int = 0):
        self.iterations = iterations
        self.seed = seed

    def attach(self, sampled: SampledStep) -> Sequence[RemovableHandle]:
        return ()

    def after_backward(self, sampled: SampledStep) -> None:
        if sampled.loss_fn is None or sampled.inputs is None or sampled.targets is None:
            return
        params = [p for _, p in sampled.named_trained_parameters()]
        if not params:
            return
        model = sampled.model
        buffers = [b.detach().clone() for b in model.buffers()]
        devices = [params[0].device] if params[0].device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices), torch.enable_grad():
            loss = sampled.loss_fn(model(sampled.inputs), sampled.targets)
            top = hessian_top_eigenvalue(loss, params, iterations=self.iterations, seed=self.seed)
        with torch.no_grad():
            for buffer, saved in zip(model.buffers(), buffers, strict=True):
                buffer.copy_(saved)
        top = top.detach()
        lr = sampled.lr
        sampled.add(
            "model",
            "model",
            hessian_top=top,
            sharpness_x_lr_over_2=top * lr / 2 if lr is not None else None,
        )

    def after_step(self, sampled: SampledStep) -> None:
        pass
