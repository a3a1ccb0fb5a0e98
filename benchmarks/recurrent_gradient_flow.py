"""Does gating keep the gradient flowing? The LSTM against the vanilla RNN on MNIST-1D as a 40-step sequence.

Both models read the signal one time step at a time and classify from their *last* hidden state
(``readout: last``, one direction), so the loss reaches step 1 only by back-propagating through all
40 steps. The figure is the norm of the loss's gradient with respect to the first step's input,
relative to the last step's (``|dL/dx_1| / |dL/dx_40|``, averaged over a batch of 1,000 test
signals), at initialization and after training, for several seeds. A ratio far below 1 is the
vanishing gradient; near 1 or above, the early steps still steer the loss.

    python benchmarks/recurrent_gradient_flow.py [--seeds 5] [--steps 1500]
"""

from __future__ import annotations

import argparse
import statistics

import torch

import trainlab
from trainlab.data.prepare import load_data
from trainlab.models import build_model

HIDDEN = 32


def step_gradient_norms(model: torch.nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``|dL/dx_t|`` per time step t (mean over samples) for the summed cross-entropy."""
    x = inputs.clone().requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(model(x), targets, reduction="sum")
    (grad,) = torch.autograd.grad(loss, x)
    return grad.norm(dim=1).mean(dim=0)  # (N, C, L) -> (L,)


# (label, model options): the vanilla RNN, the LSTM as torch initializes it, and with the usual forget-gate bias.
MODELS = (
    ("rnn", {"name": "rnn"}),
    ("lstm", {"name": "lstm"}),
    ("lstm f=1", {"name": "lstm", "forget_bias": 1.0}),
)


def measure(
    options: dict, seed: int, steps: int, test: tuple[torch.Tensor, torch.Tensor]
) -> dict[str, float]:
    recipe = {
        "data": "mnist1d",
        "model": {**options, "hidden_size": HIDDEN, "bidirectional": False, "readout": "last"},
        "optimizer": {"name": "adam", "lr": 3e-3},
        "train": {"steps": steps, "batch_size": 100, "seed": seed, "eval_every": steps, "log_every": steps},
    }
    torch.manual_seed(seed)
    untrained = build_model(
        options["name"], (1, 40), 10, **{k: v for k, v in recipe["model"].items() if k != "name"}
    )
    trained_result = trainlab.fit(recipe, save=False, verbose=0)
    inputs, targets = test
    before = step_gradient_norms(untrained.eval(), inputs, targets)
    after = step_gradient_norms(trained_result.model.eval(), inputs, targets)
    return {
        "init": float(before[0] / before[-1]),
        "trained": float(after[0] / after[-1]),
        "accuracy": float(trained_result.summary["test"]["accuracy"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=1500)
    args = parser.parse_args()
    bundle = load_data("mnist1d")
    test_inputs, test_targets = bundle.test.tensors  # type: ignore[union-attr]
    test = (test_inputs, test_targets)
    print(
        f"|dL/dx_1| / |dL/dx_40|, hidden {HIDDEN}, last-state readout, {args.steps} Adam steps; mean over samples"
    )
    print(f"{'model':8} {'seed':>4} {'at init':>10} {'trained':>10} {'test acc':>9}")
    for name, options in MODELS:
        rows = [measure(options, seed, args.steps, test) for seed in range(args.seeds)]
        for seed, row in enumerate(rows):
            print(f"{name:8} {seed:>4} {row['init']:>10.2e} {row['trained']:>10.2e} {row['accuracy']:>9.3f}")
        medians = {
            key: statistics.median(row[key] for row in rows) for key in ("init", "trained", "accuracy")
        }
        print(
            f"{name:8} {'med':>4} {medians['init']:>10.2e} {medians['trained']:>10.2e} {medians['accuracy']:>9.3f}"
        )


if __name__ == "__main__":
    main()
