"""An int8 ``nn.GRU`` stored as plain tensors and run by torch.ao's dynamic quantized GRU (torchao has no GRU path)."""

from __future__ import annotations

import copy
import warnings
from typing import Any

import torch
from torch import nn


class Int8GRU(nn.Module):
    """A GRU whose weight matrices are int8 (one scale and zero point per matrix), inputs quantized at run time.

    torchao quantizes Linear layers only, so the GRU goes through
    ``torch.ao.quantization.quantize_dynamic``, which torch has deprecated; it is the one CPU path
    with int8 recurrent kernels (fbgemm). The state dict holds plain tensors (each matrix's int8
    values, its scale and zero point, the float32 biases), so it is stored in safetensors; the
    first call after loading packs them into torch.ao's ``GRU`` module, which is not saved.

    Args:
        gru: The float GRU whose shape (sizes, layers, directions, batch_first) this one takes.
    """

    def __init__(self, gru: nn.GRU):
        super().__init__()
        self.options = {
            "input_size": gru.input_size,
            "hidden_size": gru.hidden_size,
            "num_layers": gru.num_layers,
            "bias": gru.bias,
            "batch_first": gru.batch_first,
            "bidirectional": gru.bidirectional,
        }
        self.weight_names = [name for name in gru._flat_weights_names if name.startswith("weight")]
        for name in gru._flat_weights_names:
            tensor = getattr(gru, name)
            if name.startswith("weight"):
                self.register_parameter(
                    f"{name}_int8",
                    nn.Parameter(torch.zeros(tensor.shape, dtype=torch.int8), requires_grad=False),
                )
                self.register_buffer(f"{name}_scale", torch.ones(()))
                self.register_buffer(f"{name}_zero_point", torch.zeros((), dtype=torch.int64))
            else:
                self.register_parameter(name, nn.Parameter(torch.zeros(tensor.shape), requires_grad=False))
        self._packed: Any = None

    @classmethod
    def of(cls, gru: nn.GRU) -> Int8GRU:
        """``gru`` quantized by ``torch.ao.quantization.quantize_dynamic`` (int8 weights per tensor)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the deprecation notice: see the class docstring
            quantized = torch.ao.quantization.quantize_dynamic(
                nn.Sequential(copy.deepcopy(gru)), {nn.GRU}, dtype=torch.qint8
            )[0]
        stored = quantized._weight_bias()
        layer = cls(gru)
        with torch.no_grad():
            for name, tensor in {**stored["weight"], **stored["bias"]}.items():
                if tensor is None:
                    continue
                if name.startswith("weight"):
                    getattr(layer, f"{name}_int8").copy_(tensor.int_repr())
                    getattr(layer, f"{name}_scale").fill_(tensor.q_scale())
                    getattr(layer, f"{name}_zero_point").fill_(tensor.q_zero_point())
                else:
                    getattr(layer, name).copy_(tensor)
        return layer

    def _load_from_state_dict(self, *args: Any, **kwargs: Any) -> None:
        super()._load_from_state_dict(*args, **kwargs)
        self._packed = None  # new weights: pack them again on the next call

    def packed(self) -> nn.Module:
        """torch.ao's dynamic quantized GRU holding this layer's int8 weights (built once per load)."""
        if self._packed is None:
            from torch.ao.nn.quantized.dynamic import GRU

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                runtime = GRU(**self.options, dtype=torch.qint8)
            weights: dict[str, torch.Tensor | None] = {}
            for name, tensor in self.named_parameters():
                if name.endswith("_int8"):
                    weight = name.removesuffix("_int8")
                    weights[weight] = torch._make_per_tensor_quantized_tensor(
                        tensor.detach(),
                        float(getattr(self, f"{weight}_scale")),
                        int(getattr(self, f"{weight}_zero_point")),
                    )
                else:
                    weights[name] = tensor.detach()
            for name in self.weight_names:  # a GRU without biases still packs a None for each
                weights.setdefault(name.replace("weight", "bias", 1), None)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                runtime.set_weight_bias(weights)
            # Kept outside the module tree, so state_dict and .to() see only the plain tensors.
            object.__setattr__(self, "_packed", runtime)
        return self._packed

    def forward(self, x: torch.Tensor, hx: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        return self.packed()(x.float(), hx)

    def extra_repr(self) -> str:
        return f"{self.options}, int8 dynamic (torch.ao)"
