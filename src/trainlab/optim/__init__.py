"""Optimizers by name; each builds a ``torch.optim.Optimizer``."""

from trainlab.optim import torch_native  # noqa: F401  (registrations)
