"""Quantization: int8 with torchao (dynamic, static, quantization-aware training) and with ONNX Runtime."""

from __future__ import annotations

# Importing these registers the ``quantized`` model and the ``qat`` callback.
from trainlab.compress.quantize import model, qat  # noqa: F401
