"""Instruments: families of statistics measured on sampled steps, registered under the kind ``instrument``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trainlab.diagnose.instruments._base import Instrument, SampledStep
from trainlab.diagnose.instruments.activations import ActivationStats
from trainlab.diagnose.instruments.grad_snr import GradientSNR
from trainlab.diagnose.instruments.hessian import HessianTopEigenvalue
from trainlab.diagnose.instruments.outputs import OutputStats
from trainlab.diagnose.instruments.params import ParameterStats
from trainlab.diagnose.instruments.registry import INSTRUMENTS

# Cheap enough to leave on at every log step; the Hessian is opt-in.
DEFAULT_INSTRUMENTS = ("params", "activations", "outputs", "grad_snr")


def build_instruments(
    specs: Sequence[str | Mapping[str, Any] | Instrument] | None = None, *, window: int | None = None
) -> list[Instrument]:
    """Instruments from names, ``{name: ..., **options}`` mappings or ready objects.

    Args:
        specs: What to measure; None means :data:`DEFAULT_INSTRUMENTS`.
        window: The dead-unit window (sampled steps) for instruments that take one, unless their
            own options set it.

    Raises:
        UnknownNameError, ConfigError: a name that is not an instrument, or a bad option.
    """
    built: list[Instrument] = []
    for spec in DEFAULT_INSTRUMENTS if specs is None else specs:
        if not isinstance(spec, (str, Mapping)):
            built.append(spec)
            continue
        options: dict[str, Any] = {"name": spec} if isinstance(spec, str) else dict(spec)
        entry = INSTRUMENTS.get(options.pop("name"), key="diagnose.instruments")
        if window is not None and "window" in entry.parameters():
            options.setdefault("window", window)
        built.append(entry.build(**options))
    return built


__all__ = [
    "DEFAULT_INSTRUMENTS",
    "INSTRUMENTS",
    "ActivationStats",
    "GradientSNR",
    "HessianTopEigenvalue",
    "Instrument",
    "OutputStats",
    "ParameterStats",
    "SampledStep",
    "build_instruments",
]
