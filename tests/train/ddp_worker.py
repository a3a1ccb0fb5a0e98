"""Run by torchrun from test_distributed.py: trains a tiny model and saves the parameters after every step.

    python -m torch.distributed.run --standalone --nproc-per-node 2 ddp_worker.py OUT BATCH [OPTIMIZER]
    python ddp_worker.py OUT BATCH [OPTIMIZER]            (one process)

OPTIMIZER is ``sgd`` (torch's, with momentum; the default) or ``schedule_free_sgd`` (trainlab's,
whose parameters become views into its flat buffer on the first step).
"""

import sys

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import TensorDataset

from trainlab.data import make_batch_iterator
from trainlab.optim import ScheduleFreeSGD
from trainlab.train import ProcessContext, Trainer, seed_everything
from trainlab.train.distributed import init_distributed
from trainlab.train.settings import TrainSettings

STEPS, SAMPLES = 4, 256


class Record:
    def __init__(self):
        self.after_each_step = []

    def on_step_end(self, trainer):
        self.after_each_step.append([p.detach().clone() for p in trainer.model.parameters()])


def main(out: str, batch_size: int, optimizer_name: str = "sgd") -> None:
    process = ProcessContext.from_env()
    torch.set_num_threads(1)
    init_distributed(process, torch.device("cpu"))
    seed_everything(0)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(SAMPLES, 10, generator=generator)
    y = torch.randint(0, 4, (SAMPLES,), generator=generator)
    model = nn.Sequential(
        nn.Linear(10, 32), nn.Tanh(), nn.Linear(32, 32), nn.GELU(), nn.Linear(32, 4)
    )  # no batch norm
    if optimizer_name == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    else:
        optimizer = ScheduleFreeSGD(model.parameters(), lr=0.5)
    batches = make_batch_iterator(
        TensorDataset(x, y),
        batch_size,
        seed=1,
        drop_last=True,
        rank=process.rank,
        world_size=process.world_size,
    )
    record = Record()
    trainer = Trainer(
        model,
        nn.CrossEntropyLoss(),
        optimizer,
        batches,
        TrainSettings(steps=STEPS, log_every=2),
        callbacks=[record],
        process=process,
    )
    trainer.fit()
    if process.is_main:
        torch.save({"params": record.after_each_step, "history": trainer.history}, out)
    if process.is_distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), *sys.argv[3:])
