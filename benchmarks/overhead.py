"""Per-step time of ``trainlab.fit`` against a hand-written PyTorch loop (and Lightning, if installed).

All contestants train the same mnist1d CNN on the same standardized tensors with Adam(lr=1e-2),
batch 100, the same seed and the same number of steps. Repeats are interleaved so that drift in
machine load hits every contestant alike. Only the training loop is timed: from the first step
to the end of the last one (data preparation and final evaluation are fixed costs, not per step).

    python benchmarks/overhead.py --steps 2000 --repeats 7
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch
import torch.nn.functional as F

import trainlab
from trainlab.data import load_data
from trainlab.models import build_model

BATCH = 100
LR = 1e-2


def hand_written(bundle, steps: int, seed: int) -> float:
    """The loop a careful user writes: shuffle per epoch, slice batches, step. Returns s/step."""
    torch.manual_seed(seed)
    model = build_model("cnn1d", bundle.input_shape, bundle.num_outputs)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    x, y = bundle.train.tensors
    generator = torch.Generator().manual_seed(seed)
    model.train()
    step = 0
    start = time.perf_counter()
    while step < steps:
        perm = torch.randperm(len(x), generator=generator)
        x_epoch, y_epoch = x[perm], y[perm]
        for i in range(0, len(x), BATCH):
            loss = F.cross_entropy(model(x_epoch[i : i + BATCH]), y_epoch[i : i + BATCH])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            if step == steps:
                break
    return (time.perf_counter() - start) / steps


class LoopTimer:
    """Times trainlab's loop: from on_fit_start to the first evaluation after the last step."""

    def on_fit_start(self, trainer):
        self.start = time.perf_counter()
        self.elapsed = None

    def on_eval_end(self, trainer, split, metrics):
        if self.elapsed is None:
            self.elapsed = time.perf_counter() - self.start


def with_trainlab(bundle, steps: int, seed: int) -> float:
    timer = LoopTimer()
    trainlab.fit(
        data=bundle,
        model="cnn1d",
        optimizer="adam",
        lr=LR,
        batch_size=BATCH,
        steps=steps,
        seed=seed,
        callbacks=[timer],
        save=False,
        # torch's default Adam on CPU (the hand-written loop's) is the per-parameter loop; pin it so
        # the ratio measures the training loop, not trainlab's faster fused default.
        overrides=["train.progress=false", "optimizer.implementation=loop"],
    )
    return timer.elapsed / steps


def with_lightning(bundle, steps: int, seed: int) -> float | None:
    try:
        import lightning as L
    except ImportError:
        return None
    import logging

    logging.getLogger("lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)

    class Module(L.LightningModule):
        def __init__(self):
            super().__init__()
            torch.manual_seed(seed)
            self.model = build_model("cnn1d", bundle.input_shape, bundle.num_outputs)

        def training_step(self, batch, batch_idx):
            x, y = batch
            return F.cross_entropy(self.model(x), y)

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=LR)

    class Timer(L.Callback):
        def on_train_start(self, trainer, module):
            self.start = time.perf_counter()

        def on_train_end(self, trainer, module):
            self.elapsed = time.perf_counter() - self.start

    # Batches are pre-sliced so Lightning's loop, not per-sample collation, is what is measured.
    x, y = bundle.train.tensors
    generator = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(x), generator=generator)
    batches = [(x[perm][i : i + BATCH], y[perm][i : i + BATCH]) for i in range(0, len(x), BATCH)]
    loader = torch.utils.data.DataLoader(batches, batch_size=None, shuffle=True)
    timer = Timer()
    trainer = L.Trainer(
        max_steps=steps,
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        callbacks=[timer],
    )
    trainer.fit(Module(), loader)
    return timer.elapsed / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--no-lightning", action="store_true")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: every core)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    bundle = load_data("mnist1d", val_fraction=0.0)
    contestants = {"hand-written": hand_written, "trainlab": with_trainlab}
    if not args.no_lightning:
        contestants["lightning"] = with_lightning
    times: dict[str, list[float]] = {name: [] for name in contestants}
    for run in contestants.values():  # warm-up: imports, allocator, first-call costs
        run(bundle, 50, 0)
    for repeat in range(args.repeats):
        for name, run in contestants.items():
            per_step = run(bundle, args.steps, repeat)
            if per_step is not None:
                times[name].append(per_step)

    baseline = statistics.median(times["hand-written"])
    print(
        f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}, "
        f"python {platform.python_version()}"
    )
    print(
        f"mnist1d cnn1d, Adam lr {LR}, batch {BATCH}, {args.steps} steps x {args.repeats} interleaved repeats"
    )
    print(f"{'contestant':<14}{'median ms/step':>16}{'min':>9}{'max':>9}{'ratio':>8}")
    for name, samples in times.items():
        if not samples:
            print(f"{name:<14}{'not installed':>16}")
            continue
        median = statistics.median(samples)
        print(
            f"{name:<14}{median * 1e3:>16.4f}{min(samples) * 1e3:>9.3f}{max(samples) * 1e3:>9.3f}"
            f"{median / baseline:>8.3f}"
        )
    # Paired ratios: each repeat's contestants ran back to back, so their ratio cancels slow drift.
    for name, samples in times.items():
        if name != "hand-written" and len(samples) == len(times["hand-written"]):
            paired = [s / h for s, h in zip(samples, times["hand-written"], strict=True)]
            print(
                f"{name}: median of per-repeat ratios {statistics.median(paired):.3f} "
                f"(range {min(paired):.3f}-{max(paired):.3f})"
            )


if __name__ == "__main__":
    main()
