"""The deployment path: a run exported to ONNX (with its preprocessing) and quantized to int8 by ONNX Runtime."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from trainlab._io import write_with_atomic

FLOAT_FILE = "model.fp32.onnx"
INT8_FILE = "model.int8.onnx"


class BatchReader:
    """ONNX Runtime's calibration reader over a list of input batches (its ``get_next`` protocol)."""

    def __init__(self, batches: list[np.ndarray]):
        self._batches = iter(batches)

    def get_next(self) -> dict[str, np.ndarray] | None:
        batch = next(self._batches, None)
        return None if batch is None else {"input": batch}


def quantize_onnx(
    source_run: Path, directory: Path, scheme: str, calibration: list[torch.Tensor], bundle: Any
) -> dict[str, Any]:
    """Export ``source_run`` to ``directory/model.fp32.onnx`` and quantize it into ``model.int8.onnx``.

    ``dynamic`` is ``onnxruntime.quantization.quantize_dynamic`` (int8 weights per channel in 7
    bits, inputs quantized at run time); ``static`` is ``quantize_static`` in QDQ format (the same
    weights, uint8 activations with min-max ranges from the ``calibration`` batches).

    Args:
        source_run: The float run directory.
        directory: Where the two ONNX files go.
        scheme: ``dynamic`` or ``static``.
        calibration: Model inputs (scaled) from the training split.
        bundle: The run's data, scaled as in training; its test (else validation) split is scored.

    Returns:
        Both files' sizes, their size ratio and their accuracy on the scored split.
    """
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_dynamic, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from trainlab.inference import load
    from trainlab.inference.export import export_run

    predictor = load(source_run)
    directory.mkdir(parents=True, exist_ok=True)
    float_path, int8_path = directory / FLOAT_FILE, directory / INT8_FILE
    export_run(predictor, "onnx", float_path)
    to_user_units = (
        predictor.preprocessing.scaler.inverse if predictor.preprocessing.scaler is not None else None
    )

    def user_units(batch: torch.Tensor) -> np.ndarray:
        return (to_user_units(batch) if to_user_units is not None else batch).numpy().astype(np.float32)

    def write_int8(tmp: str) -> None:
        # ONNX Runtime's recommended first step: shape inference and graph optimisation before quantizing.
        prepared = f"{tmp}.prepared.onnx"
        quant_pre_process(os.fspath(float_path), prepared)
        try:
            _quantize(prepared, tmp)
        finally:
            os.remove(prepared)

    # reduce_range: 7-bit weights. ONNX Runtime's uint8 x int8 kernels on x86 CPUs without VNNI
    # (AVX2's vpmaddubsw) saturate their 16-bit pair sums; with full-range weights the MNIST-1D MLP
    # lost 3 points of test accuracy there, with 7-bit weights none (ONNX Runtime's quantization docs
    # give the same advice).
    def _quantize(prepared: str, tmp: str) -> None:
        if scheme == "dynamic":
            quantize_dynamic(prepared, tmp, per_channel=True, reduce_range=True, weight_type=QuantType.QInt8)
        else:
            quantize_static(
                prepared,
                tmp,
                BatchReader([user_units(batch) for batch in calibration]),
                quant_format=QuantFormat.QDQ,
                per_channel=True,
                reduce_range=True,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
            )

    write_with_atomic(int8_path, write_int8)
    split = "test" if bundle.split("test") is not None else "val"
    inputs, labels = bundle.split(split).tensors
    scored = user_units(inputs)
    accuracy = {
        name: onnx_accuracy(path, scored, labels.numpy())
        for name, path in (("fp32", float_path), ("int8", int8_path))
    }
    return {
        "library": "onnxruntime",
        "files": {"fp32": str(float_path), "int8": str(int8_path)},
        "bytes": {"fp32": os.path.getsize(float_path), "int8": os.path.getsize(int8_path)},
        "size_ratio": os.path.getsize(float_path) / os.path.getsize(int8_path),
        "split": split,
        "accuracy": accuracy,
    }


def onnx_session(path: str | os.PathLike[str], threads: int = 0) -> Any:
    """An ONNX Runtime CPU session for ``path`` (``threads`` 0: ONNX Runtime's own choice)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    return onnxruntime.InferenceSession(os.fspath(path), options, providers=["CPUExecutionProvider"])


def onnx_accuracy(path: str | os.PathLike[str], inputs: np.ndarray, labels: np.ndarray) -> float:
    """The fraction of ``inputs`` (in the user's units) whose highest output is its label, one sample per call.

    One at a time because dynamic quantization in ONNX Runtime takes one input scale per call:
    scoring a whole split in one call would give every sample the split's scale, which no
    deployment sees.
    """
    session = onnx_session(path)
    predicted = [int(session.run(None, {"input": sample[None]})[0].argmax()) for sample in inputs]
    return float((np.asarray(predicted) == labels).mean())
