"""``trainlab.compress.quantize``: a trained run in int8 (torchao, optionally ONNX Runtime), written as a new run directory."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from trainlab.compress.source_run import copy_preprocessing
from trainlab.errors import TrainlabError

METHODS = ("dynamic", "static", "qat-convert")
SUPPORTED_LAYERS = (
    "nn.Linear (int8 with torchao: weights per row, inputs per row at run time or calibrated) and nn.GRU "
    "(int8 dynamic with torch.ao.quantization, deprecated by torch but torchao has no GRU path)"
)
CALIBRATION_SEED = 0


@dataclass
class QuantizeResult:
    """What ``quantize`` returns.

    Attributes:
        summary: The new run's summary.json (metrics per split, size facts, the quantization record).
        model: The int8 model.
        run_dir: The new run directory.
    """

    summary: dict[str, Any]
    model: nn.Module
    run_dir: Path


def quantize(
    run_dir: str | os.PathLike[str],
    method: str,
    *,
    calibration_batches: int = 32,
    onnx: bool = False,
    out: str | os.PathLike[str] | None = None,
    trust_code: bool = False,
) -> QuantizeResult:
    """Quantize a finished run's Linear layers (and GRUs) to int8 and write the result as a new run directory.

    ``dynamic`` stores int8 weights and quantizes each input row at run time; ``static`` also
    fixes each Linear's input scale from ``calibration_batches`` batches of the run's *training*
    split; ``qat-convert`` is ``static`` for a run trained with the ``qat`` callback. GRUs are
    int8 dynamic with every method, through ``torch.ao.quantization.quantize_dynamic``: torchao has
    no GRU path, so this one use of torch's deprecated API stays until it has. The new run's
    model.safetensors holds the int8 weights and float32 scales as plain tensors, and its
    recipe.yaml names the ``quantized`` model, so ``trainlab evaluate``/``predict`` and
    ``trainlab.load`` rebuild it like any run. ``onnx=True`` also exports the float model to
    ONNX and quantizes it with ONNX Runtime (same method), into ``export/``.

    Args:
        run_dir: A directory written by ``trainlab fit``.
        method: ``dynamic``, ``static`` or ``qat-convert``.
        calibration_batches: Training batches (of the run's batch size) that set the static input scales.
        onnx: Also write ``export/model.fp32.onnx`` and ``export/model.int8.onnx`` (ONNX Runtime).
        out: The new run directory; default ``runs/<run name>-int8-<method>/<timestamp>``.
        trust_code: Consent to run the code the run's recipe references (``module:factory``).

    Returns:
        A :class:`QuantizeResult`.

    Raises:
        TrainlabError: an unknown method, a directory without a finished run's weights, a model with
            no layer quantize supports, ``qat-convert`` on a run not trained with ``qat``.
    """
    from trainlab.compress.quantize.int8_gru import Int8GRU
    from trainlab.compress.quantize.linears import (
        calibrate_input_scales,
        linear_layers,
        quantize_linears,
        replace_module,
    )
    from trainlab.compress.size import model_facts
    from trainlab.recipe_yaml import read_recipe_file
    from trainlab.run_dir import RECIPE, WEIGHTS, RunDirectory, load_model

    if method not in METHODS:
        raise TrainlabError(f"--method {method!r}: use one of {', '.join(METHODS)}")
    if calibration_batches < 1:
        raise TrainlabError(f"--calibration-batches {calibration_batches}: give a positive number of batches")
    if onnx:
        _require_onnx_runtime()
    source = RunDirectory(run_dir)
    if not (source.path / WEIGHTS).is_file():
        raise TrainlabError(
            f"'{source.path}' has no {WEIGHTS}: quantize needs a finished run of `trainlab fit`; check the path"
        )
    raw = read_recipe_file(source.path / RECIPE)
    if method == "qat-convert" and not _trained_with_qat(raw):
        raise TrainlabError(
            f"--method qat-convert: the run in '{source.path}' was not trained with the qat callback "
            "(callbacks: [{name: qat}]); quantize it with --method static, or train it with qat first"
        )
    model = load_model(source.path, trust_code=trust_code).cpu().eval()
    source_summary = source.read_summary()
    model_spec = raw["model"] if isinstance(raw["model"], dict) else {"name": raw["model"]}
    layers = linear_layers(model)
    grus = {name: module for name, module in model.named_modules() if type(module) is nn.GRU}
    gru_layers = list(grus)
    if not layers and not gru_layers:
        raise TrainlabError(
            f"the {model_spec['name']} model of '{source.path}' has no layer quantize supports; it supports "
            f"{SUPPORTED_LAYERS}. Prune or distill it instead (trainlab prune, trainlab distill)"
        )

    scheme = "dynamic" if method == "dynamic" else "static"
    bundle = _evaluation_bundle(raw, source.path, trust_code=trust_code)
    input_scales = None
    calibration: list[torch.Tensor] = []
    if scheme == "static" or onnx:
        calibration = training_batches(bundle.train, calibration_batches, _batch_size(raw))
    if scheme == "static":
        input_scales = calibrate_input_scales(model, layers, calibration)
    quantized = quantize_linears(model, layers, scheme, input_scales)
    for name, gru in grus.items():  # dynamic whatever the method: torch.ao has no static GRU
        replace_module(quantized, name, Int8GRU.of(gru))

    new_raw = {
        **{key: value for key, value in raw.items() if key not in ("out", "callbacks")},
        "model": {
            "name": "quantized",
            "base": model_spec,
            "scheme": scheme,
            "layers": layers,
            **({"gru_layers": gru_layers} if gru_layers else {}),
        },
    }
    metrics = _evaluate(new_raw, source.path, quantized, bundle, trust_code=trust_code)
    name = f"{source_summary.get('run', {}).get('name') or 'run'}-int8-{method}"
    run = RunDirectory.create(None if out is None else str(out), name)
    _write_recipe(run, new_raw, source.path, method, calibration_batches if scheme == "static" else 0)
    copy_preprocessing(source.path, run.path)
    run.save_weights(quantized)
    facts = model_facts(quantized, run.path / WEIGHTS)
    source_facts = model_facts(model, source.path / WEIGHTS)
    record: dict[str, Any] = {
        "source": str(source.path.resolve()),
        "method": method,
        "library": "torchao",
        "scheme": f"int8 weights symmetric per row; inputs {'per row at run time' if scheme == 'dynamic' else 'per tensor, calibrated'}",
        "calibration_batches": calibration_batches if scheme == "static" else 0,
        "layers": layers,
        **(
            {"gru_layers": gru_layers, "gru_library": "torch.ao.quantization (dynamic)"} if gru_layers else {}
        ),
        "float_layers": _float_layers(quantized),
        "source_metrics": {split: source_summary[split] for split in metrics if split in source_summary},
        "metric_change": _metric_change(metrics, source_summary),
        "source_model": source_facts,
        "size_ratio": source_facts["weights_bytes"] / facts["weights_bytes"],
    }
    if onnx:
        from trainlab.compress.quantize.onnx_runtime import quantize_onnx

        record["onnx"] = quantize_onnx(source.path, run.path / "export", scheme, calibration, bundle)
    summary = {
        "status": "finished",
        **metrics,
        "run": {
            "name": name,
            "dir": str(run.path),
            "steps": 0,
            "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        },
        "data": source_summary["data"],
        "model": facts,
        "quantization": record,
        "versions": source_summary.get("versions", {}),
    }
    run.write_summary(summary)
    return QuantizeResult(summary=summary, model=quantized, run_dir=run.path)


def training_batches(dataset: Any, count: int, batch_size: int) -> list[torch.Tensor]:
    """``count`` batches of model inputs drawn without replacement from ``dataset`` (fewer if it runs out), seeded."""
    inputs = dataset.tensors[0]
    order = torch.randperm(len(inputs), generator=torch.Generator().manual_seed(CALIBRATION_SEED))
    return [
        inputs[order[start : start + batch_size]]
        for start in range(0, min(count * batch_size, len(inputs)), batch_size)
    ]


def _require_onnx_runtime() -> None:
    """Fail before any work when --onnx cannot run, so no half-written run directory is left."""
    try:
        import onnx  # noqa: F401
        import onnxruntime.quantization  # noqa: F401
    except ImportError:
        raise TrainlabError(
            "--onnx needs onnx and onnxruntime, which are not installed: pip install 'trainlab[export]'"
        ) from None


def _trained_with_qat(raw: dict[str, Any]) -> bool:
    from trainlab.registry import CALLBACKS

    names = [c if isinstance(c, str) else c.get("name") for c in raw.get("callbacks") or []]
    return any(isinstance(n, str) and n in CALLBACKS and CALLBACKS.get(n).name == "qat" for n in names)


def _batch_size(raw: dict[str, Any]) -> int:
    return int((raw.get("train") or {}).get("batch_size") or 128)


def _evaluation_bundle(raw: dict[str, Any], source: Path, *, trust_code: bool) -> Any:
    from trainlab.inference.preprocessing import evaluation_data
    from trainlab.recipe import validate_recipe
    from trainlab.references import trusting_code

    with trusting_code(trust_code):
        recipe = validate_recipe(
            {k: v for k, v in raw.items() if k != "out"}, source=str(source / "recipe.yaml")
        )
        return evaluation_data(recipe, source, new_data=False)


def _evaluate(
    raw: dict[str, Any], source: Path, model: nn.Module, bundle: Any, *, trust_code: bool
) -> dict[str, dict[str, Any]]:
    """Loss and metrics of ``model`` on every split of ``bundle`` (the source run's data, scaled as that run was)."""
    from trainlab import build
    from trainlab.recipe import validate_recipe
    from trainlab.references import trusting_code

    with trusting_code(trust_code):
        recipe = validate_recipe(raw, source=str(source / "recipe.yaml"))
        metrics = build.build_metrics(recipe, bundle)
        evaluator = build.build_evaluator(
            recipe, bundle, build.build_loss(recipe, bundle), metrics, torch.device("cpu")
        )
        splits = {split: bundle.split(split) for split in ("train", "val", "test")}
        return {split: evaluator.evaluate(model, data) for split, data in splits.items() if data is not None}


def _metric_change(metrics: dict[str, dict[str, Any]], source: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per split and metric, int8 minus float (accuracy in points of the 0-1 scale the metrics use)."""
    return {
        split: {
            key: float(value) - float(source[split][key])
            for key, value in values.items()
            if isinstance(value, (int, float)) and isinstance(source.get(split, {}).get(key), (int, float))
        }
        for split, values in metrics.items()
    }


def _float_layers(model: nn.Module) -> list[str]:
    """Layers with weights that stay in float (convolutions, recurrences, norms)."""
    from trainlab.compress.quantize.int8_gru import Int8GRU
    from trainlab.compress.quantize.int8_linear import Int8Linear

    return [
        name
        for name, module in model.named_modules()
        if name
        and not isinstance(module, (Int8Linear, Int8GRU))
        and any(True for _ in module.parameters(recurse=False))
    ]


def _write_recipe(run: Any, raw: dict[str, Any], source: Path, method: str, calibration_batches: int) -> None:
    from trainlab.recipe import validate_recipe

    recipe = validate_recipe(raw, source=str(source / "recipe.yaml"))
    calibrated = f" --calibration-batches {calibration_batches}" if calibration_batches else ""
    run.write_recipe(
        recipe.to_yaml(),
        note=f"Quantized from {source.resolve()} by `trainlab quantize --method {method}{calibrated}`.\n"
        "model.safetensors holds int8 weights and float32 scales (torchao); `trainlab evaluate` and "
        "`predict` rebuild the int8 model from them. It is not a recipe to train.",
    )
