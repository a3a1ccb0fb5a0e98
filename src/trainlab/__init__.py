"""trainlab: the deep-learning training canon, runnable by name on real PyTorch."""

import trainlab.components  # noqa: E402,F401  (every built-in registration, so catalogs are complete)
from trainlab.api import FitResult, evaluate, fit
from trainlab.errors import ConfigError, DataError, ModelError, TrainlabError, UnknownNameError
from trainlab.recipe import Recipe, load_recipe
from trainlab.registry import Entry, Registry, catalog, create, get_registry
from trainlab.train import Trainer

__version__ = "0.1.0"

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
    "catalog",
    "create",
    "evaluate",
    "fit",
    "get_registry",
    "load_recipe",
]
