"""User models: build an ``nn.Module`` from a ``"package.module:factory"`` reference.

This is the one place where a recipe runs code, and only code the user named: the module is
imported and the factory (a function or an ``nn.Module`` class) is called. Options are checked
against the factory's signature first, so a misspelt option fails loudly instead of being
dropped.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

from torch import nn

from trainlab.errors import ConfigError, ModelError, did_you_mean
from trainlab.registry import Entry

# The arguments trainlab fills in from the data, when the factory's signature asks for them.
DATA_ARGUMENTS = ("input_shape", "num_outputs")


def split_reference(spec: str, *, key: str = "model") -> tuple[str, str]:
    """Split ``"package.module:factory"`` into module path and attribute path.

    Raises:
        ModelError: the reference does not have exactly that form.
    """
    module_path, _, attribute = spec.partition(":")
    if not module_path or not attribute or ":" in attribute or " " in spec:
        raise ModelError(
            f"{key}.name: '{spec}' is not a model reference; write 'package.module:factory', e.g. "
            f"'my_models:make_net' for a function make_net in my_models.py"
        )
    return module_path, attribute


def import_factory(spec: str, *, key: str = "model") -> Callable[..., Any]:
    """Import the callable that ``spec`` (``"package.module:factory"``) names.

    Raises:
        ModelError: the module cannot be found, the attribute is missing, or it is not callable.
            Any other error raised while importing the user's module propagates unchanged,
            since its traceback points at the user's bug.
    """
    module_path, attribute = split_reference(spec, key=key)
    try:
        module = importlib.import_module(module_path)
    except ModuleNotFoundError as exc:
        # Tell "your module is not importable" apart from "your module imports something missing".
        missing = exc.name or ""
        if not missing or module_path == missing or module_path.startswith(missing + "."):
            # A console script's sys.path holds its own directory, not the current one, hence PYTHONPATH.
            raise ModelError(
                f"{key}.name: cannot import module '{module_path}' for '{spec}'; put the directory that "
                f"contains it on the Python path (e.g. PYTHONPATH=. when it is in the current directory) "
                f"or pip install its package"
            ) from exc
        raise ModelError(
            f"{key}.name: module '{module_path}' for '{spec}' failed to import because it needs the module "
            f"'{missing}', which is not installed; install it or fix the import in '{module_path}'"
        ) from exc
    target: Any = module
    owner = module_path
    for part in attribute.split("."):
        if not hasattr(target, part):
            names = [n for n in dir(target) if not n.startswith("_")]
            hint = did_you_mean(part, names) or "; check the name after the ':'"
            raise ModelError(f"{key}.name: '{owner}' has no attribute '{part}' (from '{spec}'){hint}")
        target = getattr(target, part)
        owner = f"{owner}{'.' if ':' in owner else ':'}{part}"
    if not callable(target):
        raise ModelError(
            f"{key}.name: '{spec}' is a {type(target).__name__}, not a function or class; "
            f"point it at a callable that returns an nn.Module"
        )
    return target


def load_user_model(
    spec: str, input_shape: tuple[int, ...], num_outputs: int, /, *, key: str = "model", **kwargs: Any
) -> nn.Module:
    """Build a model from the user's ``"package.module:factory"`` reference.

    The factory receives ``input_shape`` and ``num_outputs`` (as keywords) only if its
    signature names them or takes ``**kwargs``, so that existing code such as
    ``torchvision.models:resnet18`` or a plain ``nn.Module`` class works unchanged; every
    other option comes from ``kwargs`` and is checked against the signature and its type
    annotations before the call.

    Args:
        spec: ``"package.module:factory"``; the factory may be a function or a class, and a
            dotted attribute (``"module:Class.from_config"``) is followed.
        input_shape: Shape of one sample, channels first.
        num_outputs: Width of the output the data needs.
        key: The user's key for the model, used to name problems.
        **kwargs: Options for the factory.

    Returns:
        The ``nn.Module`` the factory returned.

    Raises:
        ModelError: the reference cannot be imported, or the factory returns no ``nn.Module``.
        ConfigError: an option is unknown to the factory, has the wrong type, or a required
            argument is missing.

    Example:
        >>> load_user_model("my_models:make_net", (1, 40), 10, hidden=64)
    """
    factory = import_factory(spec, key=key)
    entry = Entry(name=spec, kind="model", factory=factory, description=f"user model {spec}")
    provided = [name for name in DATA_ARGUMENTS if name in entry.parameters() or entry.accepts_any_kwarg()]
    converted, problems = entry.check_kwargs(kwargs, provided=provided, key=key)
    if problems:
        raise ConfigError(problems, source=f"model '{spec}'")
    data = {"input_shape": tuple(input_shape), "num_outputs": num_outputs}
    model = factory(**{name: data[name] for name in provided}, **converted)
    if not isinstance(model, nn.Module):
        raise ModelError(
            f"{key}.name: '{spec}' returned {type(model).__name__}, not a torch.nn.Module; "
            f"make the factory return the model itself"
            + (" (a class must subclass nn.Module)" if inspect.isclass(factory) else "")
        )
    return model
