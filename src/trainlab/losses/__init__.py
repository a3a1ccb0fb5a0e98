"""Loss functions by name; each is an nn.Module usable in any training loop."""

from trainlab.losses import classification, regression  # noqa: F401  (registrations)
from trainlab.losses.task_adapter import TaskLoss, adapt_loss

__all__ = ["TaskLoss", "adapt_loss"]
