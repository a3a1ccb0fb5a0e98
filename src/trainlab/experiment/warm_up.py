"""What a worker imports once, as it starts, so that its first training run does not pay for it.

Its own module, free of torch at import, so that a runner can hand it to its workers before it imports
torch itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trainlab.experiment.workers import WorkerPool


def start_training_workers(workers: int) -> WorkerPool:
    """A pool of ``workers`` started at once, each warming up for training (:func:`warm_up_for_training`).

    Raises:
        TrainlabError: ``workers`` below 1.
    """
    from trainlab.experiment.workers import WorkerPool

    return WorkerPool(workers, warm_up=warm_up_for_training).start()


def warm_up_for_training() -> None:
    """Import what every training run needs: the trainer and its registries, torchmetrics (every run's
    metrics) and torch's compiler front end.

    torch imports the compiler front end (``torch._dynamo``) when it builds its first optimizer:
    ``torch.optim.Optimizer`` wraps its methods to keep the compiler out of them. Building a throwaway
    one here pays that too. About 3.5 s on a 2-core VM that the first cell would otherwise pay while
    the runner waited; run by :class:`~trainlab.experiment.workers.WorkerPool` as each worker starts.
    """
    import torch
    import torchmetrics  # noqa: F401 - imported for its side effect: the module is loaded

    import trainlab.api  # noqa: F401 - the same

    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
