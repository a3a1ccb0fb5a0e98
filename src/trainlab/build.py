"""Turns a validated recipe into torch objects: data, model, loss, metrics, optimizer, schedule."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils.data import TensorDataset

from trainlab.data import (
    AUGMENTATIONS,
    SAMPLERS,
    Compose,
    DataBundle,
    bundle_from_python,
    class_counts,
    load_data,
    make_batch_iterator,
    make_long_tailed,
)
from trainlab.data.transforms.class_subset import subset_bundle
from trainlab.data.transforms.label_noise import noisy_bundle
from trainlab.errors import ConfigError, DataError, ModelError, Problem
from trainlab.finetune.discriminative import discriminative_optimizer
from trainlab.finetune.setup import Finetuning
from trainlab.losses import adapt_loss
from trainlab.losses.residuals import check_least_squares
from trainlab.metrics import default_metrics
from trainlab.models import build_model
from trainlab.models._shapes import input_kind
from trainlab.nn.init import apply_init
from trainlab.recipe import DEFAULT_LOSS, Component, Recipe
from trainlab.registry import CALLBACKS, LOSSES, METRICS, OPTIMIZERS, SCHEDULES
from trainlab.regularizers import REGULARIZERS
from trainlab.representation.task import (
    REPRESENTATION_TASKS,
    check_input_range,
    representation_loss_name,
    training_task,
)
from trainlab.train.callbacks.base import HOOKS
from trainlab.train.evaluator import Evaluator
from trainlab.train.precision import autocast_factory

log = logging.getLogger("trainlab")


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            [Problem("train.device", "cuda was asked for but torch sees no CUDA device; use cpu or auto")]
        )
    if name == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(
            [Problem("train.device", "mps was asked for but is not available; use cpu or auto")]
        )
    return torch.device(name)


def build_data(recipe: Recipe, data: Any = None, *, classes: list[Any] | None = None) -> DataBundle:
    """The recipe's dataset, or data passed from Python (a DataBundle, Dataset or (x, y) tuple).

    ``classes``: a trained model's classes to index the recipe's labels against (see ``load_data``).
    """
    if data is None:
        spec = recipe.data
        bundle = load_data(
            spec.name,
            val_fraction=spec.val_fraction,
            test_fraction=spec.test_fraction,
            split_seed=spec.split_seed,
            scaling=spec.scaling,
            key="data",
            classes=classes,
            preprocess=spec.preprocess,
            **spec.options,
        )
        subset = spec.subset
        if subset is not None:
            bundle = subset_bundle(bundle, subset.classes, subset.train_per_class, subset.seed)
        bundle = apply_imbalance(recipe, bundle)
        noise = spec.label_noise
        if noise is not None:
            bundle = noisy_bundle(bundle, noise.rate, noise.kind, noise.mapping, noise.seed)
        return bundle
    if isinstance(data, DataBundle):
        return data
    spec = recipe.data
    return bundle_from_python(
        data,
        val_fraction=spec.val_fraction,
        test_fraction=spec.test_fraction,
        split_seed=spec.split_seed,
        scaling=spec.scaling,
        preprocess=spec.preprocess,
    )


def build_network(recipe: Recipe, bundle: DataBundle, model: nn.Module | None = None) -> nn.Module:
    if model is not None:
        if not isinstance(model, nn.Module):
            raise ModelError(f"model= must be a torch.nn.Module, got {type(model).__name__}")
        return apply_init(model, _init_specs(recipe))
    if recipe.model is None:
        raise ConfigError(
            [
                Problem(
                    "model", "is required: name a model (`trainlab catalog models`) or pass model= to fit()"
                )
            ]
        )
    try:
        # A model larger than the free memory fails to allocate at once, instead of being built
        # until the kernel kills the process (``--set model.width=1e10``).
        with memory_bound():
            network = build_model(
                recipe.model.name, bundle.input_shape, bundle.num_outputs, key="model", **recipe.model.options
            )
    except (RuntimeError, MemoryError) as exc:
        if not isinstance(exc, MemoryError) and "allocate" not in str(exc) and "overflow" not in str(exc):
            raise
        options = ", ".join(f"model.{key}={value}" for key, value in recipe.model.options.items())
        asked = re.search(r"allocate (\d+) bytes", str(exc))
        why = (
            f"one of its tensors needs {int(asked.group(1)) / 1e9:.3g} GB"
            if asked
            else str(exc).splitlines()[0]
        )
        raise ConfigError(
            [
                Problem(
                    "model",
                    f"'{recipe.model.name}' ({options or 'its defaults'}) does not fit in this machine's free "
                    f"memory ({why}); make it smaller",
                )
            ]
        ) from None
    return apply_init(network, _init_specs(recipe))


@contextlib.contextmanager
def memory_bound() -> Iterator[None]:
    """Within the block, an allocation that would take the process past its memory now plus the
    memory free on the machine fails at once (Linux: RLIMIT_AS); elsewhere this does nothing."""
    try:
        import resource

        free = _meminfo_bytes("/proc/meminfo", "MemAvailable:")
        used = _meminfo_bytes("/proc/self/status", "VmSize:")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):
        yield
        return
    bound = used + free
    if hard != resource.RLIM_INFINITY:
        bound = min(bound, hard)
    resource.setrlimit(resource.RLIMIT_AS, (bound, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _meminfo_bytes(path: str, field: str) -> int:
    """A ``field: N kB`` line of a /proc file, in bytes."""
    with open(path) as lines:
        for line in lines:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    raise ValueError(f"{field} not in {path}")


def _init_specs(recipe: Recipe) -> list[dict[str, Any]] | None:
    """The recipe's ``init`` as plain ``{name, **options}`` mappings (one or a list)."""
    if recipe.init is None:
        return None
    specs = recipe.init if isinstance(recipe.init, list) else [recipe.init]
    return [{"name": spec.name, **spec.options} for spec in specs]


