"""A model's layers from input to head, found generically: the units that unfreezing and per-depth lrs act on."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from trainlab.errors import ModelError


@dataclass(frozen=True)
class Layer:
    """One unit of depth: the module names it covers and the names of its parameters."""

    modules: tuple[str, ...]
    parameters: tuple[str, ...]


def model_layers(model: nn.Module) -> list[Layer]:
    """The model's layers in forward order (input first, head last), by its module tree.

    A layer is a child module that holds parameters. Containers (``nn.Sequential``,
    ``nn.ModuleList``, and modules that only wrap the whole model in one child) are opened, so
    each residual block of a resnet is its own layer; a child whose parameters are all 1-D (a normalization layer) joins the layer
    before it, since it scales that layer's output. Parameters owned directly by a container
    join its first layer.

    Raises:
        ModelError: the model has no parameters.
    """
    layers: list[tuple[list[str], list[str]]] = []

    def visit(module: nn.Module, prefix: str, wrapper: bool) -> None:
        children = [(name, child) for name, child in module.named_children() if _has_parameters(child)]
        own = [f"{prefix}{name}" for name, _ in module.named_parameters(recurse=False)]
        # ``wrapper``: this module is the whole model, or its only child. Those open, and containers do;
        # any other module is one layer, so a residual block holding one Sequential stays one layer.
        opens = wrapper or isinstance(module, (nn.Sequential, nn.ModuleList))
        if not opens or not children:
            names = [f"{prefix}{name}" for name, _ in module.named_parameters()]
            if layers and all(module.get_parameter(n[len(prefix) :]).ndim <= 1 for n in names):
                layers[-1][0].append(prefix.rstrip("."))
                layers[-1][1].extend(names)
            else:
                layers.append(([prefix.rstrip(".")], names))
            return
        first = len(layers)
        for name, child in children:
            visit(child, f"{prefix}{name}.", wrapper=wrapper and len(children) == 1 and not own)
        if own:
            layers[first][1][:0] = own

    visit(model, "", wrapper=True)
    if not layers or not layers[0][1]:
        raise ModelError("the model has no parameters to fine-tune")
    return [Layer(tuple(modules), tuple(params)) for modules, params in layers]


def _has_parameters(module: nn.Module) -> bool:
    return next(module.parameters(), None) is not None


def find_head(model: nn.Module) -> tuple[str, nn.Linear]:
    """The model's output layer: its ``head`` attribute when that is an ``nn.Linear``, else the last ``nn.Linear``.

    "Last" is in registration order (``named_modules``), which is forward order for every
    built-in model and for the usual ``nn.Sequential`` or ``features`` + ``classifier`` layouts.

    Raises:
        ModelError: the model has no linear layer to replace.
    """
    head = getattr(model, "head", None)
    if isinstance(head, nn.Linear):
        return "head", head
    linears = [(name, module) for name, module in model.named_modules() if isinstance(module, nn.Linear)]
    if not linears:
        raise ModelError(
            f"{type(model).__name__} has no nn.Linear output layer (nor a `head` attribute) to replace; "
            "use head: keep, or give the model a `head` attribute"
        )
    return linears[-1]


def replace_head(model: nn.Module, num_outputs: int) -> str:
    """Swap the output layer (see :func:`find_head`) for a freshly initialized ``nn.Linear`` with ``num_outputs``.

    Returns:
        The head's module name.
    """
    name, old = find_head(model)
    new = nn.Linear(old.in_features, num_outputs, bias=old.bias is not None)
    new.to(device=old.weight.device, dtype=old.weight.dtype)
    parent_name, _, attribute = name.rpartition(".")
    setattr(model.get_submodule(parent_name) if parent_name else model, attribute, new)
    return name
