"""The ``quantized`` model: a run's architecture with its Linear layers in int8, rebuilt from plain tensors."""

from __future__ import annotations

from typing import Any, Literal

from torch import nn

from trainlab.compress.quantize.int8_gru import Int8GRU
from trainlab.compress.quantize.int8_linear import Int8Linear
from trainlab.errors import ConfigError, Problem
from trainlab.models._shapes import ALL_KINDS
from trainlab.registry import MODELS


@MODELS.register(
    "quantized",
    reference="Jacob et al. 2018, Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-Only "
    "Inference, arXiv:1712.05877",
    # Written by `trainlab quantize` from a run, with that run's weights: not a model to train.
    flags={"inputs": ALL_KINDS, "needs_run": True},
)
def quantized(
    input_shape: tuple[int, ...],
    num_outputs: int,
    *,
    base: dict[str, Any],
    scheme: Literal["dynamic", "static"],
    layers: list[str],
    gru_layers: list[str] = [],  # noqa: B006 (read, never mutated; a list default keeps the schema simple)
) -> nn.Module:
    """A model whose Linear layers (torchao) and GRUs (torch.ao) hold int8 weights, as ``trainlab quantize`` wrote it.

    The float architecture is built from ``base``, then each layer in ``layers`` becomes an
    :class:`Int8Linear` of the same shape; the run's model.safetensors fills in the int8
    weights and their scales. Nothing but the recipe and those tensors is needed to rebuild it.

    Args:
        input_shape: Shape of one sample.
        num_outputs: Output width.
        base: The float model's recipe section (``{name: mlp, depth: 3, ...}``).
        scheme: ``dynamic`` (inputs quantized per row at run time) or ``static`` (one calibrated
            input scale per layer).
        layers: Names of the Linear layers held in int8.
        gru_layers: Names of the GRUs held in int8 (dynamic, with torch.ao: see :class:`Int8GRU`).
    """
    from trainlab.compress.quantize.linears import replace_module
    from trainlab.models import build_model

    spec = dict(base)
    network = build_model(spec.pop("name"), input_shape, num_outputs, key="model.base", **spec)
    for name in layers:
        linear = dict(network.named_modules()).get(name)
        if not isinstance(linear, nn.Linear):
            raise ConfigError(
                [Problem("model.layers", f"'{name}' is not an nn.Linear of the {base.get('name')} model")]
            )
        layer = Int8Linear(
            linear.in_features, linear.out_features, bias=linear.bias is not None, static=scheme == "static"
        )
        replace_module(network, name, layer)
    for name in gru_layers:
        gru = dict(network.named_modules()).get(name)
        if not isinstance(gru, nn.GRU):
            raise ConfigError(
                [Problem("model.gru_layers", f"'{name}' is not an nn.GRU of the {base.get('name')} model")]
            )
        replace_module(network, name, Int8GRU(gru))
    return network.eval()
