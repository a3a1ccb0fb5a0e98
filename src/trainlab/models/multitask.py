"""Multi-task learning with hard parameter sharing: one trunk, a head per task (Caruana 1997).

The main task is the dataset's own (its classes); the auxiliary tasks are built from the same
batch, so any built-in classification dataset becomes a multi-task problem:

- ``reconstruction``: the (scaled) input itself, a regression head of the input's size;
- ``parity``: whether the class index is even or odd, a coarser labelling of the same classes;
- ``coarse``: the class index's half (the lower or the upper half of the classes), a superclass.

The model's output is the main task's logits, so metrics, ``trainlab predict`` and export see an
ordinary classifier; each forward pass also keeps the auxiliary heads' outputs
(``last_auxiliary``), which the ``multitask`` loss reads. The trunk is any registered model, built
with ``features`` outputs.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import torch
from pydantic import Field
from torch import nn

from trainlab.registry import MODELS

Auxiliary = Literal["reconstruction", "parity", "coarse"]
MAIN = "main"


def auxiliary_target(task: str, inputs: torch.Tensor, labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """The target of an auxiliary task for a batch: the flattened inputs, or a derived class index."""
    if task == "reconstruction":
        return inputs.flatten(1)
    if task == "parity":
        return labels.long() % 2
    return (labels.long() >= math.ceil(num_classes / 2)).long()  # coarse


def auxiliary_width(task: str, input_shape: tuple[int, ...]) -> int:
    """Outputs of an auxiliary head: the input's size for reconstruction, two classes otherwise."""
    return math.prod(input_shape) if task == "reconstruction" else 2


class MultiTaskNetwork(nn.Module):
    """A shared trunk, the main task's ``head`` and one head per auxiliary task (``heads``).

    Attributes:
        trunk: The shared network, mapping inputs to ``features`` values.
        act: The nonlinearity between the trunk's output and the heads.
        head: The main task's linear classifier.
        heads: The auxiliary tasks' linear heads, by task name.
        last_auxiliary: The auxiliary heads' outputs of the latest forward pass.
    """

    def __init__(self, trunk: nn.Module, features: int, num_outputs: int, auxiliary: dict[str, int]):
        super().__init__()
        self.trunk = trunk
        self.act = nn.ReLU()
        self.head = nn.Linear(features, num_outputs)
        self.heads = nn.ModuleDict({task: nn.Linear(features, width) for task, width in auxiliary.items()})
        self.last_auxiliary: dict[str, torch.Tensor] = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shared = self.act(self.trunk(x))
        self.last_auxiliary = {task: head(shared) for task, head in self.heads.items()}
        return self.head(shared)


@MODELS.register(
    "multitask",
    reference="Caruana 1997, Multitask Learning (Machine Learning 28); Ruder 2017, An Overview of Multi-Task "
    "Learning in Deep Neural Networks, arXiv:1706.05098 (hard parameter sharing)",
    flags={"inputs": ("features", "signal", "image")},
)
def multitask(
    input_shape: tuple[int, ...],
    num_outputs: int,
    *,
    trunk: str | dict[str, Any] = "mlp",
    features: Annotated[int, Field(ge=1)] = 64,
    auxiliary: Annotated[list[Auxiliary], Field(min_length=1)] = ["reconstruction"],  # noqa: B006 (never mutated)
) -> nn.Module:
    """A shared trunk with the dataset's classifier head and auxiliary heads trained beside it.

    Train it with the ``multitask`` loss, which weighs the tasks (fixed or learned) and logs each.

    Args:
        input_shape: Shape of one sample.
        num_outputs: Classes of the main task.
        trunk: The shared network: a registered model name or ``{name: ..., **options}``, built with
            ``features`` outputs.
        features: Width of the shared representation the heads read.
        auxiliary: The auxiliary tasks: ``reconstruction``, ``parity``, ``coarse`` (see the module).

    Returns:
        A ``MultiTaskNetwork`` mapping inputs to the main task's logits.
    """
    spec = {"name": trunk} if isinstance(trunk, str) else dict(trunk)
    entry = MODELS.get(spec.pop("name"), key="model.trunk.name")
    shared = entry.build(tuple(input_shape), features, **spec)
    widths: dict[str, int] = {task: auxiliary_width(task, input_shape) for task in dict.fromkeys(auxiliary)}
    return MultiTaskNetwork(shared, features, num_outputs, widths)
