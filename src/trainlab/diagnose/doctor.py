"""The doctor: runs every detector over a run's evidence and says what it found, what it could not check, and the fix."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainlab.diagnose.evidence import RunEvidence, later_part, median
from trainlab.diagnose.findings import SEVERITY_ORDER, Finding
from trainlab.errors import ConfigError, Problem, TrainlabError

DIAGNOSIS = "diagnosis.json"


@dataclass
class Diagnosis:
    """What the doctor concluded about one run.

    Attributes:
        findings: Everything found, errors first.
        measurements: The run's key numbers (final losses and accuracy, update ratio, gradient norm,
            ...), shown when the run is healthy and kept in diagnosis.json either way.
        not_checked: ``{detector: why}`` for each detector the run's files could not feed.
        instrumented: Whether the run had instruments (diagnostics.jsonl).
        run_dir: The run directory, when the diagnosis came from one.
        options: The detector options the doctor ran with, ``{detector: {option: value}}``.
    """

    findings: list[Finding]
    measurements: dict[str, Any]
    not_checked: dict[str, str]
    instrumented: bool
    run_dir: Path | None = None
    options: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def healthy(self) -> bool:
        """No finding at warn or error severity."""
        return not any(f.severity in ("warn", "error") for f in self.findings)

    def ids(self, *, at_least: str = "info") -> list[str]:
        """The ids of the findings at ``at_least`` severity or worse."""
        return [f.id for f in self.findings if SEVERITY_ORDER[f.severity] <= SEVERITY_ORDER[at_least]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "healthy": self.healthy,
            "instrumented": self.instrumented,
            "findings": [f.to_dict() for f in self.findings],
            "measurements": self.measurements,
            "not_checked": self.not_checked,
            "options": self.options,
        }


def doctor(
    run_dir: str | os.PathLike[str],
    options: Mapping[str, Mapping[str, Any]] | Sequence[str] | None = None,
    *,
    write: bool = True,
) -> Diagnosis:
    """Diagnose a finished (or failed) run directory and write ``diagnosis.json`` into it.

    Args:
        run_dir: The directory ``trainlab fit`` wrote.
        options: Detector thresholds, as ``{"lr_too_high": {"max_update_ratio": 0.05}}`` or as
            ``["lr_too_high.max_update_ratio=0.05"]``; ``<detector>.enabled=false`` turns one off.
        write: Write ``diagnosis.json`` (atomically; the only file the doctor writes).

    Raises:
        TrainlabError: if ``run_dir`` is not a run directory, a file the doctor needs is missing or
            damaged, an option names no detector or threshold, or diagnosis.json cannot be written.

    Example:
        >>> from trainlab.diagnose import doctor
        >>> diagnosis = doctor("runs/paper", {"dead_relu": {"max_dead_fraction": 0.3}})
        >>> [f.id for f in diagnosis.findings]
    """
    detectors = build_detectors(options)
    evidence = RunEvidence.from_run_dir(Path(run_dir))
    diagnosis = diagnose(evidence, detectors)
    diagnosis.run_dir = Path(run_dir)
    diagnosis.options = _as_nested(options)
    if write:
        from trainlab._io import write_json_atomic

        target = Path(run_dir) / DIAGNOSIS
        try:
            write_json_atomic(target, diagnosis.to_dict())
        except OSError as exc:
            raise TrainlabError(
                f"cannot write {target} ({exc.strerror or exc}); make the run directory writable, "
                "or diagnose without writing (--no-write, or write=False)"
            ) from None
    return diagnosis


def diagnose(evidence: RunEvidence, detectors: Mapping[str, Any] | None = None) -> Diagnosis:
    """Run ``detectors`` (default: every registered one at its default thresholds) over ``evidence``."""
    from trainlab.diagnose.detectors import unmet_needs

    detectors = build_detectors() if detectors is None else detectors
    findings: list[Finding] = []
    not_checked: dict[str, str] = {}
    for name, detector in detectors.items():
        unmet = unmet_needs(detector, evidence)
        if unmet:
            not_checked[name] = "needs " + " and ".join(unmet)
            continue
        findings.extend(detector.check(evidence))
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.steps[0] if f.steps else -1))
    return Diagnosis(findings, key_measurements(evidence), not_checked, evidence.instrumented)


def build_detectors(
    options: Mapping[str, Mapping[str, Any]] | Sequence[str] | None = None,
) -> dict[str, Any]:
    """Every registered detector, built with ``options``; every bad option is reported at once."""
    from trainlab.registry import DETECTORS

    nested = _as_nested(options)
    problems = [
        Problem(name, DETECTORS.unknown_name_message(name)) for name in nested if name not in DETECTORS
    ]
    detectors: dict[str, Any] = {}
    for entry in DETECTORS.list():
        settings = dict(nested.get(entry.name, {}))
        if settings.pop("enabled", True) is False:
            continue
        converted, entry_problems = entry.check_kwargs(settings, key=entry.name, also_valid=("enabled",))
        problems += entry_problems
        if not entry_problems:
            detectors[entry.name] = entry.factory(**converted)
    if problems:
        raise ConfigError(problems, source="the doctor's options")
    return detectors


def key_measurements(evidence: RunEvidence) -> dict[str, Any]:
    """The numbers that say how a run went, for the healthy verdict and diagnosis.json."""
    from trainlab.diagnose.detectors.gradients import global_grad_norms
    from trainlab.diagnose.detectors.learning_rate import update_ratios

    measured: dict[str, Any] = {}
    losses = evidence.train_losses()
    if losses:
        measured["first_train_loss"] = losses[0][1]
        measured["final_train_loss"] = losses[-1][1]
    split = evidence.eval_split()
    for record in evidence.evals(split)[-1:]:
        for metric in ("loss", "accuracy", "f1_macro", "r2"):
            if isinstance(record.get(metric), (int, float)):
                measured[f"final_{split}_{metric}"] = record[metric]
    train_accuracy = (evidence.summary or {}).get("train", {}).get("accuracy")
    if isinstance(train_accuracy, (int, float)):
        measured["final_train_accuracy"] = train_accuracy
    if evidence.instrumented:
        ratio = update_ratios(evidence, 0.5)[0]
        if math.isfinite(ratio):
            measured["median_update_ratio"] = ratio
        norms = later_part(global_grad_norms(evidence), 0.5)
        if norms:
            measured["median_grad_norm"] = median(norm for _, norm in norms)
        dead = [points[-1][1] for points in evidence.series("activation", "dead_frac").values() if points]
        if dead:
            measured["max_dead_fraction"] = max(dead)
    return measured


def _as_nested(options: Mapping[str, Mapping[str, Any]] | Sequence[str] | None) -> dict[str, dict[str, Any]]:
    """``["dead_relu.max_dead_fraction=0.3"]`` or a mapping, as ``{"dead_relu": {"max_dead_fraction": 0.3}}``."""
    if options is None:
        return {}
    nested: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    if isinstance(options, Mapping):
        for name, settings in options.items():
            if isinstance(settings, Mapping):
                nested[str(name)] = dict(settings)
            else:
                problems.append(Problem(str(name), f"expected a mapping of option: value, got {settings!r}"))
        if problems:
            raise ConfigError(problems, source="the doctor's options")
        return nested
    from trainlab.overrides import parse_overrides

    for key, value in parse_overrides(list(options)).items():
        detector, dot, option = key.partition(".")
        if not dot or not option:
            problems.append(
                Problem(key, "expected <detector>.<option>=<value>, e.g. lr_too_high.max_update_ratio=0.05")
            )
            continue
        nested.setdefault(detector, {})[option] = value
    if problems:
        raise ConfigError(problems, source="the doctor's options")
    return nested
