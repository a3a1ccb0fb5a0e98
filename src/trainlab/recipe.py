"""The recipe: one run described in YAML (names and numbers, never code), validated before any work."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from trainlab.data._affine import Scaling
from trainlab.errors import ConfigError, Problem, TrainlabError, did_you_mean

PositiveInt = Annotated[int, Field(ge=1)]
PositiveFloat = Annotated[float, Field(gt=0.0)]


class Component(BaseModel):
    """A registered component: ``name`` plus its options, written ``adam`` or ``{name: adam, lr: 0.01}``."""

    model_config = ConfigDict(extra="allow")

    name: str

    @model_validator(mode="before")
    @classmethod
    def _accept_bare_name(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value

    @property
    def options(self) -> dict[str, Any]:
        """The keyword arguments for the component's factory."""
        return dict(self.model_extra or {})


class DataSpec(Component):
    """Which dataset to load and how to split and scale it; other keys are the dataset's options."""

    val_fraction: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.1
    """Fraction of the training split held out for validation (stratified, fixed by split_seed)."""
    test_fraction: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.2
    """Fraction held out for testing when the dataset ships no test split."""
    split_seed: int = 0
    """Seed of the validation and test splits, independent of the training seed."""
    scaling: Scaling = "standardize"
    """Input scaling fitted on the training split only: standardize (z-scores), minmax ([0, 1]) or none."""

    @model_validator(mode="before")
    @classmethod
    def _renamed_standardize(cls, values: Any) -> Any:
        if isinstance(values, Mapping) and "standardize" in values:
            raise ValueError(
                "'standardize' is now 'scaling: standardize | minmax | none' "
                "(standardize: false is scaling: none)"
            )
        return values

    imbalance: ImbalanceSpec | None = None
    """Make the training split long-tailed, e.g. ``{ratio: 100}`` (validation and test stay as they are)."""


class ImbalanceSpec(BaseModel):
    """A long-tailed training split: class c keeps n_max * ratio^(-c / (C - 1)) samples (Cui et al. 2019)."""

    model_config = ConfigDict(extra="forbid")

    ratio: Annotated[float, Field(ge=1.0)]
    """Imbalance ratio: samples of the largest class over samples of the smallest."""
    profile: Literal["exponential", "step"] = "exponential"
    """``exponential`` decay over the classes, or ``step``: half the classes keep 1 / ratio."""
    seed: int = 0
    """Seed of which samples are kept."""


class TrainSettings(BaseModel):
    """How long and how to train."""

    model_config = ConfigDict(extra="forbid")

    steps: PositiveInt | None = None
    """Optimizer steps to take (give this or epochs)."""
    epochs: PositiveInt | None = None
    """Passes over the training split (give this or steps)."""
    batch_size: PositiveInt = 64
    """Samples per optimizer step (per micro-batch when accumulating gradients)."""
    eval_batch_size: PositiveInt = 1024
    """Samples per forward pass when evaluating."""
    grad_accum_steps: PositiveInt = 1
    """Micro-batches whose gradients are summed before each optimizer step."""
    grad_clip_norm: PositiveFloat | None = None
    """Clip the global gradient L2 norm to this value."""
    grad_clip_value: PositiveFloat | None = None
    """Clip every gradient element to [-value, value]."""
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"
    """Autocast precision: bf16 works on CPU and GPU, fp16 needs a CUDA device."""
    seed: int = 0
    """Seeds python, numpy and torch; the same seed gives the same run."""
    deterministic: bool = False
    """Ask torch for deterministic kernels (slower on GPU; needed for bit-identical resume)."""
    eval_every: PositiveInt | None = None
    """Evaluate ``eval_on`` every N steps (every split is evaluated at the end)."""
    eval_on: Literal["val", "test"] = "val"
    """Split evaluated every eval_every steps; ``test`` tracks test accuracy the way papers plot it
    (then nothing may be selected on it)."""
    log_every: PositiveInt = 50
    """Log the mean training loss every N steps; the only point where the loop syncs."""
    device: Literal["cpu", "cuda", "mps", "auto"] = "cpu"
    """Where to train; auto picks CUDA, then MPS, then CPU."""
    threads: PositiveInt | None = None
    """Torch intra-op threads; default: every core."""
    progress: bool = True
    """Show a progress bar when stdout is a terminal."""
    checkpoint_every: PositiveInt | None = None
    """Checkpoint every N steps and after the last one (SIGTERM/SIGINT always checkpoint before stopping)."""
    keep_last: PositiveInt = 2
    """Checkpoints kept, newest first; the one with the best eval_on metric is kept as well."""
    resume: Literal["never", "auto"] = "never"
    """``auto``: continue from the newest complete checkpoint in ``out`` if there is one."""
    nan_policy: Literal["raise", "skip", "rollback"] = "raise"
    """On a NaN/Inf loss or gradient (or a spike): stop naming the culprit, skip the batch, or roll back to
    the last checkpoint with a lower lr."""
    spike_zscore: PositiveFloat | None = None
    """Treat a step loss this many standard deviations above the last spike_window steps as a spike."""
    spike_window: Annotated[int, Field(ge=2)] = 50
    """Steps in the rolling window of the spike detector."""
    rollback_lr_factor: Annotated[float, Field(gt=0.0, le=1.0)] = 0.5
    """Multiplies the learning rate at each rollback."""

    @model_validator(mode="after")
    def _check_length(self) -> TrainSettings:
        if self.steps is not None and self.epochs is not None:
            raise ValueError("can't set both `train.steps` and `train.epochs`; keep one")
        if self.steps is None and self.epochs is None:
            raise ValueError("set `train.steps` or `train.epochs`")
        if self.grad_clip_norm is not None and self.grad_clip_value is not None:
            raise ValueError("can't set both `train.grad_clip_norm` and `train.grad_clip_value`; keep one")
        if self.nan_policy == "rollback" and self.checkpoint_every is None:
            raise ValueError(
                "`train.nan_policy: rollback` needs `train.checkpoint_every`: the states it rolls back to"
            )
        return self


