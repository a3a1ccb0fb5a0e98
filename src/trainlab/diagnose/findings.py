"""A finding: what the doctor saw in a run (evidence, step range, layers), why it matters, and the fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from trainlab.summary_tables import short_number

Severity = Literal["info", "warn", "error"]
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warn": 1, "info": 2}


@dataclass(frozen=True)
class Evidence:
    """One measured number against the threshold it crossed, e.g. ``update_ratio 0.21 > 0.01``.

    Attributes:
        measure: What was measured, in words a user can look up (``"median update ratio"``).
        value: The measured number.
        threshold: The threshold it was compared with.
        comparison: ``">"`` or ``"<"``: how ``value`` crossed ``threshold``.
    """

    measure: str
    value: float
    threshold: float
    comparison: Literal[">", "<"]

    def __str__(self) -> str:
        return f"{self.measure} {short_number(self.value)} {self.comparison} {short_number(self.threshold)}"


@dataclass(frozen=True)
class Finding:
    """What the doctor found, with the numbers that show it, its cause and the fix.

    Attributes:
        id: The detector's name, stable across versions (``"lr_too_high"``).
        severity: ``error`` (the run is broken), ``warn`` (it works less well than it could) or
            ``info`` (worth knowing; no action needed).
        title: One line for the table.
        steps: First and last step where it was seen, or None when it is not tied to steps (a recipe
            setting).
        layers: The layers (parameter or module names) it concerns, worst first; empty for the whole
            model.
        evidence: The measurements against their thresholds.
        cause: Why it happens, in one sentence.
        fix: Recipe edits that address it, each a ``key=value`` for ``--set``.
        remedy: The fix in words, with alternatives where the canon gives several.
        reference: Where the canon explains it.
        details: Extra measurements worth showing, e.g. the activation std per layer.
    """

    id: str
    severity: Severity
    title: str
    steps: tuple[int, int] | None
    layers: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    cause: str
    fix: tuple[str, ...]
    remedy: str
    reference: str
    details: dict[str, Any] = field(default_factory=dict)

    def fix_command(self) -> str:
        """The fix as command-line flags: ``--set optimizer.lr=0.001 --set train.grad_clip_norm=1``."""
        return " ".join(f"--set {edit}" for edit in self.fix)

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["steps"] = list(self.steps) if self.steps is not None else None
        record["layers"] = list(self.layers)
        record["evidence"] = [{**asdict(e), "text": str(e)} for e in self.evidence]
        record["fix"] = list(self.fix)
        return record


def step_range(steps: list[int]) -> tuple[int, int] | None:
    """The first and last of ``steps``, or None when there are none."""
    return (min(steps), max(steps)) if steps else None
