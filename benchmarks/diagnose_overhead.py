"""Per-step cost of trainlab's instruments, at their default sampling and at every step, and of Cockpit, against plain training.

Models: (a) the mnist1d CNN (``cnn1d``: 5,210 parameters in 8 tensors) and (b) an MLP with 31
hidden layers of 64 units (``mlp``, depth 31: 64 parameter tensors), on mnist1d, Adam lr 1e-3,
batch 100. Every contestant runs the same hand-written loop on the same batches and reads the
loss every 50 steps (the sync trainlab's trainer makes at its default ``train.log_every``):

- ``plain``: nothing else;
- ``trainlab default``: ``Monitor(model, optimizer)`` with the default instruments (params,
  activations, outputs, grad_snr) sampled every 50 steps (the default: every log step), read
  at the loss sync; this is what ``trainlab fit --diagnose`` runs;
- ``trainlab every step``: the same instruments on every step, read at the loss sync;
- ``cockpit economy`` / ``cockpit full``: Cockpit (cockpit-for-pytorch with BackPACK) with its
  ``economy`` and ``full`` configurations at their default tracking schedule, every step.
  BackPACK has no extension for ``nn.Identity``, so Cockpit's copy of each model leaves out
  trainlab's Identity placeholders (no norm, no pooling): the same function and parameters.
  Cockpit 1.0.2 imports ``pkg_resources`` only for its version string; setuptools ≥ 81 no
  longer ships it, so a stub answers "unknown" when it is missing.

Each repeat runs every contestant once, in a fresh random order, on a fresh copy of the model
(after a few untimed warm-up steps), so that drift in machine load hits them alike. Blocks are
short (two sampling periods) and repeats many, because a shared machine's load drifts within
seconds. The table gives the median per-step time and the median and quartiles of the
per-repeat ratios to ``plain``. As a cross-check that does not depend on resolving a few
percent in noisy timings, ``expected`` is the default-sampling ratio that the every-step cost
implies: 1 + (every-step ratio − 1) / 50, since the default measures one step in 50 with the
same work. Cockpit runs fewer steps per repeat (``--cockpit-steps``): it is one to two orders
of magnitude slower. ``--clock cpu`` (the default) times with the process's CPU time, so that
with one torch thread time spent waiting for a core on a shared machine does not count.

    python benchmarks/diagnose_overhead.py --steps 100 --repeats 25 --cockpit-steps 10 --cockpit-repeats 3
"""

from __future__ import annotations

import argparse
import copy
import platform
import random
import statistics
import sys
import time
import types
from collections.abc import Callable

import torch
from torch import nn

from trainlab.data import load_data
from trainlab.diagnose import Monitor
from trainlab.models import build_model

BATCH = 100
LR = 1e-3
LOG_EVERY = 50  # trainlab's default train.log_every, and so the instruments' default sampling
WARMUP_STEPS = 5

Loop = Callable[[nn.Module, list[tuple[torch.Tensor, torch.Tensor]], Callable[[], float]], float]


def plain(model, batches, clock) -> float:
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    return _timed(model, optimizer, batches, clock)


def trainlab_instruments(every: int) -> Loop:
    def run(model, batches, clock) -> float:
        optimizer = torch.optim.Adam(model.parameters(), lr=LR)
        monitor = Monitor(model, optimizer, every=every)
        return _timed(model, optimizer, batches, clock, monitor=monitor)

    return run


def _timed(model, optimizer, batches, clock, monitor: Monitor | None = None) -> float:
    """Seconds per step of the loop over ``batches`` after the warm-up steps."""
    start = None
    for step, (inputs, targets) in enumerate(batches, start=1):
        if step == WARMUP_STEPS + 1:
            start = clock()
        loss = nn.functional.cross_entropy(model(inputs), targets)
        loss.backward()
        if monitor is not None:
            monitor.after_backward(loss)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if monitor is not None:
            monitor.after_step()
        if step % LOG_EVERY == 0:
            loss.item()
            if monitor is not None:
                monitor.flush()
    assert start is not None
    return (clock() - start) / (len(batches) - WARMUP_STEPS)