class Recipe(BaseModel):
    """One training run. Loaded from YAML with :func:`load_recipe`, or built in Python."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    """Run name; default ``<data>-<model>``."""
    data: DataSpec
    model: Component | None = None
    """Registered model name, or ``package.module:factory`` for your own. None only when fit() is given a model."""
    loss: Component | None = None
    """Default: cross_entropy for classification, mse for regression."""
    optimizer: Component = Field(default_factory=lambda: Component(name="adam"))
    schedule: Component | None = None
    """Learning-rate schedule; default: constant."""
    train: TrainSettings
    metrics: list[Component] | None = None
    """Default: accuracy, f1_macro, confusion_matrix (classification); mse, mae, r2 (regression)."""
    callbacks: list[Component] = Field(default_factory=list)
    regularizers: list[Component] = Field(default_factory=list)
    """Penalties, parametrizations and constraints, e.g. ``[{name: l1, strength: 1e-5}]``; logged as penalty.<name>."""
    init: Component | list[Component] | None = None
    """Weight initialization of linear and conv layers, e.g. ``kaiming_normal``; ``pattern`` picks layers by name."""
    augment: list[Component] = Field(default_factory=list)
    """Batch augmentations applied in order to training batches (shift, noise, flip, mixup, cutmix, ...)."""
    sampler: Component | None = None
    """How training batches are drawn: class_balanced, oversample or undersample; default a shuffle."""
    out: str | None = None
    """Run directory; default ``runs/<name>/<timestamp>``."""

    @model_validator(mode="after")
    def _check_eval_split(self) -> Recipe:
        if self.train.eval_every and self.train.eval_on == "val" and self.data.val_fraction == 0:
            raise ValueError(
                "`train.eval_every` evaluates the validation split, but `data.val_fraction` is 0; "
                "set data.val_fraction > 0, or train.eval_on: test"
            )
        if self.train.resume == "auto" and self.out is None:
            raise ValueError("`train.resume: auto` needs `out`: the run directory to resume from")
        return self

    @property
    def run_name(self) -> str:
        model = self.model.name.rsplit(":", 1)[-1] if self.model else "custom"
        return self.name or f"{self.data.name}-{model}"

    def to_dict(self) -> dict[str, Any]:
        """The fully resolved recipe as plain data (every default written out)."""
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, default_flow_style=None)


# ---------------------------------------------------------------------------------------------
# Flat names used by the CLI's quick form and by fit(**kwargs).

QUICK_FIELDS: dict[str, str] = {
    "name": "name",
    "data": "data.name",
    "model": "model.name",
    "loss": "loss.name",
    "optimizer": "optimizer.name",
    "lr": "optimizer.lr",
    "weight_decay": "optimizer.weight_decay",
    "schedule": "schedule.name",
    "steps": "train.steps",
    "epochs": "train.epochs",
    "batch_size": "train.batch_size",
    "grad_accum_steps": "train.grad_accum_steps",
    "grad_clip_norm": "train.grad_clip_norm",
    "grad_clip_value": "train.grad_clip_value",
    "precision": "train.precision",
    "seed": "train.seed",
    "eval_every": "train.eval_every",
    "log_every": "train.log_every",
    "device": "train.device",
    "out": "out",
}


# ---------------------------------------------------------------------------------------------
# YAML


class _RecipeLoader(yaml.SafeLoader):
    """SafeLoader that reads ``1e-3`` as a float (YAML 1.1 wants ``1.0e-3`` and would give a string)."""


_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_RecipeLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:float"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_RecipeLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def parse_yaml(text: str, source: str = "<string>") -> Any:
    try:
        return yaml.load(text, Loader=_RecipeLoader)
    except yaml.YAMLError as exc:
        raise TrainlabError(f"{source} is not valid YAML: {exc}") from None


def read_recipe_file(path: str | Path) -> dict[str, Any]:
    """Read a recipe file into plain data; missing or malformed files raise TrainlabError."""
    path = Path(path)
    if not path.exists():
        raise TrainlabError(
            f"recipe file '{path}' does not exist; check the path (looked at {path.resolve()})"
        )
    if path.is_dir():
        hint = " (a run directory: pass its recipe.yaml)" if (path / "recipe.yaml").exists() else ""
        raise TrainlabError(f"'{path}' is a directory, not a recipe file{hint}")
    raw = parse_yaml(path.read_text(), source=str(path))
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise TrainlabError(f"{path} must hold a mapping of recipe keys (data, model, optimizer, train, ...)")
    return raw


def apply_overrides(raw: dict[str, Any], overrides: Sequence[str] | Mapping[str, Any]) -> dict[str, Any]:
    """Set dotted keys in ``raw``: ``["optimizer.lr=3e-3"]`` or ``{"optimizer.lr": 3e-3}``.

    A component given as a bare name (``optimizer: adam``) becomes ``{name: adam}`` when one of
    its options is set.
    """
    if not isinstance(overrides, Mapping):
        pairs = {}
        for item in overrides:
            if "=" not in item:
                raise TrainlabError(f"--set '{item}' must look like key=value, e.g. optimizer.lr=3e-3")
            key, value = item.split("=", 1)
            pairs[key.strip()] = parse_yaml(value, source=f"--set {item}") if value.strip() else None
        overrides = pairs
    for dotted, value in overrides.items():
        node = raw
        parts = dotted.split(".")
        for depth, part in enumerate(parts[:-1]):
            child = node.get(part)
            if isinstance(child, str):
                child = {"name": child}
            elif child is None:
                child = {}
            elif not isinstance(child, dict):
                raise TrainlabError(f"--set {dotted}: '{'.'.join(parts[: depth + 1])}' is not a section")
            node[part] = child
            node = child
        node[parts[-1]] = value
    return raw


def quick_overrides(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Map flat names (``lr``, ``batch_size``, ...) to dotted recipe keys, skipping unset ones."""
    unknown = [k for k in fields if k not in QUICK_FIELDS]
    if unknown:
        raise ConfigError(
            [Problem(k, f"unknown field{did_you_mean(k, QUICK_FIELDS)}") for k in unknown],
            source="fit() arguments",
        )
    return {QUICK_FIELDS[k]: v for k, v in fields.items() if v is not None}


