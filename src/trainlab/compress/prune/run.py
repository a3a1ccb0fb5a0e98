"""``trainlab.compress.prune``: a trained run pruned, optionally fine-tuned, and written as a new run directory."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from trainlab._io import write_text_atomic
from trainlab.errors import TrainlabError


@dataclass
class PruneResult:
    """What ``prune`` returns.

    Attributes:
        summary: The pruned run's summary.json (metrics per split, size facts, per-layer sparsity).
        model: The pruned (and fine-tuned) model.
        run_dir: The new run directory.
    """

    summary: dict[str, Any]
    model: nn.Module
    run_dir: Path


def check_sparsity(sparsity: Any, *, key: str = "--sparsity") -> float:
    """``sparsity`` as a float in [0, 1).

    Raises:
        TrainlabError: it is not a number in [0, 1), naming ``key``.
    """
    try:
        value = float(sparsity)
    except (TypeError, ValueError):
        value = math.nan
    if not 0.0 <= value < 1.0:
        raise TrainlabError(
            f"{key} {sparsity!r}: a sparsity is the fraction of weights removed, a number in [0, 1) "
            "(0.9 removes 90%); 1 would remove every weight"
        )
    return value


def prune(
    run_dir: str | os.PathLike[str],
    method: str,
    sparsity: float,
    *,
    finetune_steps: int = 0,
    out: str | os.PathLike[str] | None = None,
    options: Mapping[str, Any] | None = None,
    overrides: Sequence[str] = (),
    trust_code: bool = False,
) -> PruneResult:
    """Prune a finished run's model, fine-tune it if asked, and write the result as a new run directory.

    Unstructured methods keep the architecture and zero weights (masks keep them zero through the
    fine-tune); ``structured`` removes neurons and channels, and the new run's recipe.yaml records
    the new widths, so ``trainlab evaluate``/``predict`` and ``trainlab.load`` rebuild it from its
    safetensors like any run.

    Args:
        run_dir: A directory written by ``trainlab fit``.
        method: A pruner name (``trainlab catalog pruners``): ``global_magnitude``, ``layer_magnitude``,
            ``random``, ``structured``.
        sparsity: Fraction of weights (unstructured) or of each hidden layer's units (structured)
            removed, in [0, 1).
        finetune_steps: Steps of training after pruning, with the run's recipe (optimizer, schedule,
            batch size); 0 evaluates the pruned model as it is.
        out: The new run directory; default ``runs/<run name>-<method>-<sparsity>/<timestamp>``.
        options: The pruner's other options, e.g. ``{"norm": 2}`` for ``structured``.
        overrides: ``--set`` keys for the fine-tune, e.g. ``["optimizer.lr=1e-4"]``.
        trust_code: Consent to run the code the run's recipe references (``module:factory``).

    Returns:
        A :class:`PruneResult`.

    Raises:
        TrainlabError: a sparsity outside [0, 1), an unknown method, a directory without a
            finished run's weights, or a model whose pruned widths its recipe cannot state.
    """
    from trainlab.compress.prune.masks import MaskedTraining, apply_masks, layer_sparsity, weight_sparsity
    from trainlab.compress.size import model_facts
    from trainlab.compress.source_run import copy_preprocessing, evaluate_on_source_data
    from trainlab.recipe_yaml import read_recipe_file
    from trainlab.registry import PRUNERS
    from trainlab.run_dir import RECIPE, WEIGHTS, RunDirectory, load_model

    sparsity = check_sparsity(sparsity)
    if finetune_steps < 0:
        raise TrainlabError(f"--finetune-steps {finetune_steps}: give 0 (no fine-tune) or a positive number")
    entry = PRUNERS.get(method, key="--method")
    pruner = entry.build(sparsity=sparsity, **dict(options or {}))
    if out is not None and RunDirectory(out).holds_run():  # refused before the work, not after it
        raise TrainlabError(
            f"--out: '{out}' already holds a run; choose another --out, or delete that directory first"
        )
    source = RunDirectory(run_dir)
    if not (source.path / WEIGHTS).is_file():
        raise TrainlabError(
            f"'{source.path}' has no {WEIGHTS}: prune needs a finished run of `trainlab fit`; check the path"
        )
    model = load_model(source.path, trust_code=trust_code).cpu()
    source_facts = model_facts(model, source.path / WEIGHTS)
    source_summary = source.read_summary()
    raw = read_recipe_file(source.path / RECIPE)
    model_spec = raw["model"] if isinstance(raw["model"], dict) else {"name": raw["model"]}

    masks: dict[str, torch.Tensor] = {}
    units: dict[str, dict[str, int]] = {}
    if entry.flags.get("structured"):
        from trainlab.compress.prune.structured import pruned_model_spec

        example = torch.zeros(1, *source_summary["data"]["input_shape"])
        pruned = pruner.shrink(model, example)
        units = {
            layer: {"before": _units(model, layer), "after": len(kept)} for layer, kept in pruner.kept.items()
        }
        model, model_spec = pruned, pruned_model_spec(model_spec, pruned)
    else:
        masks = pruner.masks(model)
        apply_masks(model, masks)

    history: list[dict[str, Any]] = []
    if finetune_steps:
        from trainlab.api import fit

        # The model comes from Python, so the recipe's model section (and any init it names) is left out.
        finetune_recipe = {key: value for key, value in raw.items() if key not in ("model", "out")}
        fitted = fit(
            finetune_recipe,
            model=model,
            callbacks=[MaskedTraining(masks)],
            overrides=overrides,
            save=False,
            trust_code=trust_code,
            verbose=0,
            steps=finetune_steps,
        )
        model, history = fitted.model.cpu(), fitted.history
    raw = {**raw, "model": model_spec}
    metrics = evaluate_on_source_data(raw, source.path, model, trust_code=trust_code)

    name = f"{source_summary.get('run', {}).get('name') or 'run'}-{entry.name}-{sparsity:g}"
    run = RunDirectory.create(None if out is None else str(out), name)
    _write_recipe(run, raw, source.path, entry.name, sparsity, finetune_steps, trust_code=trust_code)
    copy_preprocessing(source.path, run.path)
    run.save_weights(model)
    if history:
        write_text_atomic(run.metrics_path, "".join(json.dumps(record) + "\n" for record in history))
    summary = {
        "status": "finished",
        **metrics,
        "run": {
            "name": name,
            "dir": str(run.path),
            "steps": finetune_steps,
            "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        },
        "data": source_summary["data"],
        "model": model_facts(model, run.path / WEIGHTS),
        "pruning": {
            "source": str(source.path.resolve()),
            "method": entry.name,
            "options": {"sparsity": sparsity, **dict(options or {})},
            "structured": bool(entry.flags.get("structured")),
            "finetune_steps": finetune_steps,
            "weight_sparsity": weight_sparsity(model),
            "layers": layer_sparsity(model),
            **({"units": units} if units else {}),
            "source_metrics": {split: source_summary[split] for split in metrics if split in source_summary},
            "source_model": source_facts,
        },
        "versions": source_summary.get("versions", {}),
    }
    run.write_summary(summary)
    return PruneResult(summary=summary, model=model, run_dir=run.path)


def _units(model: nn.Module, layer: str) -> int:
    """Neurons or channels of ``layer``: the first dimension of its weight."""
    weight = model.get_submodule(layer).weight
    assert isinstance(weight, torch.Tensor)
    return int(weight.shape[0])


def _write_recipe(
    run: Any,
    raw: dict[str, Any],
    source: Path,
    method: str,
    sparsity: float,
    finetune_steps: int,
    *,
    trust_code: bool,
) -> None:
    from trainlab.recipe import validate_recipe
    from trainlab.references import trusting_code

    with trusting_code(trust_code):
        recipe = validate_recipe(
            {k: v for k, v in raw.items() if k != "out"}, source=str(source / "recipe.yaml")
        )
    finetuned = f", then fine-tuned for {finetune_steps} steps" if finetune_steps else ""
    run.write_recipe(
        recipe.to_yaml(),
        note=f"Pruned from {source.resolve()} by `trainlab prune --method {method} --sparsity {sparsity:g}`"
        f"{finetuned}.\nmodel.safetensors holds the pruned weights; fitting this recipe would train a fresh "
        "model of the pruned shape.",
    )
