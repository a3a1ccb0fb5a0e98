"""The recipe: one run described in YAML (names and numbers, never code), validated before any work."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from trainlab.data.transforms.scaling import Scaling
from trainlab.errors import ConfigError, Problem, did_you_mean
from trainlab.finetune.spec import DiscriminativeLR, UnfreezeSchedule
from trainlab.metrics.defaults import default_metrics
from trainlab.overrides import apply_overrides
from trainlab.recipe_yaml import read_recipe_file
from trainlab.references import code_trusted, is_reference, untrusted_message
from trainlab.registry import Registry, get_registry
from trainlab.train.settings import TrainSettings


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
    """Input scaling fitted on the training split only: standardize (z-scores), minmax ([0, 1]), maxabs ([-1, 1],
    zeros kept), robust (median and interquartile range) or none."""

    @model_validator(mode="before")
    @classmethod
    def _renamed_standardize(cls, values: Any) -> Any:
        if isinstance(values, Mapping) and "standardize" in values:
            raise ValueError(
                "'standardize' is now 'scaling: standardize | minmax | maxabs | robust | none' "
                "(standardize: false is scaling: none)"
            )
        return values

    imbalance: ImbalanceSpec | None = None
    """Make the training split long-tailed, e.g. ``{ratio: 100}`` (validation and test stay as they are)."""
    subset: SubsetSpec | None = None
    """Keep some classes (relabelled 0..K-1 in the order given) and cap the labelled training samples per class,
    e.g. ``{classes: [5, 6, 7, 8, 9], train_per_class: 50}``."""
    preprocess: list[str | dict[str, Any]] = Field(default_factory=list)
    """Steps fitted on the training split and applied to every split before ``scaling``, e.g.
    ``[{name: impute, indicator: true}, {name: quantile, output: normal}, {name: pca, components: 10}]``
    (``trainlab catalog preprocessors``). A run saves them with its weights; ``trainlab predict`` applies them."""
    label_noise: LabelNoiseSpec | None = None
    """Flip a share of the training labels (validation and test stay clean), e.g. ``{rate: 0.2}``;
    ``trainlab label-issues`` then scores how many of the flipped samples it finds."""


class ImbalanceSpec(BaseModel):
    """A long-tailed training split: class c keeps n_max * ratio^(-c / (C - 1)) samples (Cui et al. 2019)."""

    model_config = ConfigDict(extra="forbid")

    ratio: Annotated[float, Field(ge=1.0)]
    """Imbalance ratio: samples of the largest class over samples of the smallest."""
    profile: Literal["exponential", "step"] = "exponential"
    """``exponential`` decay over the classes, or ``step``: half the classes keep 1 / ratio."""
    seed: int = 0
    """Seed of which samples are kept."""


class SubsetSpec(BaseModel):
    """A few classes of a classification dataset, and few labels per class (transfer and low-label experiments)."""

    model_config = ConfigDict(extra="forbid")

    classes: Annotated[list[int], Field(min_length=2)] | None = None
    """Class indices of the dataset to keep, in every split; class ``classes[i]`` becomes class i. None keeps all."""
    train_per_class: Annotated[int, Field(ge=1)] | None = None
    """Training samples kept per class (seeded choice); validation and test keep all of theirs."""
    seed: int = 0
    """Seed of which training samples are kept."""


class LabelNoiseSpec(BaseModel):
    """Injected label noise on the training split: symmetric (to a uniformly chosen other class) or class to class."""

    model_config = ConfigDict(extra="forbid")

    rate: Annotated[float, Field(ge=0.0, lt=1.0)]
    """Share of the training samples whose label is flipped (exactly round(rate * N) samples)."""
    kind: Literal["symmetric", "asymmetric"] = "symmetric"
    """``symmetric``: to one of the other classes, uniformly; ``asymmetric``: class c to ``mapping[c]``."""
    mapping: dict[int, int] | None = None
    """For ``asymmetric``: each class's wrong label, e.g. ``{7: 1, 3: 8}``; default c -> c + 1 (mod classes)."""
    seed: int = 0
    """Seed of which samples flip, and to what."""