# ---------------------------------------------------------------------------------------------
# Validation


def validate_recipe(raw: Mapping[str, Any], source: str | None = None, skip: Sequence[str] = ()) -> Recipe:
    """Check a recipe's structure and every component name and option; report all problems at once.

    Args:
        raw: The recipe as plain data.
        source: Where it came from, for the message.
        skip: Components given as Python objects (``"model"``, ``"data"``) whose names are not checked.

    Raises:
        ConfigError: listing every problem, each under the YAML key the user wrote.
    """
    problems: list[Problem] = []
    recipe = None
    try:
        recipe = Recipe.model_validate(dict(raw))
    except pydantic.ValidationError as exc:
        problems.extend(_pydantic_problems(exc))
    # Component names and options are checked even when the structure has problems, so that a
    # typo in a key and a typo in a name show up in the same message.
    seen = {p.key for p in problems}
    problems.extend(p for p in check_components(raw, skip=skip) if p.key not in seen)
    problems.extend(check_soft_targets(raw))
    if problems or recipe is None:
        raise ConfigError(problems, source=source)
    return recipe


def load_recipe(path: str | Path, overrides: Sequence[str] | Mapping[str, Any] = ()) -> Recipe:
    """Read, override and validate a recipe file."""
    raw = apply_overrides(read_recipe_file(path), overrides)
    return validate_recipe(raw, source=str(path))


