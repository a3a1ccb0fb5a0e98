"""Distillation from the MNIST-1D cnn1d teacher into a 2-layer MLP, against the same MLP trained alone, paired over seeds.

The teacher is ``recipes/mnist1d_cnn.yaml`` (the paper's cnn1d, about 93% test accuracy), trained
once. For each seed the student recipe ``recipes/compress/mnist1d_student_mlp.yaml`` is trained
twice with that seed: alone (cross-entropy) and with ``trainlab distill`` (the kd loss, T and
alpha below). Test accuracies are compared pairwise by seed with
``trainlab.experiment.statistics.paired_comparison`` (paired t-test, Wilcoxon, Cohen's d_z).

    python benchmarks/distillation.py --work runs/bench-distillation [--seeds 5] [--temperature 4] [--alpha 0.9]

Runs already in ``--work`` are reused.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import trainlab
from trainlab.compress.distill import distill
from trainlab.experiment.statistics import paired_comparison

ROOT = Path(__file__).resolve().parent.parent
TEACHER = ROOT / "recipes" / "mnist1d_cnn.yaml"
STUDENT = ROOT / "recipes" / "compress" / "mnist1d_student_mlp.yaml"
QUIET = ["train.progress=false"]


def test_accuracy(run: Path) -> float:
    return float(json.loads((run / "summary.json").read_text())["test"]["accuracy"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("runs/bench-distillation"))
    parser.add_argument(
        "--teacher", type=Path, default=None, help="A trained cnn1d run (default: train one in --work)."
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--temperature", type=float, default=4.0)
    parser.add_argument("--alpha", type=float, default=0.9)
    args = parser.parse_args()
    teacher = args.teacher or args.work / "teacher"
    if not (teacher / "summary.json").is_file():
        trainlab.fit(TEACHER, out=str(teacher), overrides=QUIET, verbose=0)
    alone: dict[int, float] = {}
    distilled: dict[int, float] = {}
    for seed in range(args.seeds):
        run = args.work / f"alone-seed{seed}"
        if not (run / "summary.json").is_file():
            trainlab.fit(STUDENT, out=str(run), overrides=[*QUIET, f"train.seed={seed}"], verbose=0)
        alone[seed] = test_accuracy(run)
        run = args.work / f"kd-seed{seed}"
        if not (run / "summary.json").is_file():
            distill(
                teacher,
                STUDENT,
                temperature=args.temperature,
                alpha=args.alpha,
                overrides=[*QUIET, f"train.seed={seed}"],
                out=str(run),
                verbose=0,
            )
        distilled[seed] = test_accuracy(run)
    comparison = paired_comparison(alone, distilled, higher_is_better=True)
    print(f"teacher test accuracy {test_accuracy(teacher):.4f}; T={args.temperature}, alpha={args.alpha}\n")
    print("| seed | student alone | student distilled | difference (points) |")
    print("|---:|---:|---:|---:|")
    for seed in alone:
        print(
            f"| {seed} | {alone[seed]:.4f} | {distilled[seed]:.4f} | {(distilled[seed] - alone[seed]) * 100:+.2f} |"
        )
    low, high = comparison.ci
    print(
        f"\nmean difference {comparison.mean_difference * 100:+.2f} points (95% CI {low * 100:+.2f} to {high * 100:+.2f}), "
        f"paired t p = {comparison.t_pvalue:.3g}, Wilcoxon p = {comparison.wilcoxon_pvalue:.3g}, "
        f"d_z = {comparison.cohens_dz:.2f}, n = {comparison.n} seeds"
    )


if __name__ == "__main__":
    main()
