"""Evaluation: the mean loss and the recipe's metrics over one split, in eval mode, without gradients."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager as ContextManager
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from trainlab.losses.terms import LossTerms

if TYPE_CHECKING:
    import torchmetrics


class Evaluator:
    """Computes ``{"loss": ..., <metric>: ...}`` for a split (and ``loss.<term>`` for a loss of terms).

    Args:
        loss_fn: The training loss, called as ``loss_fn(outputs, targets)``.
        metrics: torchmetrics objects by name; each is reset before every evaluation.
        task: ``"classification"``, ``"regression"``, ``"reconstruction"`` or ``"generative"``.
        target_shape: Shape of one regression target, used to view the outputs.
        batch_size: Samples per forward pass.
        device: Where the model lives.
        autocast: Zero-argument callable giving the forward pass's autocast context.
    """

    def __init__(
        self,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        metrics: Mapping[str, torchmetrics.Metric],
        *,
        task: str,
        target_shape: tuple[int, ...] = (),
        batch_size: int = 1024,
        device: torch.device | str = "cpu",
        autocast: Callable[[], ContextManager] = nullcontext,
    ):
        self.loss_fn = loss_fn
        self.device = torch.device(device)
        self.metrics = {name: metric.to(self.device) for name, metric in metrics.items()}
        self.task = task
        self.target_shape = target_shape
        self.batch_size = batch_size
        self.autocast = autocast

    @torch.inference_mode()
    def evaluate(self, model: nn.Module, dataset: Dataset) -> dict[str, Any]:
        was_training = model.training
        model.eval()
        for metric in self.metrics.values():
            metric.reset()
        total_loss = torch.zeros((), dtype=torch.float64, device=self.device)
        count = 0
        term_sums: dict[str, torch.Tensor] = {}
        try:
            for inputs, targets in iterate_in_order(dataset, self.batch_size):
                inputs, targets = inputs.to(self.device), targets.to(self.device)
                with self.autocast():
                    outputs = model(inputs)
                    loss = self.loss_fn(outputs, targets)
                if isinstance(loss, LossTerms):
                    for name, value in loss.terms.items():
                        term_sums[name] = term_sums.get(name, 0) + value.double() * len(targets)
                    loss = loss.total
                total_loss += loss.double() * len(targets)
                count += len(targets)
                if not self.metrics:  # a model of structured outputs (an autoencoder's) is judged by its loss
                    continue
                outputs = outputs.float()
                predictions = (
                    outputs if self.task == "classification" else outputs.view(-1, *self.target_shape)
                )
                for metric in self.metrics.values():
                    metric.update(predictions, targets)
        finally:
            model.train(was_training)
        results: dict[str, Any] = {"loss": (total_loss / max(count, 1)).item()}
        results.update({f"loss.{name}": (value / max(count, 1)).item() for name, value in term_sums.items()})
        for name, metric in self.metrics.items():
            value = metric.compute()
            results[name] = value.item() if value.numel() == 1 else value.tolist()
        return results


def iterate_in_order(dataset: Dataset, batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Batches of ``dataset`` in order: slices for a TensorDataset, a DataLoader otherwise."""
    if isinstance(dataset, TensorDataset):
        inputs, targets = dataset.tensors[0], dataset.tensors[1]
        for start in range(0, len(inputs), batch_size):
            yield inputs[start : start + batch_size], targets[start : start + batch_size]
    else:
        yield from DataLoader(dataset, batch_size=batch_size, shuffle=False)
