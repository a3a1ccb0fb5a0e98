"""Compression: pruning, quantization and distillation of trained runs, measured in size, latency and accuracy."""

from trainlab.compress.prune.run import prune

__all__ = ["prune"]