def build_loss(recipe: Recipe, bundle: DataBundle) -> nn.Module:
    task = training_task(recipe, bundle)
    if task in REPRESENTATION_TASKS:  # the model's output carries its objective; labels are not read
        options = recipe.loss.options if recipe.loss is not None else {}
        return LOSSES.get(representation_loss_name(recipe, task), key="loss.name").build(**options)
    spec = recipe.loss or Component(name=DEFAULT_LOSS[bundle.task])
    entry = LOSSES.get(spec.name, key="loss.name")
    # The facts about the data a loss may declare as options, filled in here rather than by the user.
    facts = {"class_counts": lambda: train_class_counts(bundle), "num_classes": lambda: bundle.num_classes}
    provided = {name: fact() for name, fact in facts.items() if name in entry.parameters()}
    loss = entry.build(**provided, **spec.options)
    return adapt_loss(
        entry, loss, task=bundle.task, num_classes=bundle.num_classes, target_shape=bundle.target_shape
    )


def build_metrics(recipe: Recipe, bundle: DataBundle) -> dict[str, Any]:
    task = training_task(recipe, bundle)
    specs = (
        recipe.metrics if recipe.metrics is not None else [Component(name=n) for n in default_metrics(task)]
    )
    metrics: dict[str, Any] = {}
    problems = []
    for index, spec in enumerate(specs):
        entry = METRICS.get(spec.name, key=f"metrics[{index}].name")
        metric_task = entry.flags.get("task")
        if metric_task not in (None, "any", task):
            problems.append(
                Problem(
                    f"metrics[{index}]",
                    f"'{entry.name}' is a {metric_task} metric but the data is a {task} task",
                )
            )
            continue
        provided = {"num_classes": bundle.num_classes} if "num_classes" in entry.parameters() else {}
        metrics[entry.name] = entry.build(**provided, **spec.options)
    if problems:
        raise ConfigError(problems)
    return metrics


def monitor_metric(metrics: dict[str, Any]) -> str:
    """The first scalar metric: what progress shows and "best" refers to."""
    for name in metrics:
        if METRICS.get(name).flags.get("scalar", True):
            return name
    return "loss"


def build_optimizer(recipe: Recipe, model: nn.Module, loss_fn: Any = None) -> torch.optim.Optimizer:
    """The recipe's optimizer over the model's trainable parameters and a loss's own (proxy_nca's proxies)."""
    spec = recipe.optimizer
    # Named, so that optimizer.param_groups patterns and the no-decay rule for biases and norms can match.
    params = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    if isinstance(loss_fn, nn.Module):
        params += [(f"loss.{name}", p) for name, p in loss_fn.named_parameters() if p.requires_grad]
    if not params:
        raise ModelError("the model has no trainable parameters")
    entry = OPTIMIZERS.get(spec.name, key="optimizer.name")
    if recipe.discriminative_lr is not None:
        return discriminative_optimizer(entry, model, params, spec.options, recipe.discriminative_lr.factor)
    return entry.build(params, **spec.options)


