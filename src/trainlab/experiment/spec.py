"""The experiment spec (experiment.yaml): a base recipe, its variants or a grid of axes, seeds, metrics, a baseline.

Example::

    name: schedules
    base: ../recipes/digits_mlp.yaml        # relative to this file; or an inline recipe mapping
    variants:                               # name -> dotted recipe keys, as `--set` takes them
      constant: {schedule.name: constant}
      cosine: {schedule.name: cosine}
    seeds: 5                                # 0..4, or a list [0, 7, 11]
    metrics: [{name: accuracy, direction: maximize}]
    baseline: constant

``grid: {optimizer.name: [adam, sgd], optimizer.lr: [0.01, 0.1]}`` instead of ``variants`` runs the
product of the axes, each variant named from its values (``name=adam,lr=0.01``).
"""

from __future__ import annotations

import copy
import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from trainlab.errors import ConfigError, Problem, TrainlabError, did_you_mean
from trainlab.overrides import apply_overrides, replace_exclusive
from trainlab.recipe import Recipe, validate_recipe, with_default_components
from trainlab.recipe_yaml import parse_yaml, read_recipe_file

SEED_KEY = "train.seed"
# A variant's name becomes a directory name and a label in tables.
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._=,+-]")


class MetricSpec(BaseModel):
    """A metric to compare, e.g. ``{name: accuracy, direction: maximize}``; ``loss`` is always available."""

    model_config = ConfigDict(extra="forbid")

    name: str
    direction: Literal["maximize", "minimize"] | None = None
    """Default: the metric registry's ``higher_is_better`` flag (the loss is minimized)."""

    @property
    def maximize(self) -> bool:
        if self.direction is not None:
            return self.direction == "maximize"
        from trainlab.metrics.defaults import higher_is_better

        return higher_is_better(self.name)


@dataclass(frozen=True)
class Cell:
    """One run of the experiment: a variant at a seed, with its validated recipe."""

    variant: str
    seed: int
    recipe: Recipe

    @property
    def key(self) -> str:
        """The cell's identity in the storage and on disk: ``<variant>/seed-<k>``."""
        return f"{self.variant}/seed-{self.seed}"

    def run_dir(self, directory: str | Path) -> Path:
        """Where the cell's ordinary run directory lives under the experiment directory."""
        return run_path(directory, self.variant, self.seed)


def run_path(directory: str | Path, variant: str, seed: int) -> Path:
    return Path(directory) / "runs" / variant / f"seed-{seed}"


