"""Transfer on MNIST-1D: pretrain cnn1d on digits 0-4, then learn digits 5-9 from 50 labels per class.

Issue 16, section 3. For each seed, one pretraining run (recipes/transfer/pretrain_digits_0_4.yaml,
with that seed), then these contestants on the same 250 labelled samples (recipes/transfer/
finetune_digits_5_9.yaml, the label draw seeded by the seed too), in a random order:

- scratch: cnn1d from random weights, Adam at lr 1e-2 (the paper's) and at 1e-3;
- frozen features + linear head: conv1-3 frozen, a new head trained at lr 1e-2;
- full fine-tuning at one lr (1e-3 and 1e-2);
- full fine-tuning with discriminative lrs: head 1e-2, each layer below x0.3 (the shipped recipe).

Every contestant trains 500 steps of batch 50 (100 epochs of the 250 samples) and is scored on
the whole digits 5-9 test split (about 500 samples) with its final weights; nothing is selected
on validation. Prints a Markdown table of test accuracy, mean ± sd over the seeds, and each
contestant's difference to training from scratch at lr 1e-2 on the same seed (same labels).

    python benchmarks/transfer.py --seeds 3
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
from pathlib import Path
from typing import Any

import yaml

import trainlab

RECIPES = Path(__file__).resolve().parent.parent / "recipes" / "transfer"
CONV_LAYERS = ["conv1.*", "conv2.*", "conv3.*"]
BASELINE = "scratch, lr 1e-2"

# Each contestant: changes to the fine-tuning recipe (None removes a key).
CONTESTANTS: dict[str, dict[str, Any]] = {
    "scratch, lr 1e-2": {"model": "cnn1d", "discriminative_lr": None},
    "scratch, lr 1e-3": {
        "model": "cnn1d",
        "discriminative_lr": None,
        "optimizer": {"name": "adam", "lr": 1e-3},
    },
    "frozen features + linear head, lr 1e-2": {"freeze": CONV_LAYERS, "discriminative_lr": None},
    "full fine-tuning, lr 1e-3": {"discriminative_lr": None, "optimizer": {"name": "adam", "lr": 1e-3}},
    "full fine-tuning, lr 1e-2": {"discriminative_lr": None},
    "full fine-tuning, discriminative lrs (head 1e-2, x0.3 per layer)": {},
}


def recipe(name: str, **changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load((RECIPES / name).read_text())
    for key, value in changes.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    return raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--steps", type=int, default=None, help="Fine-tuning steps (default: the recipe's 500)."
    )
    parser.add_argument("--pretrain-steps", type=int, default=None, help="Default: the recipe's 3000.")
    args = parser.parse_args()

    results: dict[str, list[float]] = {name: [] for name in CONTESTANTS}
    pretrained: list[float] = []
    with tempfile.TemporaryDirectory() as scratch:
        for seed in range(args.seeds):
            base = recipe("pretrain_digits_0_4.yaml", out=f"{scratch}/pretrain-{seed}")
            base["train"] |= {"seed": seed} | ({"steps": args.pretrain_steps} if args.pretrain_steps else {})
            pretrained.append(trainlab.fit(base, verbose=0).summary["test"]["accuracy"])
            order = list(CONTESTANTS)
            random.Random(seed).shuffle(order)
            for index, name in enumerate(order):
                raw = recipe("finetune_digits_5_9.yaml", out=f"{scratch}/finetune-{seed}-{index}")
                raw["model"] |= {"run": f"{scratch}/pretrain-{seed}"}
                for key, value in CONTESTANTS[name].items():
                    if value is None:
                        raw.pop(key, None)
                    else:
                        raw[key] = value
                raw["data"]["subset"]["seed"] = seed
                raw["train"] |= {"seed": seed} | ({"steps": args.steps} if args.steps else {})
                accuracy = trainlab.fit(raw, verbose=0).summary["test"]["accuracy"]
                results[name].append(accuracy)
                print(f"seed {seed}  {name}: test accuracy {accuracy:.4f}", flush=True)

    print(f"\npretraining (digits 0-4, test): {_mean_sd(pretrained)}\n")
    baseline = results[BASELINE]
    print(
        f"| digits 5-9, 50 labels per class | test accuracy (mean ± sd, {args.seeds} seeds) "
        f"| minus {BASELINE}, paired by seed (mean ± sd) |"
    )
    print("|---|---|---|")
    for name, accuracies in results.items():
        paired = [a - b for a, b in zip(accuracies, baseline, strict=True)]
        print(f"| {name} | {_mean_sd(accuracies)} | {_mean_sd(paired, signed=True)} |")


def _mean_sd(values: list[float], signed: bool = False) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):{'+' if signed else ''}.3f} ± {sd:.3f}"


if __name__ == "__main__":
    main()
