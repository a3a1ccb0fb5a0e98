"""A statistic of the diagnostics instruments at one sampled step (gradient ratios, dead units, activation std)."""

from __future__ import annotations

import fnmatch
import math
from pathlib import Path
from typing import Literal

from trainlab.errors import TrainlabError
from trainlab.studies.registries import MEASURES

Reduce = Literal["mean", "max", "min", "last_over_first", "first_over_last", "last"]


@MEASURES.register(
    "instrument_statistic",
    reference="trainlab.diagnose instruments (diagnostics.jsonl); Glorot & Bengio 2010, Understanding "
    "the difficulty of training deep feedforward neural networks (activation and gradient statistics "
    "per layer)",
)
class InstrumentStatistic:
    """One field of the instruments' rows at one sampled step, reduced over the matching layers.

    Needs the base recipe's ``diagnose:`` section with the instrument that writes the field, e.g.
    ``{kind: model, field: grad_norm_first_last}`` (params), ``{kind: activation, field: std,
    reduce: last_over_first}`` or ``{kind: activation, field: dead_frac}`` (activations).
    """

    def __init__(
        self,
        field: str,
        kind: str = "activation",
        step: int | Literal["first", "last"] = "last",
        layer: str = "*",
        reduce: Reduce = "mean",
        transform: Literal["none", "log10", "abs_log10"] = "none",
    ):
        """Options of the measure.

        Args:
            field: The column, e.g. ``std``, ``dead_frac``, ``grad_norm``, ``grad_norm_first_last``.
            kind: The rows' ``kind``: ``activation``, ``param``, ``model``, ``output``, ...
            step: ``first`` or ``last`` sampled step, or a step number (the nearest sampled one at or before it).
            layer: Shell pattern over the rows' ``layer`` names.
            reduce: Over the matching layers in depth order: ``mean``, ``max``, ``min``, ``last``,
                ``last_over_first`` or ``first_over_last`` (a ratio across depth).
            transform: ``log10`` of the reduced value, or ``abs_log10``: its distance from 1 in
                decades (a ratio "near 1" scores near 0 whichever way it is off).
        """
        self.field, self.kind, self.step, self.layer, self.reduce = field, kind, step, layer, reduce
        self.transform = transform

    def __call__(self, run_dir: Path) -> float:
        from trainlab.diagnose.records import read_records

        rows = [
            row
            for row in read_records(run_dir, self.kind)
            if fnmatch.fnmatchcase(str(row.get("layer", "")), self.layer) and row.get(self.field) is not None
        ]
        if not rows:
            raise TrainlabError(
                f"measure: '{run_dir}' has no diagnostics rows of kind {self.kind!r} with {self.field!r}; "
                "enable the instrument in the base recipe's diagnose: section"
            )
        steps = sorted({int(row["step"]) for row in rows})
        if self.step == "first":
            chosen = steps[0]
        elif self.step == "last":
            chosen = steps[-1]
        else:
            earlier = [s for s in steps if s <= self.step]
            chosen = earlier[-1] if earlier else steps[0]
        values = [float(row[self.field]) for row in rows if int(row["step"]) == chosen]
        value = _reduced(values, self.reduce)
        if self.transform == "none":
            return value
        logged = math.log10(value) if value > 0 else -math.inf
        return abs(logged) if self.transform == "abs_log10" else logged


def _reduced(values: list[float], reduce: Reduce) -> float:
    if reduce == "mean":
        return math.fsum(values) / len(values)
    if reduce == "max":
        return max(values)
    if reduce == "min":
        return min(values)
    if reduce == "last":
        return values[-1]
    first, last = values[0], values[-1]
    numerator, denominator = (last, first) if reduce == "last_over_first" else (first, last)
    return numerator / denominator if denominator else math.inf
