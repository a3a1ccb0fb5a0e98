"""Iterations to reach the minimizer to 1e-6 (Euclidean distance): gradient descent, newton, bfgs, cg, levenberg_marquardt, gauss_newton.

Both functions are sums of squares, so the least-squares methods take their residuals.

Gradient descent uses its best fixed step for each function (just under the stability limit
2/L at the start), in float64, from the playground's start points.

    python benchmarks/classical_iterations.py
"""

from __future__ import annotations

import torch

from trainlab.optim import BFGS, ConjugateGradient, GaussNewton, LevenbergMarquardt, Newton
from trainlab.playground.functions import FUNCTIONS

GD_STEP = {"quadratic": 0.0199, "rosenbrock": 0.0019}
LIMIT = 200_000


def iterations(function, make_optimizer, closure_style: bool) -> int | None:
    x = torch.tensor(function.start, dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([x])

    def closure(create_graph=False, residuals=False):
        if residuals:
            return function.residuals(x[0], x[1])
        optimizer.zero_grad()
        loss = function(x)
        loss.backward(create_graph=create_graph)
        return loss

    for step in range(1, LIMIT + 1):
        if closure_style:
            optimizer.step(closure)
        else:
            closure()
            optimizer.step()
        if function.distance_to_minimum(x) < 1e-6:
            return step
    return None


def main() -> None:
    print(
        "| function | gradient descent | newton | bfgs | cg (PR+) | cg (FR) | levenberg_marquardt | gauss_newton |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in ("quadratic", "rosenbrock"):
        function = FUNCTIONS[name]
        counts = [
            iterations(function, lambda p, n=name: torch.optim.SGD(p, lr=GD_STEP[n]), False),
            iterations(function, Newton, True),
            iterations(function, BFGS, True),
            iterations(function, ConjugateGradient, True),
            iterations(function, lambda p: ConjugateGradient(p, beta="fr"), True),
            iterations(function, LevenbergMarquardt, True),
            iterations(function, GaussNewton, True),
        ]
        print(f"| {name} | " + " | ".join(f"{c:,}" if c else f"> {LIMIT:,}" for c in counts) + " |")


if __name__ == "__main__":
    main()
