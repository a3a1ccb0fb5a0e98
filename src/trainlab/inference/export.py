"""``trainlab export``: a run's model with its preprocessing, as ONNX, a torch.export program or safetensors.

The exported module is :class:`WithPreprocessing`: the run's fitted scaling, then the model
(then the calibration temperature, when the run has one). It takes samples in the user's own
units and returns the model's outputs (logits for classification). Every export is checked
against the torch module on a sample batch before it is kept: ONNX in ONNX Runtime, the
torch.export program by running it, safetensors by rebuilding the module from the file.
"""

from __future__ import annotations

import copy
import io
import json
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from trainlab._io import write_with_atomic
from trainlab.errors import TrainlabError
from trainlab.inference.predictor import Predictor

FORMATS = {"onnx": ".onnx", "torch-export": ".pt2", "safetensors": ".safetensors"}
CHECK_BATCH = 16
CHECK_SEED = 0
# float32 outputs of the same network through two runtimes differ by rounding only; more than
# this means the export computes something else.
DEFAULT_TOLERANCE = 1e-4
ONNX_OPSET = 17
METADATA_KEY = "trainlab"


class WithPreprocessing(nn.Module):
    """``model((x − shift) / scale) / temperature``: the run's preprocessing and model as one module.

    Args:
        model: The trained model.
        shift: Per-position shift of the fitted scaler (zeros without scaling).
        scale: Per-position scale of the fitted scaler (ones without scaling).
        temperature: The calibration temperature (1.0 leaves the logits as they are).
    """

    def __init__(self, model: nn.Module, shift: torch.Tensor, scale: torch.Tensor, temperature: float = 1.0):
        super().__init__()
        self.model = model
        self.shift: torch.Tensor
        self.scale: torch.Tensor
        self.register_buffer("shift", shift.detach().clone())
        self.register_buffer("scale", scale.detach().clone())
        self.temperature = temperature

    @classmethod
    def of(cls, predictor: Predictor) -> WithPreprocessing:
        """The predictor's model behind its preprocessing, in eval mode on the CPU."""
        shape = predictor.preprocessing.input_shape
        if predictor.preprocessing.steps:
            raise TrainlabError(
                "this run's data.preprocess steps (quantile, pca, ...) are not part of an export yet; "
                "predict with trainlab predict or trainlab.load, which apply them"
            )
        scaler = predictor.preprocessing.scaler
        shift = scaler.shift if scaler is not None else torch.zeros(shape)
        scale = scaler.scale if scaler is not None else torch.ones(shape)
        return cls(predictor.model.cpu(), shift, scale, predictor.temperature).eval()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = self.model((x - self.shift) / self.scale)
        return outputs if self.temperature == 1.0 else outputs / self.temperature


@dataclass
class ExportResult:
    """Where the export went and how far its outputs are from torch's on the check batches."""

    path: Path
    format: str
    max_abs_diff: float
    check_batches: tuple[int, ...]


class ExportMismatch(TrainlabError):
    """The exported model's outputs differ from torch's by more than the tolerance (not the user's mistake)."""

    exit_code = 1


def export_run(
    predictor: Predictor,
    fmt: str,
    out: str | os.PathLike[str] | None = None,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
) -> ExportResult:
    """Export ``predictor``'s model with its preprocessing and check it against torch.

    The file is written to a temporary name and kept only when the check passes.

    Args:
        predictor: A loaded run (:func:`trainlab.load`).
        fmt: ``onnx``, ``torch-export`` or ``safetensors``.
        out: The file to write; defaults to ``RUN_DIR/export/model<suffix>``.
        tolerance: The largest absolute difference from torch's outputs that passes the check.

    Returns:
        The path, the format and the largest absolute difference on the check batches (16 samples and 1).

    Raises:
        TrainlabError: an unknown format, or ONNX without its packages.
        ExportMismatch: the export's outputs differ from torch's by more than ``tolerance``.
    """
    if fmt not in FORMATS:
        raise TrainlabError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt == "onnx":
        _require_onnx()
    module = WithPreprocessing.of(predictor)
    path = (
        Path(out) if out is not None else Path(predictor.run_dir or ".") / "export" / f"model{FORMATS[fmt]}"
    )
    batches = check_batches(predictor)
    with torch.no_grad():
        expected = [module(batch) for batch in batches]
    diff = 0.0

    def export_and_check(tmp: str) -> None:
        nonlocal diff
        metadata = {**_metadata(predictor), "num_outputs": int(expected[0].shape[1])}
        run = EXPORTERS[fmt](module, batches[0], tmp, metadata)
        diff = max(
            float((run(batch) - want).abs().max()) for batch, want in zip(batches, expected, strict=True)
        )
        if not diff <= tolerance:
            raise ExportMismatch(
                f"the {fmt} export differs from torch by {diff:.3g} (more than {tolerance:g}) on the check batch; "
                "nothing was written. Report it with the run's recipe.yaml"
            )

    write_with_atomic(path, export_and_check)
    return ExportResult(path, fmt, diff, tuple(len(batch) for batch in batches))


