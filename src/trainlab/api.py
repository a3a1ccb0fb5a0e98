"""The Python front door: ``trainlab.fit`` and ``trainlab.evaluate``."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from rich.console import Console
from torch import nn

from trainlab import build
from trainlab.compress.size import model_facts
from trainlab.errors import ConfigError, Problem, TrainlabError
from trainlab.inference.preprocessing import evaluation_data, save_preprocessing
from trainlab.interrupts import interrupts_raise
from trainlab.metrics.defaults import higher_is_better
from trainlab.models import count_parameters
from trainlab.overrides import apply_overrides, flatten, parse_overrides, quick_overrides, replace_exclusive
from trainlab.recipe import DataSpec, Recipe, validate_recipe, with_default_components, written_out
from trainlab.recipe_yaml import read_recipe_file
from trainlab.references import code_references, trusting_code
from trainlab.run_dir import WEIGHTS, RunDirectory, load_best_weights, package_versions
from trainlab.summary_tables import print_summary
from trainlab.train import JsonlLogger, ProcessContext, ProgressBar, Trainer, seed_everything
from trainlab.train.anomaly import divergence
from trainlab.train.callbacks import LogLines
from trainlab.train.callbacks.loggers import build_loggers, require_loggers
from trainlab.train.checkpoint import CheckpointManager
from trainlab.train.distributed import gather_objects, init_distributed, shutdown
from trainlab.train.resume import restore_latest, resume_directory
from trainlab.train.seed import set_deterministic
from trainlab.train.threads import ThreadChoice, use_threads


@dataclass
class FitResult:
    """What ``fit`` returns.

    Attributes:
        summary: Final metrics per split plus run facts (the contents of summary.json).
        history: Every logged training step and evaluation, as in metrics.jsonl.
        model: The trained model.
        recipe: The resolved recipe.
        run_dir: Where the files went, or None when ``save=False``.
    """

    summary: dict[str, Any]
    history: list[dict[str, Any]]
    model: nn.Module
    recipe: Recipe
    run_dir: Path | None


def resolve_recipe(
    recipe: Recipe | Mapping[str, Any] | str | os.PathLike | None = None,
    overrides: Sequence[str] = (),
    *,
    python_model: bool = False,
    python_data: bool = False,
    **fields: Any,
) -> Recipe:
    """Merge a recipe (file, mapping or Recipe), quick fields and ``--set`` overrides, then validate."""
    source = None
    if recipe is None:
        raw: dict[str, Any] = {}
    elif isinstance(recipe, Recipe):
        raw = recipe.to_dict()
    elif isinstance(recipe, Mapping):
        raw = dict(recipe)
    else:
        source = str(recipe)
        raw = read_recipe_file(recipe)
    with_default_components(raw)
    # Flags and --set override the recipe; one half of an exclusive pair replaces the recipe's other half.
    given = {**quick_overrides(fields), **parse_overrides(overrides)}
    notes = replace_exclusive(raw, given)
    apply_overrides(raw, given)
    if python_data:
        raw.setdefault("data", {"name": "custom"})
    resolved = validate_recipe(raw, source=source, skip=_skips(python_model, python_data))
    resolved.notes.extend(notes)
    return resolved


def fit(
    recipe: Recipe | Mapping[str, Any] | str | os.PathLike | None = None,
    *,
    model: nn.Module | str | None = None,
    data: Any = None,
    callbacks: Sequence[Any] = (),
    overrides: Sequence[str] = (),
    save: bool = True,
    resume: str | os.PathLike | None = None,
    trust_code: bool = False,
    verbose: int = 1,
    **fields: Any,
) -> FitResult:
    """Train a model from a recipe, keyword fields, or both.

    Args:
        recipe: A recipe file path, a mapping in the recipe's shape, or a :class:`Recipe`.
        model: A registered model name, or your own ``nn.Module`` (replaces the recipe's model).
        data: A registered dataset name, or your own data: a ``DataBundle``, a torch ``Dataset``
            or an ``(x, y)`` tuple.
        callbacks: Extra callback objects (see ``trainlab.train.Callback``).
        overrides: ``["optimizer.lr=3e-3", ...]``, as ``--set`` on the command line.
        save: Write the run directory (recipe.yaml, metrics.jsonl, summary.json, weights).
        resume: A run directory to continue from its newest complete checkpoint; its recipe.yaml
            is used when ``recipe`` is None.
        trust_code: Consent to import and run the code that a ``module:factory`` reference in the
            recipe names (a model, dataset, loss, ...). Without it such a recipe is refused.
        verbose: 0 prints nothing; 1 (the default) shows progress, as a bar on a terminal and a line
            per log interval elsewhere (``train.progress: false`` turns it off); 2 also prints the
            final metrics of every split. The run directory's log.txt is written whatever the level.
        **fields: Quick fields, e.g. ``data="mnist1d", model="cnn1d", lr=1e-2, steps=6000``.

    Returns:
        A :class:`FitResult` with the summary and history.

    Raises:
        TrainlabError: for any problem with the recipe, data or model, before training starts.
    """
    # A string is a registry name (the quick form); anything else is an object from Python.
    if isinstance(data, str):
        fields["data"], data = data, None
    if isinstance(model, str):
        fields["model"], model = model, None
    if resume is not None:
        if not save:
            raise TrainlabError("resume=... continues a saved run; it cannot be combined with save=False")
        recipe = Path(resume) / "recipe.yaml" if recipe is None else recipe
        fields["out"] = str(resume)
    with trusting_code(trust_code):
        resolved = resolve_recipe(
            recipe, overrides, python_model=model is not None, python_data=data is not None, **fields
        )
        result = _run(
            resolved,
            model=model,
            data=data,
            callbacks=callbacks,
            save=save,
            resume=resume,
            progress=verbose > 0,
        )
    if verbose >= 2:
        print_summary(result.summary, Console())
    return result


def preflight(
    recipe: Recipe | Mapping[str, Any] | str | os.PathLike | None = None,
    *,
    overrides: Sequence[str] = (),
    resume: str | os.PathLike | None = None,
    trust_code: bool = False,
    world_size: int = 1,
    **fields: Any,
) -> Recipe:
    """Every check ``fit`` makes before training, for ``world_size`` data-parallel processes, writing nothing.

    ``trainlab fit --nproc N`` runs it once before launching the processes, so that a mistake is
    one message from one process, not one per rank.

    Raises:
        TrainlabError: the first problem with the recipe, the data, the model or the batches.
    """
    if recipe is None and resume is not None:
        recipe = Path(resume) / "recipe.yaml"
    with trusting_code(trust_code):
        resolved = resolve_recipe(recipe, overrides, **fields)
        build.resolve_device(resolved.train.device)
        # Built on the CPU: the processes will each take their device; only shapes and sizes matter here.
        process = ProcessContext(rank=0, world_size=world_size, local_world_size=world_size)
        build.build_parts(resolved, model=None, data=None, device=torch.device("cpu"), process=process)
    return resolved


def _run(
    recipe: Recipe,
    *,
    model: nn.Module | None,
    data: Any,
    callbacks: Sequence[Any],
    save: bool,
    resume: str | os.PathLike | None = None,
    progress: bool = True,
) -> FitResult:
    settings = recipe.train
    process = ProcessContext.from_env()
    seed_everything(settings.seed)
    set_deterministic(settings.deterministic)
    device = init_distributed(process, build.resolve_device(settings.device))
    resume_dir = resume_directory(resume, recipe.out, settings.resume)
    # Before anything is computed: threads split sums, and a resumed run rounds like the run it continues.
    threads = use_threads(
        settings.threads,
        process,
        deterministic=settings.deterministic,
        resumed=RunDirectory(resume_dir).checkpoints_path if resume_dir else None,
    )

    # Everything the user can get wrong is checked here, before the run directory exists.
    parts = build.build_parts(recipe, model=model, data=data, device=device, process=process)
    require_loggers(settings.loggers)
    recorded = _reproducible(recipe, parts)
    if resume_dir is not None:
        _check_resume_changes(resume_dir, recorded, build.training_task(recipe, parts.bundle))

    run = None
    if save and process.is_main:
        run = (
            RunDirectory.reopen(resume_dir)
            if resume_dir
            else RunDirectory.create(recipe.out, recipe.run_name)
        )
        if resume_dir is None:
            run.write_recipe(recorded.to_yaml(), note=_recipe_note(recipe, model))
            save_preprocessing(run.path, parts.bundle)
    run_callbacks = [*parts.callbacks, *callbacks]
    if run is not None:
        run_callbacks.append(JsonlLogger(run.metrics_path))
        run_callbacks.extend(build_loggers(settings.loggers, run.path))
    if process.is_main:
        # A bar on a terminal; a plain line per log interval otherwise (pipes, CI, nohup); log.txt always.
        show = progress and settings.progress
        bar = show and ProgressBar.wanted()
        if bar:
            run_callbacks.append(ProgressBar())
        if run is not None or (show and not bar):
            log_file = run.path / "log.txt" if run is not None else None
            run_callbacks.append(LogLines(log_file, echo=show and not bar))
    # Every rank needs the run directory's path (to read checkpoints); rank 0 chose it.
    run_path = gather_objects(str(run.path) if run else None, process)[0]
    checkpoints = None
    if run_path is not None:
        checkpoints = CheckpointManager(
            RunDirectory(run_path).checkpoints_path,
            keep_last=settings.keep_last,
            higher_is_better=higher_is_better(parts.monitor_metric),
        )
        if resume_dir is None and settings.checkpoint_every and process.is_main:
            checkpoints.record_start()  # a resume before the first checkpoint still knows the thread count

    trainer = Trainer(
        parts.model,
        parts.loss_fn,
        parts.optimizer,
        parts.batches,
        settings,
        scheduler=parts.scheduler,
        evaluator=parts.evaluator,
        eval_sets=parts.eval_sets,
        callbacks=run_callbacks,
        penalties=parts.penalties,
        batch_transform=parts.batch_transform,
        monitor_metric=parts.monitor_metric,
        process=process,
        checkpoints=checkpoints,
    )
    if resume_dir is not None and checkpoints is not None:
        restore_latest(trainer, checkpoints, process)
        if run is not None:
            run.rewrite_metrics(trainer.history)
            # The recorded recipe keeps up with what this session changed (a longer run, say).
            note = f"Resumed at step {trainer.step}." if trainer.step else ""
            run.write_recipe(
                recorded.to_yaml(), note="\n".join(filter(None, [_recipe_note(recipe, model), note]))
            )

    first_step = trainer.step
    started = time.perf_counter()
    try:
        with interrupts_raise():  # Ctrl-C now leaves a record in the run directory
            history = trainer.fit()
    except BaseException as exc:
        if run is not None:
            run.record_failure(exc, step=trainer.step)
        raise
    wall_time = time.perf_counter() - started

    summary = _summary(recipe, parts, trainer, wall_time, run, first_step=first_step, threads=threads)
    if run is not None:
        run.save_weights(parts.model)
        summary["model"]["weights_bytes"] = (run.path / WEIGHTS).stat().st_size
        run.write_summary(summary)
    shutdown(process)
    return FitResult(
        summary=summary, history=history, model=parts.model, recipe=recipe, run_dir=run.path if run else None
    )


# Keys a resumed run may change: how long it goes on, and how it reports. Anything else would be
# silently overwritten by the checkpoint (the lr is in the optimizer's state) or would not fit it.
RESUMABLE_CHANGES = (
    "train.steps",
    "train.epochs",
    "train.log_every",
    "train.eval_every",
    "train.checkpoint_every",
    "train.keep_last",
    "train.progress",
    "train.threads",
    "train.loggers",
    "train.resume",
)


def _check_resume_changes(resume_dir: Path, recorded: Recipe, task: str) -> None:
    """Refuse to resume with settings that differ from the run's, except those a resume can honour.

    The recorded recipe gets today's defaults written out too, so an option added to trainlab after
    the run was made compares as its default, which keeps the old behaviour.

    Raises:
        ConfigError: naming each differing key, its recorded and its new value, and the way out.
    """
    path = resume_dir / "recipe.yaml"
    saved = flatten(written_out(validate_recipe(read_recipe_file(path), source=str(path)), task).to_dict())
    now = flatten(recorded.to_dict())
    differing = [key for key in sorted(saved.keys() | now.keys()) if saved.get(key) != now.get(key)]
    refused = [key for key in differing if key not in RESUMABLE_CHANGES and key != "name"]
    if refused:
        raise ConfigError(
            [
                Problem(key, f"is {saved.get(key)!r} in the run being resumed but {now.get(key)!r} now")
                for key in refused
            ],
            source=f"--resume {resume_dir}: a resumed run continues as recorded in {path}; only "
            f"{', '.join(RESUMABLE_CHANGES)} may change. To train with other settings start a new run "
            f"(trainlab fit {path} --set KEY=VALUE --out NEW_DIR)",
        )


def _recipe_note(recipe: Recipe, model: nn.Module | None) -> str:
    """What recipe.yaml's header says beyond the recipe: overrides that replaced a recipe key, a
    model from Python, the code the run needs."""
    notes = list(recipe.notes)
    if model is not None:
        notes.append(f"The model was passed from Python ({type(model).__name__}); `model` names none.")
    references = code_references(recipe.to_dict())
    if references:
        notes.append(
            "This run needs code: " + ", ".join(f"{key}={spec}" for key, spec in references) + ". Loading it "
            "(fit, evaluate, resume) imports and runs that code, so it needs --trust-code (trust_code=True)."
        )
    return "\n".join(notes)


def _summary(
    recipe: Recipe,
    parts: build.TrainingParts,
    trainer: Trainer,
    wall_time: float,
    run: RunDirectory | None,
    *,
    first_step: int,
    threads: ThreadChoice,
) -> dict[str, Any]:
    """What summary.json holds: the final metrics of every split, then the facts of the run.

    ``first_step`` is where this process started (a resumed run's checkpoint step): the wall time
    and the speed are this session's, so they are reported with this session's steps.
    """
    bundle = parts.bundle
    session_steps = trainer.step - first_step
    return {
        "status": "finished",
        **{
            split: trainer.last_eval[split]
            for split in ("train", "val", "test")
            if split in trainer.last_eval
        },
        "run": {
            "name": recipe.run_name,
            "dir": str(run.path) if run else None,
            "steps": trainer.step,
            "resumed_from_step": first_step or None,
            "session_steps": session_steps,
            "epochs": trainer.step * recipe.train.grad_accum_steps / max(len(parts.batches), 1),
            "wall_time_s": wall_time,
            "steps_per_s": session_steps / wall_time if wall_time > 0 else None,
            "parameters": count_parameters(parts.model),
            "device": str(trainer.device),
            "threads": threads.as_dict(),
            "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "code_references": [spec for _, spec in code_references(recipe.to_dict())],
            "diverged": divergence(trainer.history),
        },
        "data": {
            "name": bundle.name,
            "task": bundle.task,
            "input_shape": list(bundle.input_shape),
            "num_classes": bundle.num_classes,
            "classes": bundle.info.get("classes"),
            "num_outputs": bundle.num_outputs,
            "sizes": {
                split: bundle.size(split)
                for split in ("train", "val", "test")
                if bundle.split(split) is not None
            },
            "scaling": bundle.info.get("scaling", "none"),
            # What was done to the training split on purpose, for whoever reads the scores.
            **{fact: bundle.info[fact] for fact in ("imbalance", "label_noise") if fact in bundle.info},
        },
        "model": model_facts(parts.model),
        "optimizer": build.describe_optimizer(parts.optimizer),
        **({"finetune": parts.finetuning.summary} if parts.finetuning else {}),
        "versions": package_versions(),
    }


def evaluate(
    run_dir: str | os.PathLike,
    *,
    data: str | None = None,
    splits: Sequence[str] = ("test",),
    model: nn.Module | None = None,
    overrides: Sequence[str] = (),
    weights: str = "last",
    trust_code: bool = False,
) -> dict[str, dict[str, Any]]:
    """Evaluate a finished run's weights, on its own data or on other data.

    Args:
        run_dir: A directory written by ``fit``.
        data: Evaluate on this registered dataset instead of the run's (same split and scaling options).
        splits: Which splits to evaluate.
        model: The module, when the run's model was passed from Python.
        overrides: ``--set`` keys on the run's recipe, e.g. ``["data.path=new.csv"]`` to point it at new data.
        weights: ``last`` (model.safetensors, the final step) or ``best`` (the checkpoint with the best
            validation metric; needs ``train.checkpoint_every`` and ``train.eval_every`` in the run).
        trust_code: Consent to run the code the run's recipe references (``module:factory``).

    Returns:
        ``{split: {"loss": ..., <metric>: ...}}``.
    """
    if weights not in ("last", "best"):
        raise TrainlabError(
            f"--weights {weights!r}: use last (the final weights) or best (the best checkpoint)"
        )
    with trusting_code(trust_code):
        run = RunDirectory(run_dir)
        if not run.path.is_dir():
            raise TrainlabError(f"run directory '{run.path}' does not exist")
        raw = read_recipe_file(run.path / "recipe.yaml")
        if data:
            # Keep the run's split and scaling options; the old dataset's own options may not apply.
            split_options = {k: v for k, v in (raw.get("data") or {}).items() if k in DataSpec.model_fields}
            raw["data"] = {**split_options, "name": data}
        apply_overrides(raw, overrides)
        recipe = validate_recipe(
            raw, source=str(run.path / "recipe.yaml"), skip=_skips(model is not None, False)
        )
        device = build.resolve_device(recipe.train.device)
        bundle = evaluation_data(recipe, run.path, new_data=bool(data or overrides))
        network = build.build_network(recipe, bundle, model).to(device)
        metrics = build.build_metrics(recipe, bundle)
        if weights == "best":
            load_best_weights(run, network, higher_is_better=higher_is_better(build.monitor_metric(metrics)))
        else:
            run.load_weights(network)
        build.check_model_fits_data(network, bundle, device)
        evaluator = build.build_evaluator(recipe, bundle, build.build_loss(recipe, bundle), metrics, device)
        results = {}
        for split in splits:
            dataset = bundle.split(split)
            if dataset is None:
                raise TrainlabError(
                    f"split '{split}' is empty for data '{bundle.name}'; choose another --split"
                )
            results[split] = evaluator.evaluate(network, dataset)
        return results


def _reproducible(recipe: Recipe, parts: build.TrainingParts) -> Recipe:
    """The recipe as the run directory records it: every default written out, a data path and a
    from_run run made absolute (so evaluate works from any directory), and no ``out`` (re-running it makes a new run)."""
    recorded = written_out(recipe, build.training_task(recipe, parts.bundle))
    data = recorded.data
    path = data.options.get("path")
    if isinstance(path, str) and not Path(path).is_absolute():
        data = data.model_copy(update={"path": str(Path(path).resolve())})
    model = recorded.model
    run = model.options.get("run") if model is not None and model.name == "from_run" else None
    if isinstance(run, str) and not Path(run).is_absolute():  # the run a fine-tuning run started from
        model = model.model_copy(update={"run": str(Path(run).resolve())})  # type: ignore[union-attr]
    return recorded.model_copy(update={"out": None, "data": data, "model": model})


def _skips(python_model: bool, python_data: bool) -> tuple[str, ...]:
    return tuple(name for name, given in (("model", python_model), ("data", python_data)) if given)
