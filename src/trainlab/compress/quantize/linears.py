"""Post-training int8 quantization of a model's ``nn.Linear`` layers with torchao: dynamic, or static with calibration."""

from __future__ import annotations

import copy
from collections.abc import Iterable

import torch
from torch import nn

from trainlab.compress.quantize._torchao import torchao_quantization
from trainlab.compress.quantize.int8_linear import SYMMETRIC_HALF_RANGE, Int8Linear

SCHEMES = ("dynamic", "static")


def linear_layers(model: nn.Module) -> list[str]:
    """The names of ``model``'s ``nn.Linear`` layers, in registration order."""
    return [name for name, module in model.named_modules() if type(module) is nn.Linear]


@torch.no_grad()
def calibrate_input_scales(
    model: nn.Module, layers: list[str], batches: Iterable[torch.Tensor]
) -> dict[str, float]:
    """Each layer's static input scale: the largest |input| seen over ``batches``, over 127.5 (as torchao's weights).

    Max-abs calibration (symmetric, per tensor) is the simplest observer: it never clips a value
    seen in calibration, at the price of resolution when a few inputs are far larger than the rest.

    Args:
        model: The float model, in eval mode.
        layers: Names of the ``nn.Linear`` layers to calibrate.
        batches: Model inputs (already preprocessed), e.g. batches of the training split.
    """
    largest = dict.fromkeys(layers, 0.0)
    handles = []
    for name in layers:

        def record(module: nn.Module, args: tuple[torch.Tensor, ...], name: str = name) -> None:
            largest[name] = max(largest[name], float(args[0].detach().abs().max()))

        handles.append(model.get_submodule(name).register_forward_pre_hook(record))
    try:
        for batch in batches:
            model(batch)
    finally:
        for handle in handles:
            handle.remove()
    # A layer whose inputs were all zero still needs a positive scale.
    return {
        name: max(value, torch.finfo(torch.float32).tiny) / SYMMETRIC_HALF_RANGE
        for name, value in largest.items()
    }


def quantize_linears(
    model: nn.Module, layers: list[str], scheme: str, input_scales: dict[str, float] | None = None
) -> nn.Module:
    """A copy of ``model`` whose ``layers`` are :class:`Int8Linear`, quantized by torchao.

    Weights are int8 per output row, symmetric. ``dynamic`` (torchao's
    ``Int8DynamicActivationInt8WeightConfig``) quantizes each input row at run time; ``static``
    (``Int8StaticActivationInt8WeightConfig``) quantizes inputs with the calibrated
    ``input_scales`` (see :func:`calibrate_input_scales`).

    Args:
        model: The float model (left unchanged).
        layers: Names of its ``nn.Linear`` layers to quantize.
        scheme: ``dynamic`` or ``static``.
        input_scales: Per layer, the input scale (``static`` only).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme {scheme!r}: use one of {SCHEMES}")
    if scheme == "static" and input_scales is None:
        raise ValueError("static quantization needs input_scales (calibrate_input_scales)")
    quantization = torchao_quantization()
    quantized = copy.deepcopy(model).eval()
    for name in layers:
        linear = quantized.get_submodule(name)
        assert isinstance(linear, nn.Linear)
        if scheme == "dynamic":
            config = quantization.Int8DynamicActivationInt8WeightConfig()
        else:
            assert input_scales is not None
            config = quantization.Int8StaticActivationInt8WeightConfig(
                act_quant_scale=torch.tensor([[input_scales[name]]]),
                granularity=[quantization.PerTensor(), quantization.PerRow()],
            )
        converted = copy.deepcopy(linear)
        quantization.quantize_(converted, config, filter_fn=lambda module, fqn: isinstance(module, nn.Linear))
        replace_module(quantized, name, Int8Linear.of(linear, converted.weight))
    return quantized


def replace_module(model: nn.Module, name: str, module: nn.Module) -> None:
    """Put ``module`` in ``model`` under the dotted ``name``, in place of what was there."""
    parent_name, _, child = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child, module)