def check_batches(predictor: Predictor) -> list[torch.Tensor]:
    """Inputs in the user's units: standard-normal model inputs mapped back through the scaler, so
    the check runs the model where its training data lay. A batch of 16, and a single sample."""
    generator = torch.Generator().manual_seed(CHECK_SEED)
    standard = torch.randn(CHECK_BATCH, *predictor.preprocessing.input_shape, generator=generator)
    scaler = predictor.preprocessing.scaler
    batch = scaler.inverse(standard) if scaler is not None else standard
    return [batch, batch[:1].clone()]


def _metadata(predictor: Predictor) -> dict[str, Any]:
    """What a safetensors export needs to rebuild its module, and what any export's outputs mean."""
    preprocessing = predictor.preprocessing
    return {
        "model": predictor.model_spec,
        "input_shape": list(preprocessing.input_shape),
        "task": preprocessing.task,
        "classes": preprocessing.classes,
        "scaling": preprocessing.scaling,
        "temperature": predictor.temperature,
        "outputs": "logits" if preprocessing.task == "classification" else "values",
    }


Runner = Callable[[torch.Tensor], torch.Tensor]


def _export_onnx(
    module: WithPreprocessing, sample: torch.Tensor, path: str, metadata: dict[str, Any]
) -> Runner:
    import onnx
    import onnxruntime

    # The TorchScript-based exporter: it covers every built-in model (the GRU included) in seconds,
    # where the dynamo exporter takes up to a minute on the GRU and needs onnxscript.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (sample,),
            path,
            input_names=["input"],
            output_names=["output"],
            dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
    proto = onnx.load(path)
    onnx.helper.set_model_props(proto, {METADATA_KEY: json.dumps(metadata)})
    onnx.save(proto, path)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    return lambda batch: torch.from_numpy(session.run(None, {"input": batch.numpy()})[0])


def _export_program(
    module: WithPreprocessing, sample: torch.Tensor, path: str, metadata: dict[str, Any]
) -> Runner:
    with warnings.catch_warnings():
        # nn.GRU re-assigns its flat weights on every call; export warns about it, harmlessly.
        warnings.simplefilter("ignore")
        program = torch.export.export(module, (sample,), dynamic_shapes=({0: torch.export.Dim("batch")},))
    # Through a buffer: torch.export.save warns on a file name not ending in .pt2 (the temporary one).
    buffer = io.BytesIO()
    torch.export.save(program, buffer, extra_files={f"{METADATA_KEY}.json": json.dumps(metadata)})
    Path(path).write_bytes(buffer.getvalue())
    buffer.seek(0)
    loaded = torch.export.load(buffer).module()
    return lambda batch: loaded(batch).detach()


def _export_safetensors(
    module: WithPreprocessing, sample: torch.Tensor, path: str, metadata: dict[str, Any]
) -> Runner:
    from trainlab._weights import load_weights, save_weights

    save_weights(module, path)
    _add_metadata(path, metadata)
    if metadata["model"] is not None:
        rebuilt = load_safetensors_export(path)
    else:  # a model passed from Python: the file's tensors loaded back into a copy of the module
        rebuilt = copy.deepcopy(module)
        load_weights(rebuilt, path)
    return lambda batch: rebuilt(batch).detach()


def _add_metadata(path: str, metadata: dict[str, Any]) -> None:
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    with safe_open(path, framework="pt") as file:
        aliases = file.metadata() or {}
    save_file(load_file(path), path, metadata={**aliases, METADATA_KEY: json.dumps(metadata)})


def load_safetensors_export(path: str | os.PathLike[str]) -> WithPreprocessing:
    """Rebuild the module a safetensors export holds (a registered model's name and options are in its metadata).

    Raises:
        TrainlabError: the file records no architecture (its model was passed from Python).
    """
    from safetensors import safe_open

    from trainlab._weights import load_weights
    from trainlab.models import build_model

    with safe_open(os.fspath(path), framework="pt") as file:
        metadata = json.loads((file.metadata() or {}).get(METADATA_KEY, "{}"))
    spec = dict(metadata.get("model") or {})
    if not spec:
        raise TrainlabError(
            f"{path} records no architecture (its model was passed from Python); load its weights into your module"
        )
    shape = tuple(metadata["input_shape"])
    model = build_model(spec.pop("name"), shape, metadata["num_outputs"], **spec)
    module = WithPreprocessing(model, torch.zeros(shape), torch.ones(shape), metadata.get("temperature", 1.0))
    missing, unexpected = load_weights(module, path)
    if missing or unexpected:
        raise TrainlabError(
            f"{path} does not fit its recorded model (missing {missing[:5]}, unexpected {unexpected[:5]})"
        )
    return module.eval()


EXPORTERS = {"onnx": _export_onnx, "torch-export": _export_program, "safetensors": _export_safetensors}


def _require_onnx() -> None:
    missing = []
    for package in ("onnx", "onnxruntime"):
        try:
            __import__(package)
        except ImportError:
            missing.append(package)
    if missing:
        raise TrainlabError(
            f"--format onnx needs {' and '.join(missing)}, which are not installed: pip install 'trainlab[export]'"
        )
