"""The report of an experiment: statistics against the baseline, per-variant plots, curves with seed bands."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from trainlab.experiment.statistics import MIN_SEEDS, compare_to_baseline, describe
from trainlab.report import figures
from trainlab.report.html import render
from trainlab.report.run_data import RunData, is_run_dir, per_class_metrics, read_run
from trainlab.report.run_report import curve_split, findings_rows

if TYPE_CHECKING:
    from trainlab.experiment.results import ExperimentResults

ALPHA = 0.05
# A confusion matrix per variant reads well up to this many variants; past it the table carries the story.
MAX_CONFUSIONS = 6


def report_split(results: ExperimentResults) -> str:
    """test when the runs were tested, else val."""
    for split in ("test", "val"):
        if any(f"{split}.{results.spec.primary_metric.name}" in record.metrics for record in results.runs):
            return split
    return "test"


def verdict_units(table: Mapping[str, Mapping[Any, float]], metric: str) -> tuple[float, str]:
    """(scale, unit) of the verdicts: percentage points for a score between 0 and 1, the metric's own units else."""
    values = [v for row in table.values() for v in row.values() if math.isfinite(v)]
    if values and "loss" not in metric and all(0.0 <= v <= 1.0 for v in values):
        return 100.0, "points"
    return 1.0, ""


def _runs_by_variant(results: ExperimentResults) -> dict[str, list[tuple[int, RunData]]]:
    """Each variant's runs whose directories are on this machine, read for curves, confusion and findings."""
    grouped: dict[str, list[tuple[int, RunData]]] = {
        variant: [] for variant in results.spec.variant_overrides()
    }
    for record in results.runs:
        if is_run_dir(record.run_dir):
            grouped.setdefault(record.variant, []).append((record.seed, read_run(record.run_dir)))
    return grouped


def _per_class(
    runs: Mapping[str, Sequence[tuple[int, RunData]]], split: str
) -> tuple[list[str], list[dict[str, Any]], list[tuple[str, str]]]:
    """Per-class F1 (mean over seeds) per variant, and each variant's confusion matrix summed over its seeds."""
    import numpy as np

    variants: list[str] = []
    f1_columns: list[list[float]] = []
    confusions: list[tuple[str, str]] = []
    classes: list[str] = []
    for variant, seeded in runs.items():
        matrices = [
            run.final(split)["confusion_matrix"]
            for _, run in seeded
            if "confusion_matrix" in run.final(split)
        ]
        if not matrices:
            continue
        classes = classes or seeded[0][1].classes
        per_seed = [[row["f1"] for row in per_class_metrics(m, classes)] for m in matrices]
        variants.append(variant)
        f1_columns.append(np.nanmean(np.array(per_seed, dtype=float), axis=0).tolist())
        if len(confusions) < MAX_CONFUSIONS:
            summed = np.sum(np.array(matrices, dtype=float), axis=0)
            confusions.append((variant, figures.confusion_matrix(summed, classes, variant)))
    if not variants:
        return [], [], []
    names = classes if len(classes) == len(f1_columns[0]) else [str(i) for i in range(len(f1_columns[0]))]
    rows = [{"name": name, "values": [column[i] for column in f1_columns]} for i, name in enumerate(names)]
    return variants, rows, confusions


def _findings(runs: Mapping[str, Sequence[tuple[int, RunData]]]) -> tuple[bool, list[dict[str, Any]]]:
    """Findings grouped by variant and finding, with the seeds that showed each."""
    diagnosed = False
    grouped: dict[tuple[str, str], tuple[dict[str, Any], list[int]]] = {}
    for variant, seeded in runs.items():
        for seed, run in seeded:
            diagnosed = diagnosed or run.diagnosis is not None
            for finding in run.findings:
                key = (variant, str(finding.get("id")))
                grouped.setdefault(key, (finding, []))[1].append(seed)
    rows = []
    for (variant, _), (finding, seeds) in grouped.items():
        where = f"{variant}: seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}"
        rows.extend(findings_rows([finding], where))
    return diagnosed, rows