class ExperimentSpec(BaseModel):
    """A comparison: one base recipe, its variants (or a grid), run over seeds and compared on metrics."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    """The experiment's name; its Optuna study is called ``trainlab-experiment:<name>``."""
    base: str | dict[str, Any]
    """A recipe path (relative to the spec file) or an inline recipe mapping."""
    variants: dict[str, dict[str, Any] | None] | None = None
    """Variant name -> overrides as dotted recipe keys (``{optimizer.lr: 0.01}``); ``{}`` is the base as is."""
    grid: dict[str, list[Any]] | None = None
    """Dotted recipe key -> values; every combination is a variant named from its values."""
    seeds: list[int] | int = 3
    """Training seeds (``train.seed``): a list, or n for 0..n-1."""
    metrics: list[MetricSpec] | None = None
    """Metrics to compare, the first being the primary; default: the task's default metrics."""
    baseline: str | None = None
    """The variant the others are compared against; default the first."""
    storage: str | None = None
    """An Optuna RDB storage URL shared by several runners; default ``sqlite:///<DIR>/optuna.db``."""

    _source_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _source_file: str | None = PrivateAttr(default=None)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        if _UNSAFE_NAME.search(name):
            raise ValueError(f"'{name}' may hold only letters, digits and . _ = , + -")
        return name

    @field_validator("variants")
    @classmethod
    def _variant_names(cls, variants: dict[str, Any] | None) -> dict[str, Any] | None:
        if variants is not None and not variants:
            raise ValueError("is empty; name at least one variant, e.g. {base: {}}")
        for name in variants or {}:
            if not name or _UNSAFE_NAME.search(name) or name in (".", ".."):
                raise ValueError(f"variant name '{name}' may hold only letters, digits and . _ = , + -")
        return variants

    @field_validator("grid")
    @classmethod
    def _grid_axes(cls, grid: dict[str, list[Any]] | None) -> dict[str, list[Any]] | None:
        for key, values in (grid or {}).items():
            if not values:
                raise ValueError(f"axis '{key}' has no values")
        return grid

    @field_validator("seeds")
    @classmethod
    def _seed_list(cls, seeds: list[int] | int) -> list[int]:
        listed = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
        if not listed:
            raise ValueError("give at least one seed: a count n (seeds 0..n-1) or a list")
        if any(seed < 0 or seed >= 2**32 for seed in listed):
            raise ValueError("seeds must be between 0 and 2^32 - 1")
        if len(set(listed)) != len(listed):
            raise ValueError(f"{listed} repeats a seed")
        return listed

    # -- what the spec expands to -------------------------------------------------------------

    @property
    def seed_list(self) -> list[int]:
        return list(self.seeds) if isinstance(self.seeds, list) else list(range(self.seeds))

    def variant_overrides(self) -> dict[str, dict[str, Any]]:
        """Variant name -> its dotted overrides, in the spec's order (a grid expanded)."""
        if self.grid:
            return _grid_variants(self.grid)
        if self.variants:
            return {name: dict(overrides or {}) for name, overrides in self.variants.items()}
        return {"base": {}}

    @property
    def baseline_variant(self) -> str:
        return self.baseline or next(iter(self.variant_overrides()))

    @property
    def primary_metric(self) -> MetricSpec:
        return self.resolved_metrics()[0]

    def base_recipe(self) -> dict[str, Any]:
        """The base recipe as plain data (read from its file, relative to the spec's folder)."""
        if isinstance(self.base, dict):
            return copy.deepcopy(self.base)
        path = Path(self.base)
        return read_recipe_file(path if path.is_absolute() else self._source_dir / path)

    def resolved_metrics(self) -> list[MetricSpec]:
        """The spec's metrics, or the base recipe's scalar metrics (the task's defaults when it names none)."""
        if self.metrics:
            return list(self.metrics)
        return [MetricSpec(name=name) for name in _recipe_metric_names(self.base_recipe())]

    def runs(self) -> list[Cell]:
        """Every (variant, seed) cell with its validated recipe, variant by variant, seeds in order.

        Raises:
            ConfigError: every problem at once (the base recipe's, then each variant's, the metrics'
                and the baseline's), each under the spec key that causes it, before any training.
        """
        base = self.base_recipe()
        try:
            validate_recipe(with_default_components(copy.deepcopy(base)), source=self._base_label)
        except ConfigError as exc:
            raise ConfigError([_under("base", p) for p in exc.problems], source=self._source_label) from None
        problems: list[Problem] = []
        cells: list[Cell] = []
        variants = self.variant_overrides()
        for variant, overrides in variants.items():
            if SEED_KEY in overrides:
                problems.append(
                    Problem(_variant_key(self, variant, SEED_KEY), "the experiment's `seeds` set the seed")
                )
                continue
            try:
                cells.extend(
                    Cell(variant, seed, self._recipe(base, overrides, seed)) for seed in self.seed_list
                )
            except (ConfigError, TrainlabError) as exc:
                found = exc.problems if isinstance(exc, ConfigError) else [Problem("", str(exc))]
                problems.extend(_under(_variant_key(self, variant), p) for p in found)
        problems.extend(self._metric_problems(base))
        if self.baseline is not None and self.baseline not in variants:
            problems.append(
                Problem(
                    "baseline",
                    f"'{self.baseline}' is not a variant{did_you_mean(self.baseline, variants)}; "
                    f"variants: {', '.join(variants)}",
                )
            )
        if problems:
            raise ConfigError(problems, source=self._source_label)
        return cells

    def to_yaml(self) -> str:
        """The resolved spec: base recipe inlined (the experiment directory is self-contained), seeds listed,
        metrics with their directions and the baseline written out."""
        data = self.model_dump(exclude_none=True)  # python mode: an infinite lr stays .inf
        data["base"] = self.base_recipe()
        data["seeds"] = self.seed_list
        data["metrics"] = [
            {"name": metric.name, "direction": "maximize" if metric.maximize else "minimize"}
            for metric in self.resolved_metrics()
        ]
        data["baseline"] = self.baseline_variant
        return yaml.safe_dump(data, sort_keys=False, default_flow_style=None)

    # -- helpers --------------------------------------------------------------------------------

    @property
    def _source_label(self) -> str:
        return self._source_file or "the experiment spec"

    @property
    def _base_label(self) -> str:
        return self.base if isinstance(self.base, str) else "base"

    def _recipe(self, base: dict[str, Any], overrides: dict[str, Any], seed: int) -> Recipe:
        raw = with_default_components(copy.deepcopy(base))
        given = {**overrides, SEED_KEY: seed}
        replace_exclusive(raw, given)
        apply_overrides(raw, given)
        return validate_recipe(raw)

    def _metric_problems(self, base: dict[str, Any]) -> list[Problem]:
        if not self.metrics:
            return []
        available = _recipe_metric_names(base) + ["loss"]
        problems = []
        for index, metric in enumerate(self.metrics):
            if metric.name in available:
                continue
            problems.append(
                Problem(
                    f"metrics[{index}].name",
                    f"'{metric.name}' is not a metric the runs report{did_you_mean(metric.name, available)}; "
                    f"they report {', '.join(available)} (add it to the base recipe's metrics)",
                )
            )
        return problems


def load_spec(path: str | Path) -> ExperimentSpec:
    """Read and check an experiment.yaml (its structure; :meth:`ExperimentSpec.runs` checks the recipes).

    Raises:
        TrainlabError: a missing or malformed file.
        ConfigError: every structural problem at once, each naming its key.
    """
    path = Path(path)
    if not path.is_file():
        where = (
            "a directory; pass its experiment.yaml"
            if path.is_dir()
            else f"missing (looked at {path.resolve()})"
        )
        raise TrainlabError(f"experiment spec '{path}' is {where}")
    raw = parse_yaml(path.read_text(), source=str(path))
    if not isinstance(raw, dict):
        raise TrainlabError(
            f"{path} must hold a mapping (name, base, variants or grid, seeds, metrics, baseline)"
        )
    return spec_from_mapping(raw, source=path)


