"""The Hessian's extreme eigenvalues, condition number and (for small models) whole spectrum, by Lanczos on HVPs.

Only Hessian-vector products are needed (Pearlmutter 1994; :func:`~trainlab.diagnose.instruments.hessian.hessian_vector_product`),
so the Hessian is never formed. Lanczos (with full re-orthogonalization, so the Ritz values do
not repeat) builds a k × k tridiagonal matrix whose eigenvalues approximate the Hessian's extreme
ones after a few dozen products; after n products (n parameters) they are the whole spectrum.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch

from trainlab.diagnose.instruments.hessian import hessian_vector_product

FlatOperator = Callable[[torch.Tensor], torch.Tensor]


def lanczos(operator: FlatOperator, dimension: int, iterations: int, *, seed: int = 0) -> torch.Tensor:
    """Ritz values (ascending) of a symmetric operator after ``iterations`` Lanczos steps, in float64.

    Args:
        operator: v ↦ A v on flat float64 vectors of length ``dimension``.
        dimension: Length of the vectors.
        iterations: Lanczos steps (operator applications), capped at ``dimension``; at ``dimension``
            the Ritz values are A's eigenvalues.
        seed: Seed of the random starting vector.

    Reference:
        Golub & Van Loan 2013, Matrix Computations, 4th ed., §10.1 (Lanczos), §10.3 (re-orthogonalization).
    """
    steps = min(iterations, dimension)
    generator = torch.Generator().manual_seed(seed)
    vector = torch.randn(dimension, generator=generator, dtype=torch.float64)
    vector /= vector.norm()
    basis = torch.zeros(steps, dimension, dtype=torch.float64)
    alphas: list[float] = []
    betas: list[float] = []
    for step in range(steps):
        basis[step] = vector
        product = operator(vector)
        alpha = float(product.dot(vector))
        alphas.append(alpha)
        # Full re-orthogonalization, twice ("twice is enough"): without it, round-off makes the
        # basis lose orthogonality and converged eigenvalues reappear as spurious copies.
        for _ in range(2):
            product -= basis[: step + 1].T @ (basis[: step + 1] @ product)
        beta = float(product.norm())
        if step == steps - 1 or beta <= 1e-10 * max(abs(alpha), 1e-30):
            break  # a full basis, or an invariant subspace: T's eigenvalues are exact ones of A
        betas.append(beta)
        vector = product / beta
    size = len(alphas)
    tridiagonal = torch.diag(torch.tensor(alphas, dtype=torch.float64))
    if size > 1:
        off = torch.tensor(betas[: size - 1], dtype=torch.float64)
        tridiagonal += torch.diag(off, 1) + torch.diag(off, -1)
    return torch.linalg.eigvalsh(tridiagonal)


def dense_matrix(operator: FlatOperator, dimension: int) -> torch.Tensor:
    """The operator as a dense symmetric matrix, one column per basis vector (symmetrized against round-off)."""
    columns = torch.stack([operator(basis) for basis in torch.eye(dimension, dtype=torch.float64)], 1)
    return (columns + columns.T) / 2


def hessian_operator(loss: torch.Tensor, params: Sequence[torch.Tensor]) -> FlatOperator:
    """v ↦ ∇²loss · v on flat float64 vectors, for the loss over ``params`` (its graph is kept)."""
    params = list(params)
    grads = torch.autograd.grad(loss, params, create_graph=True)

    def apply(flat: torch.Tensor) -> torch.Tensor:
        vector, offset = [], 0
        for p in params:
            vector.append(flat[offset : offset + p.numel()].view_as(p).to(p.dtype))
            offset += p.numel()
        products = hessian_vector_product(grads, params, vector)
        return torch.cat([h.reshape(-1) for h in products]).double()

    return apply


def hessian_spectrum(
    loss: torch.Tensor, params: Iterable[torch.Tensor], *, iterations: int = 60, seed: int = 0
) -> dict[str, Any]:
    """The Hessian's top and bottom eigenvalues, its condition number and the Ritz values.

    Args:
        loss: A scalar loss whose graph reaches ``params``.
        params: The tensors the Hessian is taken over.
        iterations: Hessian-vector products; with at least as many as there are parameters the
            Hessian is formed column by column instead and the result is the whole spectrum, with
            multiplicities (``exact`` is then True).
        seed: Seed of Lanczos's starting vector.

    Returns:
        ``top`` and ``bottom`` (largest and smallest eigenvalue), ``condition_number`` (top / bottom
        when the Hessian is positive definite, else inf: a saddle or flat direction has no finite
        one), ``ritz_values``, ``parameters`` and ``exact``.
    """
    params = list(params)  # model.parameters() is a one-pass generator
    dimension = sum(p.numel() for p in params)
    operator = hessian_operator(loss, params)
    if iterations >= dimension:
        # Lanczos finds each distinct eigenvalue once; the dense matrix keeps their multiplicities.
        values = torch.linalg.eigvalsh(dense_matrix(operator, dimension))
    else:
        values = lanczos(operator, dimension, iterations, seed=seed)
    top, bottom = float(values[-1]), float(values[0])
    return {
        "top": top,
        "bottom": bottom,
        "condition_number": top / bottom if bottom > 0 else math.inf,
        "ritz_values": values.tolist(),
        "parameters": dimension,
        "exact": iterations >= dimension,
    }


def run_curvature(
    run_dir: Any,
    *,
    samples: int = 512,
    iterations: int = 40,
    full_spectrum: bool = False,
    seed: int = 0,
    trust_code: bool = False,
) -> dict[str, Any]:
    """:func:`hessian_spectrum` of a finished run's training loss at its final weights.

    The loss is the recipe's data loss (no regularizer penalties) over the first ``samples``
    training samples, a fixed batch, with the model in eval mode (batch norm uses its running
    statistics, dropout is off), so the same call gives the same numbers.

    Args:
        run_dir: A directory written by ``fit``.
        samples: Training samples in the fixed batch.
        iterations: Lanczos steps (Hessian-vector products).
        full_spectrum: Take as many steps as there are parameters, so the Ritz values are the spectrum.
        seed: Seed of Lanczos's starting vector.
        trust_code: Consent to run the code the run's recipe references.
    """
    from trainlab.errors import TrainlabError
    from trainlab.losses.terms import LossTerms
    from trainlab.theory._run import first_samples, load_run

    if samples < 1 or iterations < 2:
        raise TrainlabError("--samples must be at least 1 and --iterations at least 2")
    parts = load_run(run_dir, trust_code=trust_code)
    inputs, targets = first_samples(parts, "train", samples)
    params = [p for p in parts.model.parameters() if p.requires_grad]
    dimension = sum(p.numel() for p in params)
    if full_spectrum and dimension > SPECTRUM_LIMIT:
        raise TrainlabError(
            f"--spectrum takes one Hessian-vector product per parameter and this model has {dimension:,} "
            f"(the limit is {SPECTRUM_LIMIT:,}); drop --spectrum for the extreme eigenvalues by Lanczos"
        )
    with torch.enable_grad():
        loss = parts.loss_fn(parts.model(inputs), targets)
        if isinstance(loss, LossTerms):  # a loss of named parts (a VAE's): its minimized total
            loss = loss.total
        result = hessian_spectrum(
            loss, params, iterations=dimension if full_spectrum else iterations, seed=seed
        )
    return {**result, "samples": len(inputs), "loss": float(loss.detach())}


# Whole spectra beyond this many parameters take too many products (and a basis of n² floats).
SPECTRUM_LIMIT = 5000
