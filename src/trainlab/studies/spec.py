"""The study format (studies/*.yaml): a claim, its source, arms of a base recipe, a measure and a verdict rule.

Example::

    claim: Cross-entropy trains classifiers faster than MSE.
    source: losses / classification
    base: {data: spirals, model: {name: mlp, width: 32}, train: {steps: 400}}
    arms:
      cross_entropy: {loss.name: cross_entropy}
      mse: {loss.name: mse}
    seeds: 5
    budget: 2                     # CPU-minutes on this 2-core machine, all runs together
    measure: {name: steps_to_threshold, metric: accuracy, split: val, threshold: 0.9}
    verdict: {name: better_by_delta, better: cross_entropy, worse: mse, direction: lower}

A study on the 2-D playground gives ``playground:`` (function, optimizer, lr, steps, ...) instead of
``base:``; its arms override those keys.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Annotated, Any

import pydantic
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from trainlab.errors import ConfigError, Problem, TrainlabError, did_you_mean
from trainlab.recipe import Component
from trainlab.recipe_yaml import parse_yaml
from trainlab.studies.registries import VERDICT_RULES


class PlaygroundSettings(BaseModel):
    """One optimizer on one 2-D test function (``trainlab.playground``)."""

    model_config = ConfigDict(extra="forbid")

    function: str = "quadratic"
    """A playground function: quadratic (condition number 100), rosenbrock, beale, himmelblau, saddle, rastrigin."""
    optimizer: str = "sgd"
    """A registered optimizer name."""
    lr: Annotated[float, Field(gt=0.0)] | None = None
    """Learning rate; default the playground's per-optimizer rate."""
    steps: Annotated[int, Field(ge=1, le=100_000)] = 200
    """Optimizer steps."""
    tolerance: Annotated[float, Field(gt=0.0)] = 1e-3
    """Distance to a minimizer that counts as reached."""
    start: tuple[float, float] | None = None
    """Start point; default the function's."""
    start_jitter: Annotated[float, Field(ge=0.0)] = 0.0
    """Standard deviation of a seeded Gaussian shift of the start point, so that seeds differ."""


