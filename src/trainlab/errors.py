"""The errors a user sees: each names what is wrong and how to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


class TrainlabError(Exception):
    """Base class for mistakes in the user's input.

    The CLI turns every TrainlabError into one message and exit code 2; anything else is a bug
    in trainlab and keeps its traceback.
    """


@dataclass(frozen=True)
class Problem:
    """One problem found while validating, tied to the key the user wrote (e.g. ``optimizer.lr``)."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}" if self.key else self.message


class ConfigError(TrainlabError):
    """Every problem found in a recipe or in keyword arguments, reported together."""

    def __init__(self, problems: Iterable[Problem], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        where = f" in {source}" if source else ""
        count = len(self.problems)
        header = f"{count} problem{'s' if count != 1 else ''}{where}:"
        super().__init__("\n".join([header, *(f"  - {p}" for p in self.problems)]))


class UnknownNameError(TrainlabError, KeyError):
    """A name that no registry entry answers to."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class DataError(TrainlabError):
    """Data that cannot be trained on as given: missing files, NaN, labels out of range."""


class ModelError(TrainlabError):
    """A model that does not fit the data, or a user model that cannot be imported."""


def did_you_mean(word: str, choices: Iterable[str], limit: int = 3) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest choices, or an empty string."""
    close = difflib.get_close_matches(word.lower(), list(choices), n=limit, cutoff=0.6)
    if not close:
        return ""
    if len(close) == 1:
        return f"; did you mean '{close[0]}'?"
    return "; did you mean " + ", ".join(f"'{c}'" for c in close[:-1]) + f" or '{close[-1]}'?"
