"""Compression: pruning, quantization and distillation of trained runs, measured in size, latency and accuracy."""
