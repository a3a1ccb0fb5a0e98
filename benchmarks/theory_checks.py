"""Issue 18 §1's acceptance figures: every theory measure against scipy / scikit-learn, every derivation against
autograd, the Hessian condition number of a quadratic with a known spectrum, and the Hessian of the mnist1d CNN.

    python benchmarks/theory_checks.py            # everything (trains the mnist1d CNN for 300 steps first)
    python benchmarks/theory_checks.py --no-cnn   # the checks alone
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from scipy.spatial import distance
from scipy.stats import entropy as scipy_entropy
from sklearn.feature_selection._mutual_info import _compute_mi_cc
from sklearn.metrics import mutual_info_score

import trainlab
from trainlab import theory
from trainlab.recipe_yaml import read_recipe_file
from trainlab.theory.derivations import DERIVATIONS, TOLERANCE


def measure_rows() -> list[tuple[str, str, float]]:
    rng = np.random.default_rng(0)
    p, q = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))
    tp, tq = torch.from_numpy(p), torch.from_numpy(q)
    joint = rng.dirichlet(np.ones(20)).reshape(4, 5)
    tj = torch.from_numpy(joint)
    labels_x, labels_y = rng.integers(0, 4, 500), rng.integers(0, 5, 500)
    x = rng.normal(size=800)
    y = 0.8 * x + 0.6 * rng.normal(size=800)
    a, b = rng.normal(size=9), rng.normal(size=9)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    bits_a, bits_b = rng.integers(0, 2, 9).astype(bool), rng.integers(0, 2, 9).astype(bool)
    product = np.outer(joint.sum(1), joint.sum(0)).ravel()
    rows = [
        ("entropy", "scipy.stats.entropy(p)", theory.entropy(tp).item() - scipy_entropy(p)),
        (
            "cross_entropy",
            "entropy(p) + entropy(p, q)",
            theory.cross_entropy(tp, tq).item() - scipy_entropy(p) - scipy_entropy(p, q),
        ),
        (
            "kl_divergence",
            "scipy.stats.entropy(p, q)",
            theory.kl_divergence(tp, tq).item() - scipy_entropy(p, q),
        ),
        (
            "js_divergence",
            "scipy jensenshannon²",
            theory.js_divergence(tp, tq).item() - distance.jensenshannon(p, q) ** 2,
        ),
        ("self_information", "-log p", theory.self_information(tp[0]).item() + math.log(p[0])),
        (
            "joint_entropy",
            "scipy entropy(joint)",
            theory.joint_entropy(tj).item() - scipy_entropy(joint.ravel()),
        ),
        (
            "conditional_entropy",
            "H(X,Y) - H(X) by scipy",
            theory.conditional_entropy(tj).item()
            - scipy_entropy(joint.ravel())
            + scipy_entropy(joint.sum(1)),
        ),
        (
            "mutual_information",
            "scipy entropy(joint, p(x)p(y))",
            theory.mutual_information(tj).item() - scipy_entropy(joint.ravel(), product),
        ),
        (
            "mutual_information (samples)",
            "sklearn mutual_info_score",
            theory.mutual_information(
                theory.joint_distribution(torch.from_numpy(labels_x), torch.from_numpy(labels_y))
            ).item()
            - mutual_info_score(labels_x, labels_y),
        ),
        (
            "mutual_information_knn",
            "sklearn KSG (_compute_mi_cc)",
            theory.mutual_information_knn(torch.from_numpy(x), torch.from_numpy(y)).item()
            - _compute_mi_cc(x, y, 3),
        ),
        ("chebyshev", "scipy.spatial.distance", theory.chebyshev(ta, tb).item() - distance.chebyshev(a, b)),
        (
            "minkowski p=3",
            "scipy.spatial.distance",
            theory.minkowski(ta, tb, p=3).item() - distance.minkowski(a, b, 3),
        ),
        (
            "hamming",
            "scipy.spatial.distance",
            theory.hamming(torch.from_numpy(bits_a), torch.from_numpy(bits_b)).item()
            - distance.hamming(bits_a, bits_b),
        ),
        (
            "jaccard",
            "scipy.spatial.distance",
            theory.jaccard(torch.from_numpy(bits_a), torch.from_numpy(bits_b)).item()
            - distance.jaccard(bits_a, bits_b),
        ),
        (
            "correlation",
            "scipy.spatial.distance",
            theory.correlation(ta, tb).item() - distance.correlation(a, b),
        ),
    ]
    return [(name, reference, abs(diff)) for name, reference, diff in rows]


def quadratic_condition_number() -> tuple[float, float]:
    eigenvalues = torch.tensor(np.geomspace(0.5, 400.0, 30))
    rotation, _ = torch.linalg.qr(
        torch.randn(30, 30, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    )
    matrix = rotation @ torch.diag(eigenvalues) @ rotation.T
    x = torch.randn(30, dtype=torch.float64, requires_grad=True)
    result = theory.hessian_spectrum(0.5 * x @ matrix @ x, [x], iterations=30)
    return result["condition_number"], 800.0


def cnn_hessian() -> dict:
    with tempfile.TemporaryDirectory() as directory:
        recipe = read_recipe_file(Path(__file__).parents[1] / "recipes" / "mnist1d_cnn.yaml")
        recipe["train"].update(steps=300, eval_every=None)
        recipe["out"] = str(Path(directory) / "cnn")
        run = trainlab.fit(recipe).run_dir
        wall, cpu = time.perf_counter(), time.process_time()
        result = theory.run_curvature(run, samples=512, iterations=40)
        return {**result, "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-cnn", action="store_true")
    args = parser.parse_args()
    print("| measure | reference | max abs difference |\n|---|---|---:|")
    for name, reference, diff in measure_rows():
        print(f"| {name} | {reference} | {diff:.1e} |")
    print("\n| derivation (`trainlab explain`) | max abs difference to autograd | check |\n|---|---:|---|")
    for derivation in DERIVATIONS.values():
        worst = max(derivation.check().values())
        print(f"| {derivation.name} | {worst:.1e} | {'pass' if worst <= TOLERANCE else 'FAIL'} |")
    kappa, exact = quadratic_condition_number()
    print(
        f"\nquadratic, 30 eigenvalues 0.5..400: condition number {kappa:.10f} (exact {exact}), error {abs(kappa - exact):.1e}"
    )
    if not args.no_cnn:
        r = cnn_hessian()
        print(
            f"mnist1d CNN ({r['parameters']:,} parameters, 512 samples, 40 Lanczos steps): top {r['top']:.4g}, "
            f"bottom {r['bottom']:.4g}, condition number {r['condition_number']:.4g}; "
            f"{r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU"
        )


if __name__ == "__main__":
    main()
