"""What a model weighs: parameters, non-zero parameters, numeric format and the size of its weights file."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import torch
from torch import nn


def model_facts(model: nn.Module, weights_file: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The size facts summary.json records for any run (pruned, quantized or plain).

    Args:
        model: The trained model.
        weights_file: Its saved weights (model.safetensors); None when nothing was saved.

    Returns:
        ``parameters`` (scalars, a shared parameter once), ``nonzero_parameters``, ``sparsity``
        (the fraction of parameters that are exactly zero), ``dtype`` (the format of most of the
        saved elements), ``dtypes`` (saved elements per format, buffers included) and
        ``weights_bytes`` (the file's size on disk, or None).
    """
    parameters = list(model.parameters())  # model.parameters() yields a shared parameter once
    count = sum(p.numel() for p in parameters)
    nonzero = sum(int(torch.count_nonzero(p.detach())) for p in parameters)
    elements: Counter[str] = Counter()
    for tensor in model.state_dict().values():
        elements[str(tensor.dtype).removeprefix("torch.")] += tensor.numel()
    return {
        "parameters": count,
        "nonzero_parameters": nonzero,
        "sparsity": 1.0 - nonzero / count if count else 0.0,
        "dtype": elements.most_common(1)[0][0] if elements else None,
        "dtypes": dict(elements),
        "weights_bytes": os.path.getsize(weights_file) if weights_file is not None else None,
    }
