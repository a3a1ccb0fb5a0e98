"""The search space of ``trainlab tune``: dotted recipe keys, each with a distribution, checked against the recipe.

A space file maps recipe keys to distributions::

    optimizer.lr: {loguniform: [1e-4, 1e-1]}
    optimizer.weight_decay: {uniform: [0.0, 0.1]}
    train.batch_size: {int: [32, 256], log: true}
    train.steps: {int: [1000, 3000], step: 500}
    schedule.name: {categorical: [cosine, one_cycle]}
    augment.0.max_shift: {int: [0, 6]}

A key is any dotted path into the recipe; an integer part indexes a list (``augment.0`` is the first
augmentation). Categorical choices may be numbers, strings, booleans, null, or whole YAML values
(lists, mappings), which Optuna stores by their index.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainlab.errors import ConfigError, Problem, TrainlabError, did_you_mean
from trainlab.overrides import flatten

if TYPE_CHECKING:
    import optuna

KINDS = ("loguniform", "uniform", "int", "categorical")
SCALARS = (bool, int, float, str, type(None))


@dataclass(frozen=True)
class Param:
    """One searched key: its distribution and options.

    Attributes:
        key: Dotted recipe key, e.g. ``optimizer.lr``.
        kind: ``loguniform``, ``uniform``, ``int`` or ``categorical``.
        low: Lower bound (numeric kinds).
        high: Upper bound, inclusive (numeric kinds).
        step: Grid step of ``int`` and ``uniform`` (None: continuous, or 1 for ``int``).
        log: Sample ``int`` on a log scale.
        choices: The values of ``categorical``.
    """

    key: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    step: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()

    @property
    def encoded(self) -> bool:
        """Whether Optuna sees the choices by index (they are not all scalars)."""
        return self.kind == "categorical" and not all(isinstance(c, SCALARS) for c in self.choices)

    def suggest(self, trial: optuna.Trial) -> Any:
        """Draw this key's value for ``trial`` (a recipe value: choices are decoded)."""
        if self.kind == "loguniform":
            return trial.suggest_float(self.key, self.low, self.high, log=True)
        if self.kind == "uniform":
            return trial.suggest_float(self.key, self.low, self.high, step=self.step)
        if self.kind == "int":
            return trial.suggest_int(
                self.key, int(self.low), int(self.high), step=int(self.step or 1), log=self.log
            )
        if self.encoded:
            return self.choices[trial.suggest_categorical(self.key, list(range(len(self.choices))))]
        return trial.suggest_categorical(self.key, list(self.choices))

    def decode(self, stored: Any) -> Any:
        """A value as Optuna stored it, as the recipe value."""
        return self.choices[stored] if self.encoded else stored

    def grid(self) -> list[Any]:
        """Every value a grid search tries.

        Raises:
            TrainlabError: a continuous distribution, which has no finite grid.
        """
        if self.kind == "categorical":
            return list(range(len(self.choices))) if self.encoded else list(self.choices)
        if self.kind == "int" and not self.log:
            return list(range(int(self.low), int(self.high) + 1, int(self.step or 1)))
        if self.kind == "uniform" and self.step:
            count = int(round((self.high - self.low) / self.step))
            return [self.low + i * self.step for i in range(count + 1)]
        raise TrainlabError(
            f"--sampler grid: '{self.key}' is {self.kind} without a finite set of values; "
            "give it a step (uniform, int) or make it categorical, or use another --sampler"
        )

    def edges(self) -> list[Any]:
        """Values that show whether the recipe accepts this key: the bounds, or every choice."""
        if self.kind == "categorical":
            return list(self.choices)
        if self.kind == "int":
            return [int(self.low), int(self.high)]
        return [self.low, self.high]


@dataclass(frozen=True)
class SearchSpace:
    """The searched keys, in the order of the space file."""

    params: tuple[Param, ...]

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        """``{dotted key: value}`` for one trial."""
        return {param.key: param.suggest(trial) for param in self.params}

    def decode(self, stored: Mapping[str, Any]) -> dict[str, Any]:
        """A trial's ``params`` as recipe values."""
        return {param.key: param.decode(stored[param.key]) for param in self.params if param.key in stored}

    def grid(self) -> dict[str, list[Any]]:
        return {param.key: param.grid() for param in self.params}


def load_space(path: str | Path) -> SearchSpace:
    """Read and check a space file (structure only; :func:`check_against_recipe` checks the keys).

    Raises:
        TrainlabError: the file is missing or not YAML; ConfigError: every malformed entry at once.
    """
    from trainlab.recipe_yaml import read_recipe_file

    source = Path(path)
    if not source.is_file():
        raise TrainlabError(f"--space '{source}' does not exist; pass a YAML file of key: distribution")
    raw = read_recipe_file(source)
    return parse_space(raw, source=str(source))