def cockpit(configuration_name: str) -> Loop | None:
    if "pkg_resources" not in sys.modules:
        try:
            import pkg_resources  # noqa: F401
        except ImportError:
            sys.modules["pkg_resources"] = _pkg_resources_stub()
    try:
        from backpack import extend
        from cockpit import Cockpit
        from cockpit.utils.configuration import configuration
    except ImportError:
        return None

    def run(model, batches, clock) -> float:
        # BackPACK extends only modules it knows; trainlab's Identity placeholders compute nothing.
        model = extend(nn.Sequential(*[m for m in model if not isinstance(m, nn.Identity)]))
        loss_fn = extend(nn.CrossEntropyLoss())
        individual_loss_fn = nn.CrossEntropyLoss(reduction="none")
        optimizer = torch.optim.Adam(model.parameters(), lr=LR)
        watcher = Cockpit(model.parameters(), quantities=configuration(configuration_name))
        start = None
        for step, (inputs, targets) in enumerate(batches, start=1):
            if step == WARMUP_STEPS + 1:
                start = clock()
            outputs = model(inputs)
            loss = loss_fn(outputs, targets)
            info = {
                "batch_size": len(inputs),
                "individual_losses": individual_loss_fn(outputs, targets),
                "loss": loss,
                "optimizer": optimizer,
            }
            with watcher(step - 1, info=info):  # Cockpit counts steps from 0
                loss.backward(create_graph=watcher.create_graph(step - 1))
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            if step % LOG_EVERY == 0:
                loss.item()
        assert start is not None
        return (clock() - start) / (len(batches) - WARMUP_STEPS)

    return run


def _pkg_resources_stub() -> types.ModuleType:
    stub = types.ModuleType("pkg_resources")

    class DistributionNotFound(Exception):
        pass

    def get_distribution(name: str) -> None:
        raise DistributionNotFound(name)

    stub.DistributionNotFound = DistributionNotFound  # type: ignore[attr-defined]
    stub.get_distribution = get_distribution  # type: ignore[attr-defined]
    return stub


def models(input_shape, num_outputs) -> dict[str, nn.Module]:
    torch.manual_seed(0)
    built = {
        "mnist1d cnn1d": build_model("cnn1d", input_shape, num_outputs),
        "mlp, 64 tensors": build_model("mlp", input_shape, num_outputs, depth=31, width=64),
    }
    assert len(list(built["mlp, 64 tensors"].parameters())) == 64
    return built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="timed steps per contestant and repeat")
    parser.add_argument("--repeats", type=int, default=25)
    parser.add_argument("--cockpit-steps", type=int, default=10, help="timed steps of each Cockpit run")
    parser.add_argument("--cockpit-repeats", type=int, default=3, help="repeats that include Cockpit")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    parser.add_argument("--no-cockpit", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter

    bundle = load_data("mnist1d", val_fraction=0.0)
    x, y = bundle.train.tensors
    generator = torch.Generator().manual_seed(0)

    def batches(steps: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        index = torch.randint(0, len(x), (steps + WARMUP_STEPS, BATCH), generator=generator)
        return [(x[i], y[i]) for i in index]

    contestants: dict[str, Loop | None] = {
        "plain": plain,
        "trainlab default": trainlab_instruments(LOG_EVERY),
        "trainlab every step": trainlab_instruments(1),
    }
    if not args.no_cockpit:
        contestants["cockpit economy"] = cockpit("economy")
        contestants["cockpit full"] = cockpit("full")
    runnable = {name: run for name, run in contestants.items() if run is not None}

    print(
        f"machine: {platform.machine()}, {torch.get_num_threads()} torch thread(s), torch {torch.__version__}, "
        f"python {platform.python_version()}, clock: {args.clock}"
    )
    print(
        f"Adam lr {LR}, batch {BATCH}, {args.steps} timed steps per repeat ({args.cockpit_steps} for Cockpit), "
        f"{args.repeats} interleaved repeats; loss read every {LOG_EVERY} steps\n"
    )
    for model_name, model in models(bundle.input_shape, bundle.num_outputs).items():
        times: dict[str, list[float]] = {name: [] for name in runnable}
        ratios: dict[str, list[float]] = {name: [] for name in runnable}
        for repeat in range(args.repeats):
            order = [n for n in runnable if repeat < args.cockpit_repeats or not n.startswith("cockpit")]
            random.shuffle(order)
            for name in order:
                steps = args.cockpit_steps if name.startswith("cockpit") else args.steps
                times[name].append(runnable[name](copy.deepcopy(model), batches(steps), clock))
            for name in order:
                ratios[name].append(times[name][-1] / times["plain"][-1])
        print(f"{model_name} ({len(list(model.parameters()))} parameter tensors)\n")
        print("| contestant | median ms/step | ratio to plain: median | quartiles | repeats |")
        print("|---|---:|---:|---|---:|")
        for name in contestants:
            if name not in runnable:
                print(f"| {name} | not installed | | | |")
                continue
            low, _, high = (
                statistics.quantiles(ratios[name], n=4) if len(ratios[name]) > 1 else [ratios[name][0]] * 3
            )
            print(
                f"| {name} | {statistics.median(times[name]) * 1e3:.3f} | {statistics.median(ratios[name]):.3f}× "
                f"| {low:.3f}–{high:.3f} | {len(ratios[name])} |"
            )
        every_step = statistics.median(ratios["trainlab every step"])
        print(
            f"\nexpected at default sampling from the every-step cost: {1 + (every_step - 1) / LOG_EVERY:.3f}×\n"
        )


if __name__ == "__main__":
    main()
