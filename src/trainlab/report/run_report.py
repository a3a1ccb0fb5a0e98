"""The report of one run: its final metrics, learning curves, LR schedule, per-class metrics and diagnostics."""

from __future__ import annotations

from typing import Any

from trainlab.report import figures
from trainlab.report.html import render
from trainlab.report.run_data import RunData, per_class_metrics

SPLIT_ORDER = ("train", "val", "test")


def primary_metric(run: RunData) -> str:
    """The metric the curves show: the first evaluated one that is not the loss (the loss if none)."""
    for split in (*run.eval_splits(), *SPLIT_ORDER):
        keys = run.eval_keys(split) or list(run.scalar_metrics(split))
        for key in keys:
            if key != "loss":
                return key
    return "loss"


def curve_split(run: RunData) -> str:
    """The split evaluated during training (the recipe's ``train.eval_on``), val if it was never evaluated."""
    splits = run.eval_splits()
    return splits[0] if splits else "val"


def findings_rows(findings: list[dict[str, Any]], where: str = "") -> list[dict[str, Any]]:
    """Diagnosis findings with every field the template reads (older diagnosis.json files lack some)."""
    return [
        {
            "id": finding.get("id", ""),
            "severity": finding.get("severity", "info"),
            "title": finding.get("title", finding.get("id", "")),
            "cause": finding.get("cause", ""),
            "remedy": finding.get("remedy", ""),
            "fix": list(finding.get("fix") or []),
            "where": where,
        }
        for finding in findings
    ]


def run_facts(run: RunData) -> list[tuple[str, str]]:
    info = run.summary.get("run") or {}
    data = run.summary.get("data") or {}
    facts = [("status", run.status), ("name", str(info.get("name") or run.recipe.get("name") or ""))]
    if data:
        facts.append(("data", f"{data.get('name')} ({data.get('task')}; sizes {data.get('sizes')})"))
    for key, label in (("steps", "steps"), ("parameters", "parameters"), ("device", "device")):
        if key in info:
            facts.append((label, f"{info[key]:,}" if isinstance(info[key], int) else str(info[key])))
    if isinstance(info.get("wall_time_s"), int | float):
        facts.append(("wall time", f"{info['wall_time_s']:.1f} s"))
    if info.get("diverged"):
        facts.append(("diverged", str(info["diverged"])))
    return facts


def run_context(run: RunData) -> dict[str, Any]:
    """What run.html.j2 renders."""
    metric = primary_metric(run)
    split = curve_split(run)
    groups = {str(run.recipe.get("name") or run.path.name): [run]}
    final_splits = [(s, run.scalar_metrics(s)) for s in SPLIT_ORDER if run.scalar_metrics(s)]
    names: list[str] = []
    for _, metrics in final_splits:
        names.extend(name for name in metrics if name not in names)
    confusion_split = run.confusion_split
    per_class, confusion = [], None
    if confusion_split is not None:
        matrix = run.final(confusion_split)["confusion_matrix"]
        per_class = per_class_metrics(matrix, run.classes)
        confusion = figures.confusion_matrix(matrix, run.classes, f"{confusion_split} split")
    return {
        "title": f"trainlab run: {run.recipe.get('name') or run.path.name}",
        "subtitle": str(run.path),
        "facts": run_facts(run),
        "error": run.summary.get("error"),
        "metric": metric,
        "final_names": names,
        "final_splits": final_splits,
        "curves": figures.learning_curves(groups, metric, split),
        "lr_figure": figures.lr_schedule(groups),
        "per_class": per_class,
        "confusion_split": confusion_split,
        "confusion": confusion,
        "diagnosed": run.diagnosis is not None,
        "findings": findings_rows(run.findings),
        "pictures": run.pictures,
        "run_path": str(run.path),
        "recipe_text": run.recipe_text,
    }


def render_run_report(run: RunData) -> str:
    return render("run.html.j2", **run_context(run))