def parse_space(raw: Any, source: str = "space") -> SearchSpace:
    """A space from plain data, ``{key: {kind: [...], ...}}``.

    Raises:
        ConfigError: every malformed entry, each under its key.
    """
    if not isinstance(raw, Mapping) or not raw:
        raise TrainlabError(
            f"{source} must map recipe keys to distributions, e.g. 'optimizer.lr: {{loguniform: [1e-4, 1e-1]}}'"
        )
    problems: list[Problem] = []
    params = []
    for key, spec in raw.items():
        try:
            params.append(_parse_param(str(key), spec))
        except ValueError as exc:
            problems.append(Problem(str(key), str(exc)))
    if problems:
        raise ConfigError(problems, source=source)
    return SearchSpace(tuple(params))


def _parse_param(key: str, spec: Any) -> Param:
    if not isinstance(spec, Mapping):
        raise ValueError(f"give a distribution, e.g. {{uniform: [0, 1]}}; one of {', '.join(KINDS)}")
    kinds = [kind for kind in spec if kind in KINDS]
    unknown = [str(option) for option in spec if option not in (*KINDS, "log", "step")]
    if unknown:
        raise ValueError(f"unknown option '{unknown[0]}'{did_you_mean(unknown[0], (*KINDS, 'log', 'step'))}")
    if len(kinds) != 1:
        raise ValueError(f"give exactly one distribution of {', '.join(KINDS)} (got {len(kinds)})")
    kind = kinds[0]
    values = spec[kind]
    if kind == "categorical":
        if not isinstance(values, list) or not values:
            raise ValueError("categorical needs a non-empty list of choices")
        return Param(key, kind, choices=tuple(values))
    if not (isinstance(values, list) and len(values) == 2 and all(_is_number(v) for v in values)):
        raise ValueError(f"{kind} needs [low, high], two numbers")
    low, high = float(values[0]), float(values[1])
    if not low <= high:
        raise ValueError(f"{kind}: low {values[0]} is above high {values[1]}")
    step = spec.get("step")
    log = bool(spec.get("log", False))
    if kind == "loguniform" and low <= 0:
        raise ValueError(f"loguniform needs low > 0 (got {values[0]}); use uniform for ranges that reach 0")
    if step is not None and (not _is_number(step) or step <= 0 or kind == "loguniform"):
        raise ValueError("step must be a positive number, on uniform or int")
    if kind == "int":
        if low != int(low) or high != int(high) or (step is not None and step != int(step)):
            raise ValueError("int needs whole-number bounds and step")
        if log and (low < 1 or step not in (None, 1)):
            raise ValueError("int with log: true needs low >= 1 and no step")
    elif "log" in spec:
        raise ValueError("'log' applies to int; use loguniform for a float on a log scale")
    return Param(key, kind, low=low, high=high, step=float(step) if step is not None else None, log=log)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def set_key(raw: dict[str, Any], dotted: str, value: Any) -> None:
    """Set a dotted key in a recipe's plain data; an integer part indexes a list.

    A component written as a bare name (``optimizer: adam``) becomes ``{name: adam}`` when one of its
    options is set; a missing section is created (validation then says what it lacks).

    Raises:
        TrainlabError: a part that walks into a value, or a list index out of range.
    """
    node: Any = raw
    parts = dotted.split(".")
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise TrainlabError(
                    f"'{dotted}': '{'.'.join(parts[:depth])}' is a list of {len(node)}; "
                    f"index it with 0..{len(node) - 1}"
                )
            index: Any = int(part)
        else:
            index = part
        if last:
            node[index] = value
            return
        child = node[index] if isinstance(node, list) else node.get(part)
        if isinstance(child, str):
            child = {"name": child}
        elif child is None:
            child = {}
        elif not isinstance(child, dict | list):
            raise TrainlabError(f"'{dotted}': '{where}' is a value ({child!r}), not a section")
        node[index] = child
        node = child


def apply_params(raw: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the recipe's plain data with ``values`` (dotted keys) set."""
    result = copy.deepcopy(dict(raw))
    for key, value in values.items():
        set_key(result, key, value)
    return result


def check_against_recipe(space: SearchSpace, raw: Mapping[str, Any], source: str) -> None:
    """Refuse a space over keys the recipe does not have, before any trial runs.

    Each key is set to each of its edge values (the bounds, every choice) and the recipe validated;
    a problem names the space key and the closest key the recipe has.

    Raises:
        ConfigError: every space key the recipe refuses, at once.
    """
    from trainlab.recipe import validate_recipe

    base = validate_recipe(raw, source=source)
    known = sorted(flatten(base.to_dict()))
    problems: list[Problem] = []
    for param in space.params:
        for value in param.edges():
            try:
                validate_recipe(apply_params(raw, {param.key: value}), source=source)
            except ConfigError as exc:
                reasons = "; ".join(str(p) for p in exc.problems)
                problems.append(
                    Problem(
                        param.key, f"the recipe refuses {value!r} ({reasons}){_closest(param.key, known)}"
                    )
                )
                break
            except TrainlabError as exc:
                problems.append(Problem(param.key, f"{exc}{_closest(param.key, known)}"))
                break
    if problems:
        raise ConfigError(problems, source="--space")


def _closest(key: str, known: list[str]) -> str:
    if key in known:
        return ""
    hint = did_you_mean(key, known, limit=1)
    return hint or "; `trainlab fit --help` and the recipe show its keys"
