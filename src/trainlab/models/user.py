"""User models: build an ``nn.Module`` from a ``"package.module:factory"`` reference.

The module is imported and the factory (a function or an ``nn.Module`` class) is called only when
the user has consented to running code (see :mod:`trainlab.references`). Options are checked
against the factory's signature first, so a misspelt option fails loudly instead of being dropped.
"""

from __future__ import annotations

import inspect
from typing import Any

from torch import nn

from trainlab.errors import ConfigError, ModelError
from trainlab.references import call_user_code, import_reference
from trainlab.registry import Entry

# The arguments trainlab fills in from the data, when the factory's signature asks for them.
DATA_ARGUMENTS = ("input_shape", "num_outputs")


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
        CodeReferenceError: code is not trusted, the reference cannot be imported, or the
            factory raised.
        ModelError: the factory returns no ``nn.Module``.
        ConfigError: an option is unknown to the factory, has the wrong type, or a required
            argument is missing.

    Example:
        >>> load_user_model("my_models:make_net", (1, 40), 10, hidden=64)
    """
    factory = import_reference(spec, key=f"{key}.name")
    entry = Entry(name=spec, kind="model", factory=factory, description=f"user model {spec}")
    provided = [name for name in DATA_ARGUMENTS if name in entry.parameters() or entry.accepts_any_kwarg()]
    converted, problems = entry.check_kwargs(kwargs, provided=provided, key=key)
    if problems:
        raise ConfigError(problems, source=f"model '{spec}'")
    data = {"input_shape": tuple(input_shape), "num_outputs": num_outputs}
    model = call_user_code(
        factory, spec, key=f"{key}.name", kwargs={**{name: data[name] for name in provided}, **converted}
    )
    if not isinstance(model, nn.Module):
        raise ModelError(
            f"{key}.name: '{spec}' returned {type(model).__name__}, not a torch.nn.Module; "
            f"make the factory return the model itself"
            + (" (a class must subclass nn.Module)" if inspect.isclass(factory) else "")
        )
    return model
