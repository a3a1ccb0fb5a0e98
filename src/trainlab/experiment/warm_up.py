"""What a worker imports once, as it starts, so that its first training run does not pay for it.

Its own module, free of torch at import, so that a runner can hand it to its workers before it imports
torch itself.
"""

from __future__ import annotations

import multiprocessing
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trainlab.experiment.workers import WorkerPool

# What every training run imports. torch imports its compiler front end (torch._dynamo) when it builds
# its first optimizer: torch.optim.Optimizer wraps its methods to keep the compiler out of them.
TRAINING_MODULES = ("torch", "torchmetrics", "trainlab.api", "torch._dynamo")


def start_training_workers(workers: int) -> WorkerPool:
    """A pool of ``workers`` started at once and warm for training.

    Where the platform has a fork server (Linux, macOS), the server imports :data:`TRAINING_MODULES`
    once and the workers fork from it; elsewhere each spawned worker imports them itself.

    Raises:
        TrainlabError: ``workers`` below 1.
    """
    from trainlab.experiment.workers import WorkerPool

    if "forkserver" in multiprocessing.get_all_start_methods():
        preload = ("trainlab.experiment.fork_server", *TRAINING_MODULES)
        pool = WorkerPool(workers, context="forkserver", preload=preload, warm_up=warm_up_for_training)
    else:
        pool = WorkerPool(workers, warm_up=warm_up_for_training)
    return pool.start()


def warm_up_for_training() -> None:
    """Import what every training run needs (:data:`TRAINING_MODULES`): the trainer and its registries,
    torchmetrics (every run's metrics) and torch's compiler front end.

    About 6.5 s on a 2-core VM that the first cell would otherwise pay while the runner waited; run by
    :class:`~trainlab.experiment.workers.WorkerPool` as each worker starts, and nothing left to do in a
    worker forked from a server that preloaded them.
    """
    import importlib

    for module in TRAINING_MODULES:
        importlib.import_module(module)