class DiagnoseSpec(BaseModel):
    """Instruments on sampled steps, e.g. ``{every: 50, instruments: [params, activations]}``; ``fit --diagnose`` turns it on."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    """Measure; ``false`` keeps the section in the recipe but turns the instruments off."""
    every: Annotated[int, Field(ge=1)] | None = None
    """Sample every N steps; null: every ``train.log_every`` steps (no extra device sync)."""
    instruments: list[str | dict[str, Any]] | None = None
    """Instrument names or ``{name: ..., **options}``; null: params, activations, outputs, grad_snr."""
    window: Annotated[int, Field(ge=1)] = 10
    """Sampled steps over which a unit must stay silent to count as dead."""
    pictures: bool = True
    """Draw ``diagnostics/*.png`` in the run directory when the run ends."""

    @field_validator("instruments")
    @classmethod
    def _known_instruments(
        cls, specs: list[str | dict[str, Any]] | None
    ) -> list[str | dict[str, Any]] | None:
        registry = get_registry("instrument")
        problems = []
        for index, spec in enumerate(specs or []):
            options = {"name": spec} if isinstance(spec, str) else dict(spec)
            name = options.pop("name", None)
            if not isinstance(name, str):
                problems.append(f"[{index}] needs a name, e.g. {{name: hessian, iterations: 20}}")
            elif name not in registry:
                problems.append(f"[{index}] {registry.unknown_name_message(name)}")
            else:
                problems.extend(str(p) for p in registry.get(name).check_kwargs(options, key=f"[{index}]")[1])
        if problems:
            raise ValueError("; ".join(problems))
        return specs


class Recipe(BaseModel):
    """One training run. Loaded from YAML with :func:`load_recipe`, or built in Python."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    """Run name; default ``<data>-<model>``."""
    data: DataSpec
    model: Component | None = None
    """Registered model name, or ``package.module:factory`` for your own. None only when fit() is given a model."""
    task: Literal["classification", "regression", "reconstruction", "generative"] | None = None
    """What the model learns; default: the model's (autoencoders reconstruct, vae and rbm are generative), else
    the data's. Reconstruction and generative tasks train on the inputs alone and keep the labels for evaluation."""
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
    freeze: list[str] = Field(default_factory=list)
    """Parameters kept fixed: shell-style patterns over ``model.named_parameters()`` names, e.g. ``[conv1.*]``."""
    freeze_bn_stats: bool = False
    """Keep batch-norm layers in eval mode, so their running statistics stay as they were."""
    unfreeze_schedule: UnfreezeSchedule | None = None
    """Gradual unfreezing from the head down, e.g. ``{every_steps: 100}`` (ULMFiT)."""
    discriminative_lr: DiscriminativeLR | None = None
    """A lr per depth: the head at the optimizer's lr, each layer below ``factor`` times the one above."""
    diagnose: DiagnoseSpec | None = None
    """Instruments on sampled steps, written to diagnostics.jsonl, e.g. ``{every: 50}`` (``fit --diagnose``)."""
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

    _notes: list[str] = PrivateAttr(default_factory=list)

    @property
    def notes(self) -> list[str]:
        """How the recipe was resolved, where a reader of the file would not guess it (overrides that
        replaced a recipe key, say); written into the run directory's recipe.yaml header."""
        return self._notes

    @property
    def run_name(self) -> str:
        model = self.model.name.rsplit(":", 1)[-1] if self.model else "custom"
        return self.name or f"{self.data.name}-{model}"

    def to_dict(self) -> dict[str, Any]:
        """The recipe as plain data: lists for tuples, and floats kept as floats (an infinite lr stays inf)."""
        plain: dict[str, Any] = _plain(self.model_dump(mode="python"))
        return plain

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, default_flow_style=None)


def with_default_components(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` with each component that has a default (the optimizer: adam) written in, so that
    overriding one of its options (``--lr``) keeps the default rather than dropping its name."""
    for field, info in Recipe.model_fields.items():
        if raw.get(field) is None and info.default_factory is not None:
            default = info.default_factory()  # type: ignore[call-arg]  # pydantic's factories take no data here
            if isinstance(default, Component):
                raw[field] = default.model_dump()
    return raw


# The loss a run uses when its recipe names none; a representation model's output carries its objective.
DEFAULT_LOSS = {
    "classification": "cross_entropy",
    "regression": "mse",
    "reconstruction": "model_objective",
    "generative": "model_objective",
}


def written_out(recipe: Recipe, task: str) -> Recipe:
    """The recipe with every default a run used written out, as its run directory records it.

    The run name, the task's default loss and metrics, and every option of every component at
    the value it had (the user's, else the factory's default), so that the file says what ran.
    """
    raw = recipe.to_dict()
    raw["name"] = recipe.run_name
    raw["loss"] = raw["loss"] or {"name": DEFAULT_LOSS[task]}
    if task not in ("classification", "regression"):
        raw["task"] = task  # a task the model implied is written out, so that the file says what ran
    if raw["metrics"] is None:
        raw["metrics"] = [{"name": name} for name in default_metrics(task)]
    for field, (kind, provided) in COMPONENT_FIELDS.items():
        value = raw.get(field)
        if value is None:
            continue
        registry = get_registry(kind)
        if isinstance(value, list):
            raw[field] = [_with_defaults(item, registry, provided) for item in value]
        else:
            raw[field] = _with_defaults(value, registry, provided)
    return Recipe.model_validate(raw)


def _with_defaults(spec: Any, registry: Registry, provided: Sequence[str]) -> Any:
    """A component spec as ``{name, **the user's options, **every other option at its default}``."""
    spec = {"name": spec} if isinstance(spec, str) else dict(spec)
    name = spec.get("name")
    if not isinstance(name, str) or is_reference(name) or name not in registry:
        return spec  # the user's own code, or data passed from Python: its options are what was given
    for option, parameter in registry.get(name).parameters().items():
        if option in provided or option in spec or parameter.default is parameter.empty:
            continue
        default = _plain(parameter.default)
        if _is_plain_data(default):
            spec[option] = default
    return spec


def _plain(value: Any) -> Any:
    """Containers as dicts and lists, paths as strings: what YAML and JSON write."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, Path):
        return str(value)
    return value


def _is_plain_data(value: Any) -> bool:
    if isinstance(value, Mapping):
        return all(isinstance(key, str) and _is_plain_data(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_is_plain_data(item) for item in value)
    return value is None or isinstance(value, (bool, int, float, str))


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
    "loss": ("loss", ("class_counts", "num_classes")),
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
            if is_reference(component.name):
                # The user's own module:factory: refused without consent, else checked when imported.
                if not code_trusted():
                    problems.append(Problem(f"{key}.name", untrusted_message(component.name)))
                continue
            registry = get_registry(kind)
            if component.name not in registry:
                problems.append(Problem(f"{key}.name", registry.unknown_name_message(component.name)))
                continue
            also_valid = [f for f in DataSpec.model_fields if f != "name"] if field == "data" else ()
            _, found = registry.get(component.name).check_kwargs(
                component.options, provided=provided, key=key, also_valid=also_valid
            )
            problems.extend(found)
    return problems


def check_soft_targets(raw: Mapping[str, Any]) -> list[Problem]:
    """Augmentations that mix labels (mixup, cutmix) against a loss that needs class indices."""
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
