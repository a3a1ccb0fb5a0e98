"""An int8 ``nn.Linear`` stored as plain tensors (int8 weights, float scales) and run through torchao's Int8Tensor."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainlab.compress.quantize._torchao import torchao_quantization

# torchao's symmetric int8 scale: the largest |x| over half the int8 range, (127 - (-128)) / 2;
# q = round(x / scale) is then clamped to [-128, 127].
SYMMETRIC_HALF_RANGE = 127.5
INT8_MIN, INT8_MAX = -128, 127


class Int8Linear(nn.Module):
    """``y = x W^T + b`` with W held as int8 per output row (``weight_int8 * weight_scale``).

    Dynamic (``input_scale is None``): each input row is quantized to int8 with its own scale at
    run time. Static: every input is quantized with one scale calibrated before (``input_scale``).
    The state dict holds only plain tensors (int8 and float32), so it is stored in safetensors and
    loaded without unpickling; :meth:`forward` wraps them in torchao's ``Int8Tensor``, whose
    ``F.linear`` quantizes the input and multiplies in int8.

    Args:
        in_features: Input width.
        out_features: Output width.
        bias: Whether the layer has a bias (kept in float32).
        static: Whether inputs use a calibrated scale (static) or one per row (dynamic).
    """

    def __init__(self, in_features: int, out_features: int, *, bias: bool = True, static: bool = False):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        # Parameters that never train: they count as the model's parameters in size reports.
        self.weight_int8 = nn.Parameter(
            torch.zeros(out_features, in_features, dtype=torch.int8), requires_grad=False
        )
        self.bias = nn.Parameter(torch.zeros(out_features), requires_grad=False) if bias else None
        self.weight_scale: torch.Tensor
        self.register_buffer("weight_scale", torch.ones(out_features, 1))
        self.input_scale: torch.Tensor | None
        self.register_buffer("input_scale", torch.ones(1, 1) if static else None)

    @classmethod
    def of(cls, linear: nn.Linear, quantized_weight: Any) -> Int8Linear:
        """The layer of ``linear``'s shape holding a torchao ``Int8Tensor`` weight's data and scales."""
        static = quantized_weight.act_quant_scale is not None
        layer = cls(linear.in_features, linear.out_features, bias=linear.bias is not None, static=static)
        with torch.no_grad():
            layer.weight_int8.copy_(quantized_weight.qdata)
            layer.weight_scale.copy_(quantized_weight.scale.reshape(-1, 1))
            if layer.bias is not None and linear.bias is not None:
                layer.bias.copy_(linear.bias)
            if layer.input_scale is not None:
                layer.input_scale.copy_(quantized_weight.act_quant_scale.reshape(1, 1))
        return layer

    @property
    def static(self) -> bool:
        return self.input_scale is not None

    def quantized_weight(self) -> torch.Tensor:
        """The stored weight as torchao's ``Int8Tensor`` (no copy of the int8 data)."""
        quantization = torchao_quantization()
        from torchao.quantization.quantize_.workflows.int8.int8_tensor import (  # type: ignore[import-untyped]
            QuantizeTensorToInt8Kwargs,
        )

        granularity = quantization.PerTensor() if self.static else quantization.PerRow()
        return quantization.Int8Tensor(
            self.weight_int8.detach(),
            self.weight_scale,
            [1, self.in_features],
            torch.float32,
            act_quant_kwargs=QuantizeTensorToInt8Kwargs(
                granularity=granularity, mapping_type=quantization.MappingType.SYMMETRIC
            ),
            act_quant_scale=self.input_scale,
        )

    def dequantized_weight(self) -> torch.Tensor:
        """``weight_int8 * weight_scale`` in float32: the weight the int8 layer stands for."""
        return self.weight_int8.float() * self.weight_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # torchao's static path wants a scale of the input's rank: run every input as (rows, features).
        rows = x.reshape(-1, self.in_features).float()
        out = F.linear(rows, self.quantized_weight(), self.bias)
        return out.reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        kind = "static" if self.static else "dynamic"
        return f"in_features={self.in_features}, out_features={self.out_features}, int8 {kind}"