def describe_optimizer(optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """What the run summary shows of the optimizer: class, implementation, groups, routing."""
    from trainlab.optim import chosen_implementation

    groups = [
        {
            "tensors": len(g["params"]),
            "parameters": sum(p.numel() for p in g["params"]),
            **{k: g[k] for k in ("lr", "weight_decay") if k in g},
        }
        for g in optimizer.param_groups
    ]
    summary: dict[str, Any] = {"class": type(optimizer).__name__, "param_groups": groups}
    inner = getattr(optimizer, "inner", [optimizer])
    summary["implementation"] = {type(o).__name__: chosen_implementation(o) for o in inner}
    if hasattr(optimizer, "routing"):
        summary["routing"] = optimizer.routing
    return summary


def build_schedule(recipe: Recipe, optimizer: torch.optim.Optimizer, total_steps: int) -> Any:
    if recipe.schedule is None:
        return None
    spec = recipe.schedule
    warmup = spec.options.get("warmup_steps")
    if isinstance(warmup, int) and warmup >= total_steps:
        # Still warming up when the run ends, it never reaches its base lr. A warning, not an error:
        # a short smoke run of a real recipe (--steps 10) is a legitimate thing to ask for.
        log.warning(
            "schedule.warmup_steps %d is not shorter than the run (%d steps), so the lr never reaches "
            "optimizer.lr; lower it (a tenth of the run is common) or train longer",
            warmup,
            total_steps,
        )
    return SCHEDULES.get(spec.name, key="schedule.name").build(optimizer, total_steps, **spec.options)


def build_callbacks(recipe: Recipe) -> list[Any]:
    """The recipe's callbacks, and the diagnostics callback when its ``diagnose:`` section is on."""
    callbacks = [
        CALLBACKS.get(c.name, key=f"callbacks[{i}].name").build(**c.options)
        for i, c in enumerate(recipe.callbacks)
    ]
    diagnose = recipe.diagnose
    if diagnose is not None and diagnose.enabled:
        # Imported here: trainlab.diagnose's package imports the preflight checks, which build runs.
        from trainlab.diagnose.callback import DiagnoseCallback

        callbacks.append(
            DiagnoseCallback(
                every=diagnose.every,
                instruments=diagnose.instruments,
                window=diagnose.window,
                pictures=diagnose.pictures,
            )
        )
    return callbacks


def check_model_fits_data(model: nn.Module, bundle: DataBundle, device: torch.device) -> None:
    """Run two training samples through the model and check the output shape against the labels.

    Catches a wrong ``num_outputs`` or input layout before any training, with the fix named.
    """
    sample = [bundle.train[i] for i in range(min(2, bundle.size("train")))]
    if not sample:
        raise DataError("the training split is empty; lower data.val_fraction or add data")
    inputs = torch.stack([torch.as_tensor(x) for x, _ in sample]).to(device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            outputs = model(inputs)
    except Exception as exc:
        raise ModelError(
            f"the model fails on a batch of input shape {tuple(inputs.shape)} (one sample: {bundle.input_shape}): "
            f"{type(exc).__name__}: {exc}. Make the model accept inputs of shape (batch, *{bundle.input_shape})."
        ) from None
    finally:
        model.train(was_training)
    if callable(getattr(outputs, "loss_terms", None)):
        return  # a structured output (an autoencoder's) is checked by the objective it defines
    if not isinstance(outputs, torch.Tensor):
        raise ModelError(
            f"the model returns {type(outputs).__name__}; it must return a tensor of shape (batch, outputs)"
        )
    expected = bundle.num_outputs
    got = tuple(outputs.shape)
    if bundle.task == "classification":
        if outputs.dim() != 2 or got[1] != expected:
            raise ModelError(
                f"the model outputs shape {got} for a batch of {len(sample)}, but the data has {expected} classes: "
                f"the model must output (batch, {expected}). Set its output size to {expected}."
            )
    elif outputs[0].numel() != expected:
        raise ModelError(
            f"the model outputs shape {got} for a batch of {len(sample)}, but each target has shape "
            f"{bundle.target_shape or '()'} ({expected} value{'s' if expected != 1 else ''}); make it output (batch, {expected})."
        )


# ---------------------------------------------------------------------------------------------
# Components catalog: imbalance, class counts, regularizers, augmentation, samplers.


def apply_imbalance(recipe: Recipe, bundle: DataBundle) -> DataBundle:
    """The bundle with a long-tailed training split when ``data.imbalance`` asks for one."""
    spec = recipe.data.imbalance
    if spec is None:
        return bundle
    if bundle.task != "classification" or not isinstance(bundle.train, TensorDataset):
        raise ConfigError(
            [
                Problem(
                    "data.imbalance",
                    f"needs a built-in classification dataset; '{bundle.name}' is a "
                    f"{bundle.task} task; remove data.imbalance",
                )
            ]
        )
    bundle.train = make_long_tailed(bundle.train, bundle.num_outputs, spec.ratio, spec.profile, spec.seed)
    counts = train_class_counts(bundle)
    bundle.info["imbalance"] = {"ratio": spec.ratio, "profile": spec.profile, "train_class_counts": counts}
    bundle.info.setdefault("sizes", {})["train"] = bundle.size("train")
    return bundle


def train_class_counts(bundle: DataBundle) -> list[int] | None:
    """Training samples per class, for class-weighted losses; None for regression or non-tensor data."""
    if bundle.task != "classification" or not isinstance(bundle.train, TensorDataset):
        return None
    return class_counts(bundle.train.tensors[1], bundle.num_outputs)  # a classifier's outputs are its classes


def attach_loss(loss_fn: nn.Module, model: nn.Module) -> None:
    """Let a loss that reads the model's inputs (distillation) hook into it."""
    attach = getattr(loss_fn, "attach", None)
    if callable(attach):
        attach(model)


def build_regularizers(recipe: Recipe, model: nn.Module) -> tuple[dict[str, Any], list[Any]]:
    """The recipe's regularizers attached to ``model``: penalties by name, and callbacks (constraints).

    Call before building the optimizer: parametrizations (spectral norm) change the model.
    """
    penalties: dict[str, Any] = {}
    callbacks: list[Any] = []
    for index, spec in enumerate(recipe.regularizers):
        key = f"regularizers[{index}]"
        entry = REGULARIZERS.get(spec.name, key=f"{key}.name")
        regularizer = entry.build(**spec.options)
        if hasattr(regularizer, "attach"):
            try:
                regularizer.attach(model)
            except ValueError as exc:
                raise ConfigError([Problem(f"{key}.pattern", f"{exc}; change the pattern")]) from None
        if callable(regularizer):
            name = entry.name if entry.name not in penalties else f"{entry.name}_{index}"
            penalties[name] = regularizer
        if any(hasattr(regularizer, hook) for hook in HOOKS):
            callbacks.append(regularizer)
    return penalties, callbacks


def build_batch_transform(recipe: Recipe, bundle: DataBundle) -> Any:
    """The recipe's augmentations composed in order, or None; each is checked against the input kind."""
    if not recipe.augment:
        return None
    kind = input_kind(bundle.input_shape)
    transforms = []
    problems = []
    for index, spec in enumerate(recipe.augment):
        entry = AUGMENTATIONS.get(spec.name, key=f"augment[{index}].name")
        if kind not in entry.flags.get("inputs", (kind,)):
            inputs = " or ".join(entry.flags["inputs"])
            problems.append(
                Problem(
                    f"augment[{index}]",
                    f"'{entry.name}' augments {inputs} inputs, but "
                    f"'{bundle.name}' has {kind} inputs {bundle.input_shape}; remove it",
                )
            )
            continue
        provided = {"num_classes": bundle.num_classes} if "num_classes" in entry.parameters() else {}
        transforms.append(entry.build(**provided, **spec.options))
    if problems:
        raise ConfigError(problems)
    return Compose(transforms)


def build_batches(recipe: Recipe, bundle: DataBundle, device: torch.device, process: Any) -> Any:
    """The training batch iterator: the recipe's sampler, or the default shuffled iterator."""
    settings = recipe.train
    if recipe.sampler is None:
        # In data-parallel runs batch_size is per process: each rank takes its slice of every global batch.
        return make_batch_iterator(
            bundle.train,
            settings.batch_size,
            shuffle=True,
            seed=settings.seed,
            device=device,
            drop_last=process.is_distributed,
            rank=process.rank,
            world_size=process.world_size,
        )
    if bundle.task != "classification" or not isinstance(bundle.train, TensorDataset):
        raise ConfigError(
            [Problem("sampler", "class samplers need a classification dataset held in memory; remove it")]
        )
    entry = SAMPLERS.get(recipe.sampler.name, key="sampler.name")
    return entry.build(
        bundle.train,
        settings.batch_size,
        seed=settings.seed,
        device=device,
        drop_last=process.is_distributed,
        rank=process.rank,
        world_size=process.world_size,
        **recipe.sampler.options,
    )


def schedule_callbacks(scheduler: Any) -> list[Any]:
    """A schedule that watches metrics (reduce-on-plateau) also receives the callback hooks."""
    return (
        [scheduler]
        if scheduler is not None and any(hasattr(scheduler, h) for h in ("on_log", "on_eval_end"))
        else []
    )


# ---------------------------------------------------------------------------------------------
# Everything a run trains with, built in order.


@dataclass
class TrainingParts:
    """The torch objects a recipe describes, ready for the :class:`~trainlab.train.Trainer`."""

    bundle: DataBundle
    model: nn.Module
    loss_fn: nn.Module
    optimizer: torch.optim.Optimizer
    batches: Any
    scheduler: Any
    evaluator: Evaluator
    penalties: dict[str, Any]
    batch_transform: Any
    callbacks: list[Any]
    """The recipe's callbacks, then constraints and a schedule that watches metrics."""
    monitor_metric: str
    finetuning: Finetuning | None = None
    """What the recipe froze and how it unfreezes; None when it fine-tunes nothing."""

    @property
    def eval_sets(self) -> dict[str, Any]:
        return {"train": self.bundle.train, "val": self.bundle.val, "test": self.bundle.test}


def build_parts(
    recipe: Recipe, *, model: nn.Module | None, data: Any, device: torch.device, process: Any
) -> TrainingParts:
    """Build and check everything a run needs; every mistake in the recipe surfaces here, before any work."""
    bundle = build_data(recipe, data)
    network = build_network(recipe, bundle, model).to(device)
    check_model_fits_data(network, bundle, device)
    check_input_range(network, bundle)
    loss_fn = build_loss(recipe, bundle)
    attach_loss(loss_fn, network)
    metrics = build_metrics(recipe, bundle)
    penalties, constraints = build_regularizers(
        recipe, network
    )  # before the optimizer: they may reparametrize
    batch_transform = build_batch_transform(recipe, bundle)
    # Before the optimizer, so that frozen parameters get no state.
    finetuning = Finetuning.from_recipe(recipe, network, distributed=process.is_distributed)
    optimizer = build_optimizer(recipe, network, loss_fn)
    check_least_squares(optimizer, loss_fn, penalties)
    batches = build_batches(recipe, bundle, device, process)
    check_batches(recipe, bundle, batches, process)
    scheduler = build_schedule(recipe, optimizer, recipe.train.total_steps(len(batches)))
    return TrainingParts(
        bundle=bundle,
        model=network,
        loss_fn=loss_fn,
        optimizer=optimizer,
        batches=batches,
        scheduler=scheduler,
        evaluator=build_evaluator(recipe, bundle, loss_fn, metrics, device),
        penalties=penalties,
        batch_transform=batch_transform,
        callbacks=[
            *build_callbacks(recipe),
            *constraints,
            *schedule_callbacks(scheduler),
            *(finetuning.callbacks if finetuning else []),
            *representation_callbacks(recipe, bundle),
        ],
        monitor_metric=monitor_metric(metrics),
        finetuning=finetuning,
    )


def representation_callbacks(recipe: Recipe, bundle: DataBundle) -> list[Any]:
    """A representation task's evaluation and pictures at the end of the run (probe, sparsity, bounds)."""
    if training_task(recipe, bundle) not in REPRESENTATION_TASKS:
        return []
    from trainlab.representation.report import RepresentationReport

    return [RepresentationReport(bundle)]


def check_batches(recipe: Recipe, bundle: DataBundle, batches: Any, process: Any) -> None:
    """An epoch must hold at least one batch; a batch larger than the training split gets a warning.

    Raises:
        DataError: the processes' batches together need more samples than the training split has.
    """
    size = bundle.size("train")
    per_step = recipe.train.batch_size * process.world_size
    if len(batches) == 0:
        processes = f" × {process.world_size} processes" if process.is_distributed else ""
        raise DataError(
            f"train.batch_size {recipe.train.batch_size}{processes} needs {per_step} training samples per step, "
            f"but the training split has {size}; lower train.batch_size"
            + (" or --nproc" if process.is_distributed else ", or add data")
        )
    if recipe.train.batch_size > size:
        log.warning(
            "train.batch_size %d is larger than the training split (%d samples): every step uses the whole "
            "split; lower train.batch_size if that is not what you meant",
            recipe.train.batch_size,
            size,
        )


def build_evaluator(
    recipe: Recipe, bundle: DataBundle, loss_fn: nn.Module, metrics: dict[str, Any], device: torch.device
) -> Evaluator:
    return Evaluator(
        loss_fn,
        metrics,
        task=training_task(recipe, bundle),
        target_shape=bundle.target_shape,
        batch_size=recipe.train.eval_batch_size,
        device=device,
        autocast=autocast_factory(recipe.train.precision, device),
    )