def spec_from_mapping(raw: Mapping[str, Any], source: str | Path | None = None) -> ExperimentSpec:
    """An :class:`ExperimentSpec` from plain data; a relative ``base`` path is read from ``source``'s folder."""
    label = str(source) if source is not None else "the experiment spec"
    problems = []
    if raw.get("variants") is not None and raw.get("grid") is not None:
        problems.append(Problem("grid", "give `variants` or `grid`, not both"))
    try:
        spec = ExperimentSpec.model_validate(copy.deepcopy(dict(raw)))  # the caller's mapping stays its own
    except pydantic.ValidationError as exc:
        raise ConfigError(problems + _spec_problems(exc), source=label) from None
    if problems:
        raise ConfigError(problems, source=label)
    if source is not None:
        spec._source_dir = Path(source).resolve().parent
        spec._source_file = str(source)
    return spec


def _grid_variants(grid: Mapping[str, list[Any]]) -> dict[str, dict[str, Any]]:
    """The product of the axes, each combination named ``key=value,...`` with the shortest key suffixes that stay distinct."""
    keys = list(grid)
    labels = _short_labels(keys)
    variants = {}
    for values in itertools.product(*(grid[key] for key in keys)):
        name = ",".join(
            f"{labels[key]}={_value_label(value)}" for key, value in zip(keys, values, strict=True)
        )
        variants[_UNSAFE_NAME.sub("_", name)] = dict(zip(keys, values, strict=True))
    return variants


def _short_labels(keys: list[str]) -> dict[str, str]:
    """``optimizer.lr`` as ``lr`` unless another key ends the same way (then ``optimizer.lr``)."""
    labels = {}
    for key in keys:
        parts = key.split(".")
        for depth in range(1, len(parts) + 1):
            label = ".".join(parts[-depth:])
            if sum(other.split(".")[-depth:] == parts[-depth:] for other in keys) == 1:
                break
        labels[key] = label
    return labels


def _value_label(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:g}"
    if isinstance(value, Mapping):
        return str(value.get("name", "-".join(str(v) for v in value.values())))
    return str(value)


def _recipe_metric_names(raw: Mapping[str, Any]) -> list[str]:
    """The scalar metrics a run of this recipe reports (a confusion matrix is not a number to compare)."""
    from trainlab.metrics.defaults import default_metrics
    from trainlab.registry import get_registry

    listed = raw.get("metrics")
    names: list[Any]
    if isinstance(listed, list) and listed:
        names = [item if isinstance(item, str) else dict(item).get("name") for item in listed]
    else:
        data = raw.get("data")
        name = data if isinstance(data, str) else data.get("name") if isinstance(data, Mapping) else None
        datasets = get_registry("dataset")
        task = datasets.get(name).flags.get("task") if isinstance(name, str) and name in datasets else None
        names = default_metrics(task) if task in ("classification", "regression") else []
    return [name for name in names if isinstance(name, str) and name != "confusion_matrix"] or ["loss"]


def _variant_key(spec: ExperimentSpec, variant: str, recipe_key: str = "") -> str:
    section = "grid" if spec.grid else "variants"
    if spec.grid:
        return f"grid ({variant})" + (f".{recipe_key}" if recipe_key else "")
    return f"{section}.{variant}" + (f".{recipe_key}" if recipe_key else "")


def _under(prefix: str, problem: Problem) -> Problem:
    return Problem(f"{prefix}.{problem.key}" if problem.key else prefix, problem.message)


def _spec_problems(exc: pydantic.ValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc = [str(part) if not isinstance(part, int) else f"[{part}]" for part in error["loc"]]
        key = ".".join(loc).replace(".[", "[")
        kind = error["type"]
        if kind == "extra_forbidden" and len(error["loc"]) == 1:
            hint = did_you_mean(str(error["loc"][0]), ExperimentSpec.model_fields) or (
                f"; valid keys: {', '.join(ExperimentSpec.model_fields)}"
            )
            problems.append(Problem(key, f"unknown key{hint}"))
        elif kind == "extra_forbidden":
            problems.append(Problem(key, f"unknown key{did_you_mean(loc[-1], MetricSpec.model_fields)}"))
        elif kind == "missing":
            problems.append(Problem(key, "is required"))
        elif kind == "value_error":
            problems.append(Problem(key, str(error.get("ctx", {}).get("error", error["msg"]))))
        else:
            message = error["msg"][0].lower() + error["msg"][1:]
            problems.append(Problem(key, f"{message} (got {error.get('input')!r})"))
    # A union (`seeds: list | int`) reports one error per member; keep the first per key.
    unique: dict[str, Problem] = {}
    for problem in problems:
        unique.setdefault(
            problem.key.split("[")[0] if problem.key.startswith("seeds") else problem.key, problem
        )
    return list(unique.values())
