"""trainlab: the deep-learning training canon, runnable by name on real PyTorch.

The public names below are loaded on first use (PEP 562), so that ``import trainlab`` and the
command line's ``--help`` do not pay for torch and every component module up front.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Public name -> the module that defines it.
_EXPORTS = {
    "ConfigError": "trainlab.errors",
    "DataError": "trainlab.errors",
    "ModelError": "trainlab.errors",
    "TrainlabError": "trainlab.errors",
    "UnknownNameError": "trainlab.errors",
    "Entry": "trainlab.registry",
    "Registry": "trainlab.registry",
    "catalog": "trainlab.registry",
    "create": "trainlab.registry",
    "get_registry": "trainlab.registry",
    "Recipe": "trainlab.recipe",
    "load_recipe": "trainlab.recipe",
    "FitResult": "trainlab.api",
    "calibrate": "trainlab.calibration",
    "evaluate": "trainlab.api",
    "fit": "trainlab.api",
    "Trainer": "trainlab.train",
    "load": "trainlab.inference",
}

__all__ = [
    "ConfigError",
    "DataError",
    "Entry",
    "FitResult",
    "ModelError",
    "Recipe",
    "Registry",
    "Trainer",
    "TrainlabError",
    "UnknownNameError",
    "__version__",
    "calibrate",
    "catalog",
    "create",
    "evaluate",
    "fit",
    "get_registry",
    "load",
    "load_recipe",
]

if TYPE_CHECKING:
    from trainlab.api import FitResult, evaluate, fit
    from trainlab.calibration import calibrate
    from trainlab.errors import ConfigError, DataError, ModelError, TrainlabError, UnknownNameError
    from trainlab.inference import load
    from trainlab.recipe import Recipe, load_recipe
    from trainlab.registry import Entry, Registry, catalog, create, get_registry
    from trainlab.train import Trainer


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
    elif not name.startswith("_") and importlib.util.find_spec(f"trainlab.{name}") is not None:
        value = importlib.import_module(f"trainlab.{name}")  # a subpackage, as after `import trainlab.<name>`
    else:
        raise AttributeError(f"module 'trainlab' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
