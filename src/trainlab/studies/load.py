"""Reading a study file: structure, then every other problem at once, before any run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic

from trainlab.errors import ConfigError, TrainlabError
from trainlab.recipe_yaml import parse_yaml
from trainlab.studies.checks import study_problems
from trainlab.studies.spec import Study, structure_problems


def load_study(path: str | Path) -> Study:
    """Read and check a study file: every problem at once, each under its key, before any run.

    Raises:
        TrainlabError: a missing or malformed file.
        ConfigError: every problem found (structure, names with the closest ones, arms, rules, budget).
    """
    path = Path(path)
    if not path.is_file():
        raise TrainlabError(f"study '{path}' is missing (looked at {path.resolve()})")
    raw = parse_yaml(path.read_text(), source=str(path))
    if not isinstance(raw, dict):
        raise TrainlabError(
            f"{path} must hold a mapping (claim, source, base, arms, seeds, budget, measure, verdict)"
        )
    return study_from_mapping(raw, name=path.stem, source_dir=path.resolve().parent, label=str(path))


def study_from_mapping(
    raw: dict[str, Any], *, name: str = "study", source_dir: Path | None = None, label: str | None = None
) -> Study:
    """A checked :class:`Study` from plain data (see :func:`load_study`)."""
    try:
        study = Study.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise ConfigError(structure_problems(exc), source=label or name) from None
    study._name = name
    study._source_dir = source_dir or Path.cwd()
    problems = study_problems(study)
    if problems:
        raise ConfigError(problems, source=label or name)
    return study
