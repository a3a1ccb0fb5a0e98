"""Learning-rate schedules by name; each builds a step-based ``torch.optim.lr_scheduler.LRScheduler``."""

from trainlab.schedules import basic  # noqa: F401  (registrations)