# Recipe keys that hold registered components: (registry kind, options trainlab supplies itself).
COMPONENT_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "data": ("dataset", ()),
    "model": ("model", ("input_shape", "num_outputs")),
    "loss": ("loss", ("class_counts",)),
    "optimizer": ("optimizer", ("params",)),
    "schedule": ("schedule", ("optimizer", "total_steps")),
    "metrics": ("metric", ("num_classes",)),
    "callbacks": ("callback", ()),
    "regularizers": ("regularizer", ()),
    "init": ("init", ()),
    "augment": ("augmentation", ("num_classes",)),
    "sampler": ("sampler", ("dataset", "batch_size", "seed", "device", "drop_last", "rank", "world_size")),
}


def check_components(raw: Mapping[str, Any], skip: Sequence[str] = ()) -> list[Problem]:
    """Problems with component names and options, found in the registries (no data is loaded).

    Works on the raw mapping so that it can run beside structural validation; a component whose
    own structure is broken is left to that validation.
    """
    from trainlab.registry import get_registry

    problems: list[Problem] = []
    for field, (kind, provided) in COMPONENT_FIELDS.items():
        value = raw.get(field)
        if field in skip or value is None:
            continue
        items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        for index, item in items:
            key = field if index is None else f"{field}[{index}]"
            try:
                component = (DataSpec if field == "data" else Component).model_validate(item)
            except pydantic.ValidationError:
                continue
            if ":" in component.name and field == "model":
                continue  # a user's module:factory, checked when it is imported
            registry = get_registry(kind)
            if component.name not in registry:
                problems.append(Problem(f"{key}.name", registry.unknown_name_message(component.name)))
                continue
            _, found = registry.get(component.name).check_kwargs(
                component.options, provided=provided, key=key
            )
            problems.extend(found)
    return problems


def check_soft_targets(raw: Mapping[str, Any]) -> list[Problem]:
    """Augmentations that mix labels (mixup, cutmix) against a loss that needs class indices."""
    from trainlab.registry import get_registry

    loss = raw.get("loss")
    loss_name = loss if isinstance(loss, str) else loss.get("name") if isinstance(loss, Mapping) else None
    losses, augmentations = get_registry("loss"), get_registry("augmentation")
    if (
        not isinstance(loss_name, str)
        or loss_name not in losses
        or losses.get(loss_name).flags.get("soft_targets", True)
    ):
        return []
    problems = []
    augment = raw.get("augment")
    for index, item in enumerate(augment if isinstance(augment, list) else []):
        name = item if isinstance(item, str) else item.get("name") if isinstance(item, Mapping) else None
        if (
            isinstance(name, str)
            and name in augmentations
            and augmentations.get(name).flags.get("makes_soft_targets")
        ):
            problems.append(
                Problem(
                    f"augment[{index}]",
                    f"'{name}' mixes labels into class probabilities, which loss '{loss_name}' "
                    "can't take (it needs class indices); use cross_entropy, focal or kl_div, or remove it",
                )
            )
    return problems


def _pydantic_problems(exc: pydantic.ValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc = list(error["loc"])
        key = _dotted(loc)
        kind = error["type"]
        if kind == "extra_forbidden":
            parent = _model_at(loc[:-1])
            fields = list(parent.model_fields) if parent else []
            hint = did_you_mean(str(loc[-1]), fields) or (
                f"; valid keys: {', '.join(fields)}" if fields else ""
            )
            problems.append(Problem(key, f"unknown key{hint}"))
        elif kind == "missing":
            problems.append(Problem(key, "is required"))
        elif kind == "value_error":
            message = str(error.get("ctx", {}).get("error", error["msg"]))
            problems.append(Problem(key, message))
        else:
            message = error["msg"]
            message = message[0].lower() + message[1:]
            problems.append(Problem(key, f"{message} (got {error.get('input')!r})"))
    return problems


def _model_at(loc: Sequence[Any]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Recipe
    for part in loc:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            return None
        annotation = model.model_fields[part].annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return model


def _dotted(loc: Sequence[Any]) -> str:
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key
