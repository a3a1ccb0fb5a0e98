"""trainlab: the deep-learning training canon, runnable by name on real PyTorch."""

from trainlab.errors import ConfigError, DataError, ModelError, TrainlabError, UnknownNameError
from trainlab.registry import Entry, Registry, catalog, create, get_registry

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DataError",
    "Entry",
    "ModelError",
    "Registry",
    "TrainlabError",
    "UnknownNameError",
    "__version__",
    "catalog",
    "create",
    "get_registry",
]