def metric_section(results: ExperimentResults, metric: str, maximize: bool, split: str) -> dict[str, Any]:
    """One compared metric: each variant's description, the comparisons with the baseline, the figure."""
    baseline = results.spec.baseline_variant
    table = results.table(metric, split)
    scale, unit = verdict_units(table, metric)
    descriptions = {variant: describe(list(values.values())) for variant, values in table.items()}
    comparisons = {
        c.variant: c
        for c in compare_to_baseline(table, baseline, maximize, alpha=ALPHA, scale=scale, unit=unit)
    }
    methods = sorted({d.bootstrap_method for d in descriptions.values() if d.bootstrap_method != "none"})
    return {
        "metric": metric,
        "direction": "higher is better" if maximize else "lower is better",
        "comparisons": max((c.comparisons for c in comparisons.values()), default=0),
        "bootstrap_label": "/".join(methods) + " bootstrap" if methods else "bootstrap",
        "stat_rows": [
            {
                "variant": variant,
                "n": d.n,
                "nonfinite": d.n_nonfinite,
                "mean": d.mean,
                "std": d.std,
                "t_ci": d.t_ci,
                "boot_ci": d.bootstrap_ci,
                "comparison": comparisons.get(variant),
            }
            for variant, d in descriptions.items()
        ],
        "comparison_notes": [note for c in comparisons.values() for note in c.notes],
        "final_figure": figures.final_metric(table, descriptions, metric, split),
    }


def _notes(results: ExperimentResults) -> list[str]:
    counts = results.counts()
    notes = []
    if not results.complete:
        waiting = counts["pending"] + counts["running"]
        notes.append(f"{waiting} run(s) have no result yet; the statistics use the runs that finished.")
    if counts["failed"]:
        notes.append(
            f"{counts['failed']} run(s) failed with an error (see their error.txt); they are not in the statistics."
        )
    seeds = len(results.spec.seed_list)
    if seeds < MIN_SEEDS:
        notes.append(f"{seeds} seed(s) per variant: a paired test needs at least {MIN_SEEDS}.")
    return notes


def experiment_context(results: ExperimentResults, split: str | None = None) -> dict[str, Any]:
    """What experiment.html.j2 renders: a statistics section per compared metric, then the runs' pictures."""
    spec = results.spec
    metrics = spec.resolved_metrics()
    primary = metrics[0].name
    split = split or report_split(results)
    runs = _runs_by_variant(results)
    groups = {variant: [run for _, run in seeded] for variant, seeded in runs.items() if seeded}
    any_run = next((run for seeded in groups.values() for run in seeded), None)
    confusion_split = any_run.confusion_split if any_run is not None else None
    per_class_variants, per_class_rows, confusions = (
        _per_class(runs, confusion_split) if confusion_split else ([], [], [])
    )
    diagnosed, findings = _findings(runs)
    steps_of = {
        (variant, seed): (run.summary.get("run") or {}).get("steps")
        for variant, seeded in runs.items()
        for seed, run in seeded
    }
    counts = results.counts()
    facts = [
        (
            "metrics",
            ", ".join(f"{split} {m.name} ({'higher' if m.maximize else 'lower'} is better)" for m in metrics),
        ),
        ("baseline", spec.baseline_variant),
        ("variants", ", ".join(spec.variant_overrides())),
        ("seeds", ", ".join(map(str, spec.seed_list))),
        ("runs", ", ".join(f"{count} {status}" for status, count in counts.items() if count)),
    ]
    return {
        "title": f"trainlab experiment: {spec.name}",
        "subtitle": str(results.directory),
        "facts": facts,
        "notes": _notes(results),
        "metric": primary,
        "split": split,
        "baseline": spec.baseline_variant,
        "alpha": ALPHA,
        "sections": [metric_section(results, m.name, m.maximize, split) for m in metrics],
        "curves": figures.learning_curves(groups, primary, curve_split(any_run)) if any_run else None,
        "lr_figure": figures.lr_schedule(groups),
        "confusion_split": confusion_split,
        "per_class_variants": per_class_variants,
        "per_class_rows": per_class_rows,
        "confusions": confusions,
        "diagnosed": diagnosed,
        "findings": findings,
        "run_rows": [
            {
                "variant": record.variant,
                "seed": record.seed,
                "status": record.status,
                "value": record.metric(primary, split) if record.status in ("finished", "diverged") else None,
                "steps": steps_of.get((record.variant, record.seed)),
                "wall_s": record.wall_s,
                "path": str(record.run_dir),
            }
            for record in results.runs
        ],
    }


def render_experiment_report(results: ExperimentResults, split: str | None = None) -> str:
    return render("experiment.html.j2", **experiment_context(results, split))
