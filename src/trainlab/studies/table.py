"""A study's measurements: one number per arm and seed, the input of every verdict rule."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass
class MeasurementTable:
    """``values[arm][seed]``: the measure of one run; runs without a finite value are listed in ``missing``.

    Attributes:
        values: Arm name to {seed: value}, finite values only.
        missing: Arm name to {seed: why} for runs that failed, diverged or could not be measured;
            reported beside the verdict, never silently dropped.
    """

    values: dict[str, dict[int, float]] = field(default_factory=dict)
    missing: dict[str, dict[int, str]] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: Mapping[str, Mapping[int, float]]) -> MeasurementTable:
        """A table from ``{arm: {seed: value}}``; NaN and infinities go to ``missing``."""
        table = cls()
        for arm, by_seed in rows.items():
            table.values.setdefault(arm, {})
            for seed, value in by_seed.items():
                table.add(arm, int(seed), float(value))
        return table

    def add(self, arm: str, seed: int, value: float | None, why: str = "") -> None:
        """Record one run's value; ``None`` or a non-finite value is recorded as missing, with why."""
        self.values.setdefault(arm, {})
        if value is not None and math.isfinite(value):
            self.values[arm][seed] = value
        else:
            self.missing.setdefault(arm, {})[seed] = why or f"value {value}"

    def arms(self) -> list[str]:
        return list(self.values)

    def shared_seeds(self, arms: Sequence[str]) -> list[int]:
        """Seeds with a value in every one of ``arms``, sorted (the pairs a paired test may use)."""
        if not arms:
            return []
        common = set.intersection(*(set(self.values.get(arm, {})) for arm in arms))
        return sorted(common)

    def column(self, arm: str, seeds: Sequence[int]) -> list[float]:
        return [self.values[arm][seed] for seed in seeds]

    def to_dict(self) -> dict[str, dict[str, dict[str, object]]]:
        return {
            "values": {arm: {str(s): v for s, v in by_seed.items()} for arm, by_seed in self.values.items()},
            "missing": {
                arm: {str(s): w for s, w in by_seed.items()} for arm, by_seed in self.missing.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, Mapping[str, object]]]) -> MeasurementTable:
        table = cls()
        for arm, by_seed in data.get("values", {}).items():
            table.values[arm] = {int(s): float(v) for s, v in by_seed.items()}  # type: ignore[arg-type]
        for arm, by_seed in data.get("missing", {}).items():
            table.missing[arm] = {int(s): str(w) for s, w in by_seed.items()}
        return table
