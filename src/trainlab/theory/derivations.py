"""The canon's backpropagation derivations, each checked against autograd on random inputs in float64.

Every :class:`Derivation` states its formula and computes both sides: the closed form written out
with tensor operations, and what autograd gets for the same quantity. ``trainlab explain NAME``
prints them; the check passes when the largest absolute difference is round-off (≤ 1e-10).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

TOLERANCE = 1e-10
Pairs = dict[str, tuple[torch.Tensor, torch.Tensor]]  # quantity -> (formula, autograd)


@dataclass(frozen=True)
class Derivation:
    """A derivation: its formula as text and a function from a generator to (formula, autograd) pairs."""

    name: str
    title: str
    formula: str
    compute: Callable[[torch.Generator], Pairs]

    def check(self, seed: int = 0) -> dict[str, float]:
        """The largest absolute difference between formula and autograd, per quantity."""
        pairs = self.compute(torch.Generator().manual_seed(seed))
        return {name: float((ours - auto).abs().max()) for name, (ours, auto) in pairs.items()}


def _randn(generator: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=generator, dtype=torch.float64)


def _softmax_jacobian(generator: torch.Generator) -> Pairs:
    logits = _randn(generator, 6)
    s = torch.softmax(logits, 0)
    formula = torch.diag(s) - torch.outer(s, s)  # s_i δ_ij − s_i s_j
    return {"∂s/∂z": (formula, torch.autograd.functional.jacobian(lambda z: torch.softmax(z, 0), logits))}


def _cross_entropy_gradient(generator: torch.Generator) -> Pairs:
    logits = _randn(generator, 8, 5).requires_grad_()
    labels = torch.randint(0, 5, (8,), generator=generator)
    F.cross_entropy(logits, labels).backward()
    p, y = torch.softmax(logits.detach(), 1), F.one_hot(labels, 5).double()
    return {"∂L/∂z": ((p - y) / len(labels), logits.grad)}  # type: ignore[dict-item]


def _sigmoid_bce(generator: torch.Generator) -> Pairs:
    logits = _randn(generator, 8, 3).requires_grad_()
    targets = (torch.rand(8, 3, generator=generator, dtype=torch.float64) < 0.5).double()
    F.binary_cross_entropy(torch.sigmoid(logits), targets).backward()
    return {"∂L/∂z": ((torch.sigmoid(logits.detach()) - targets) / targets.numel(), logits.grad)}  # type: ignore[dict-item]


def _mse(generator: torch.Generator) -> Pairs:
    predictions = _randn(generator, 8, 3).requires_grad_()
    targets = _randn(generator, 8, 3)
    F.mse_loss(predictions, targets).backward()
    return {"∂L/∂ŷ": (2 * (predictions.detach() - targets) / targets.numel(), predictions.grad)}  # type: ignore[dict-item]


def _dense_backward(generator: torch.Generator) -> Pairs:
    x = _randn(generator, 7, 4).requires_grad_()
    weight = _randn(generator, 3, 4).requires_grad_()
    bias = _randn(generator, 3).requires_grad_()
    delta = _randn(generator, 7, 3)  # ∂L/∂y from the layers above, for L = Σ δ ⊙ y
    (F.linear(x, weight, bias) * delta).sum().backward()
    return {
        "∂L/∂W = δᵀx": (delta.T @ x.detach(), weight.grad),  # type: ignore[dict-item]
        "∂L/∂b = Σ_n δ": (delta.sum(0), bias.grad),  # type: ignore[dict-item]
        "∂L/∂x = δW": (delta @ weight.detach(), x.grad),  # type: ignore[dict-item]
    }


def _batch_norm_backward(generator: torch.Generator) -> Pairs:
    x = _randn(generator, 10, 3).requires_grad_()
    gamma = _randn(generator, 3).requires_grad_()
    beta = _randn(generator, 3).requires_grad_()
    delta = _randn(generator, 10, 3)
    eps = 1e-5
    (F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps) * delta).sum().backward()
    n = x.shape[0]
    centred = x.detach() - x.detach().mean(0)
    inverse_std = (centred.pow(2).mean(0) + eps).rsqrt()  # the biased batch variance
    normalized = centred * inverse_std
    dx = (
        gamma.detach()
        * inverse_std
        / n
        * (n * delta - delta.sum(0) - normalized * (delta * normalized).sum(0))
    )
    return {
        "∂L/∂γ = Σ δ x̂": ((delta * normalized).sum(0), gamma.grad),  # type: ignore[dict-item]
        "∂L/∂β = Σ δ": (delta.sum(0), beta.grad),  # type: ignore[dict-item]
        "∂L/∂x": (dx, x.grad),  # type: ignore[dict-item]
    }


DERIVATIONS: dict[str, Derivation] = {
    d.name: d
    for d in (
        Derivation(
            "softmax_jacobian",
            "Jacobian of softmax",
            "s = softmax(z), s_i = e^{z_i} / Σ_k e^{z_k}\n∂s_i/∂z_j = s_i (δ_ij − s_j)   i.e.  J = diag(s) − s sᵀ",
            _softmax_jacobian,
        ),
        Derivation(
            "cross_entropy_gradient",
            "Gradient of softmax cross-entropy",
            "L = −(1/N) Σ_n log s_{y_n}(z_n)\n∂L/∂z_n = (p_n − y_n) / N, p = softmax(z), y one-hot",
            _cross_entropy_gradient,
        ),
        Derivation(
            "sigmoid_bce",
            "Gradient of sigmoid + binary cross-entropy",
            "p = σ(z), L = −mean[y log p + (1 − y) log(1 − p)]\n∂L/∂z = (σ(z) − y) / m   (σ' = σ(1 − σ) cancels the denominators)",
            _sigmoid_bce,
        ),
        Derivation(
            "mse",
            "Gradient of mean squared error",
            "L = (1/m) Σ (ŷ − y)²\n∂L/∂ŷ = 2 (ŷ − y) / m",
            _mse,
        ),
        Derivation(
            "dense_backward",
            "Backward pass of a dense layer",
            "y = x Wᵀ + b, δ = ∂L/∂y (rows are samples)\n∂L/∂W = δᵀ x,  ∂L/∂b = Σ_n δ_n,  ∂L/∂x = δ W",
            _dense_backward,
        ),
        Derivation(
            "batch_norm_backward",
            "Backward pass of batch normalization (training mode)",
            "x̂ = (x − μ_B) / √(σ²_B + ε), y = γ x̂ + β, δ = ∂L/∂y, N samples\n"
            "∂L/∂γ = Σ δ x̂,  ∂L/∂β = Σ δ,\n"
            "∂L/∂x = γ / (N √(σ²_B + ε)) · (N δ − Σ δ − x̂ Σ (δ x̂))   (Ioffe & Szegedy 2015)",
            _batch_norm_backward,
        ),
    )
}
