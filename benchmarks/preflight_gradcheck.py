"""Pre-flight and gradient check figures for issue 11: how long `preflight` takes on each shipped
recipe, and the gradient check on every built-in model plus an injected wrong backward.

    python benchmarks/preflight_gradcheck.py

Timings are wall-clock (and this process's CPU time, which a busy machine inflates less) on
whatever machine runs it; a recipe's time includes loading its data. The one-time imports (torch, the registries,
and torch._dynamo, which the first torch optimizer pulls in) are timed separately.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent


class _WrongCube(torch.autograd.Function):
    """x³ whose backward returns 2x² instead of 3x²: the injected bug."""

    @staticmethod
    def forward(ctx, x):  # type: ignore[override]
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):  # type: ignore[override]
        (x,) = ctx.saved_tensors
        return grad * 2 * x**2


class _WrongNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden, self.head = nn.Linear(40, 16), nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(_WrongCube.apply(self.hidden(x.flatten(1))))


def main() -> None:
    started = time.perf_counter()
    from trainlab.diagnose import gradcheck, preflight
    from trainlab.models import build_model

    torch.optim.Adam(nn.Linear(1, 1).parameters())  # the one-time torch._dynamo import, timed here
    print(f"imports (trainlab, registries, torch._dynamo): {time.perf_counter() - started:.1f} s\n")

    print("| recipe | pre-flight wall time | CPU time | pass | warn | fail | skip |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for recipe in sorted((ROOT / "recipes").glob("*.yaml")):
        begin, cpu = time.perf_counter(), time.process_time()
        report = preflight(recipe)
        counts = report.counts()
        print(
            f"| {recipe.name} | {time.perf_counter() - begin:.1f} s | {time.process_time() - cpu:.1f} s | "
            f"{counts['pass']} | {counts['warn']} | {counts['fail']} | {counts['skip']} |"
        )

    print("\n| model (default size) | tensors | largest relative error | verdict | kink entries | time |")
    print("|---|---:|---:|---|---:|---:|")
    shapes = {"mlp": (1, 8, 8), "cnn1d": (1, 40), "gru": (1, 40), "cnn2d": (1, 8, 8), "resnet": (1, 8, 8)}
    generator = torch.Generator().manual_seed(0)
    cases = [(name, build_model(name, shape, 10), shape) for name, shape in shapes.items()]
    cases.append(("injected wrong backward (x³ → 2x²)", _WrongNet(), (1, 40)))
    for name, model, shape in cases:
        batch = (torch.randn(4, *shape, generator=generator), torch.tensor([0, 3, 7, 9]))
        begin = time.perf_counter()
        result = gradcheck(model, nn.CrossEntropyLoss(), batch, entries_per_tensor=8)
        worst = result.worst
        assert worst is not None
        verdicts = {t.verdict for t in result.tensors}
        verdict = (
            "wrong" if "wrong" in verdicts else ("look at kinks" if "look at kinks" in verdicts else "right")
        )
        print(
            f"| {name} | {len(result.tensors)} | {worst.max_relative_error:.1e} ({worst.name}) | {verdict} | "
            f"{sum(len(t.kinks) for t in result.tensors)} | {time.perf_counter() - begin:.1f} s |"
        )


if __name__ == "__main__":
    main()