class Study(BaseModel):
    """A claim of the canon as an experiment whose verdict is computed from its runs."""

    model_config = ConfigDict(extra="forbid")

    claim: str = Field(min_length=1)
    """The claim, in one sentence."""
    source: str = Field(min_length=1)
    """Where the canon makes it (topic, paper or book)."""
    base: str | dict[str, Any] | None = None
    """The base recipe: a path (relative to the study file) or an inline mapping."""
    playground: PlaygroundSettings | None = None
    """Instead of ``base``: an optimizer on a 2-D test function."""
    arms: dict[str, dict[str, Any]]
    """Arm name -> overrides (dotted recipe keys, or playground keys); ``{}`` is the base as it is."""
    seeds: list[int] | Annotated[int, Field(ge=1)] = 5
    """Training seeds: a list, or n for 0..n-1. Fewer than 3 can only give ``inconclusive``."""
    budget: Annotated[float, Field(gt=0.0)]
    """CPU-minutes on this 2-core machine for every run together; a study over it is marked so."""
    measure: Component
    """A registered measure and its options (``trainlab catalog measures``)."""
    verdict: Component | list[Component]
    """A registered verdict rule and its options, or a list of them that must all hold (``trainlab catalog
    verdict_rules``); a rule may name its own ``measure`` (a claim with two parts measured differently)."""
    note: str = ""
    """What was tried and what the result means at this scale; shown beside the verdict."""

    _name: str = PrivateAttr(default="study")
    _source_dir: Path = PrivateAttr(default_factory=Path.cwd)

    @field_validator("arms")
    @classmethod
    def _arm_names(cls, arms: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        if len(arms) < 1:
            raise ValueError("name at least one arm, e.g. {base: {}}")
        return arms

    @property
    def name(self) -> str:
        return self._name

    @property
    def seed_list(self) -> list[int]:
        return list(self.seeds) if isinstance(self.seeds, list) else list(range(self.seeds))

    @property
    def rules(self) -> list[Component]:
        return self.verdict if isinstance(self.verdict, list) else [self.verdict]

    def base_recipe(self) -> dict[str, Any]:
        from trainlab.recipe_yaml import read_recipe_file

        if isinstance(self.base, dict):
            return copy.deepcopy(self.base)
        assert self.base is not None  # validated: base or playground
        path = Path(self.base)
        return read_recipe_file(path if path.is_absolute() else self._source_dir / path)

    def rule_specs(self) -> list[tuple[Component, Component]]:
        """Each rule without its ``measure`` option, and the measure it judges (its own, else the study's)."""
        specs = []
        for rule in self.rules:
            options = rule.options
            own = options.pop("measure", None)
            measure = Component.model_validate(own) if own is not None else self.measure
            specs.append((Component(name=rule.name, **options), measure))
        return specs

    def measures(self) -> dict[str, Component]:
        """Every measure the rules judge, by label, the study's first."""
        found = {measure_label(self.measure): self.measure}
        for _, measure in self.rule_specs():
            found.setdefault(measure_label(measure), measure)
        return found

    def build_rules(self) -> list[tuple[str, Any, str]]:
        """(rule name, the built rule, the label of the measure it judges) for each rule."""
        return [
            (rule.name, VERDICT_RULES.get(rule.name).build(**rule.options), measure_label(measure))
            for rule, measure in self.rule_specs()
        ]

    def playground_arm(self, arm: str) -> PlaygroundSettings:
        assert self.playground is not None
        return PlaygroundSettings.model_validate({**self.playground.model_dump(), **self.arms[arm]})

    def experiment_spec(self) -> Any:
        """The experiments runner's spec: the base recipe, the arms as variants, the seeds."""
        from trainlab.experiment.spec import spec_from_mapping

        raw = {"name": self.name, "base": self.base_recipe(), "variants": self.arms, "seeds": self.seed_list}
        return spec_from_mapping(raw, source=self._source_dir / f"{self.name}.yaml")


def measure_label(measure: Component) -> str:
    """``name(option=value, ...)``: how a measure is named in tables, plots and study.json."""
    options = ", ".join(f"{key}={value}" for key, value in measure.options.items())
    return f"{measure.name}({options})" if options else measure.name


def read_study_outline(path: str | Path) -> Study:
    """A study file's structure only (no recipes built, no budget estimate): for listing studies.

    Raises:
        TrainlabError: a missing or malformed file.
        ConfigError: its structural problems.
    """
    path = Path(path)
    raw = parse_yaml(path.read_text(), source=str(path)) if path.is_file() else None
    if not isinstance(raw, dict):
        raise TrainlabError(
            f"{path} must hold a mapping (claim, source, base, arms, seeds, budget, measure, verdict)"
        )
    try:
        study = Study.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise ConfigError(structure_problems(exc), source=str(path)) from None
    study._name = path.stem
    return study


def structure_problems(exc: pydantic.ValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        kind = error["type"]
        if kind == "extra_forbidden" and len(error["loc"]) == 1:
            hint = did_you_mean(str(error["loc"][0]), Study.model_fields) or (
                f"; valid keys: {', '.join(Study.model_fields)}"
            )
            problems.append(Problem(key, f"unknown key{hint}"))
        elif kind == "extra_forbidden":
            problems.append(
                Problem(
                    key, f"unknown key{did_you_mean(str(error['loc'][-1]), PlaygroundSettings.model_fields)}"
                )
            )
        elif kind == "missing":
            problems.append(Problem(key, "is required"))
        elif kind == "value_error":
            problems.append(Problem(key, str(error.get("ctx", {}).get("error", error["msg"]))))
        else:
            message = error["msg"][0].lower() + error["msg"][1:]
            problems.append(Problem(key, f"{message} (got {error.get('input')!r})"))
    unique: dict[str, Problem] = {}
    for problem in problems:  # a union (seeds, verdict) reports once per member: keep the first
        unique.setdefault(
            problem.key.split(".")[0] if problem.key.startswith(("seeds", "verdict")) else problem.key,
            problem,
        )
    return list(unique.values())
