"""The studies' report card: one HTML page with a section per claim, and STUDIES.md, from the study.json files."""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from trainlab._io import write_text_atomic
from trainlab.errors import TrainlabError
from trainlab.studies.run import RESULT_FILE, read_result

REPORT_FILE = "report.html"
OUTCOME_CLASS = {"supported": "better", "not supported": "worse", "inconclusive": "unresolved"}


def collect_results(directory: str | Path) -> list[dict[str, Any]]:
    """Every study.json under ``directory`` (one folder per study), by study name.

    Raises:
        TrainlabError: no study has finished there.
    """
    folders = sorted(path.parent for path in Path(directory).glob(f"*/{RESULT_FILE}"))
    if not folders:
        raise TrainlabError(f"'{directory}' holds no finished study; run `trainlab study run` first")
    return [read_result(folder) for folder in folders]


def describe_machine(*, with_load: bool = True) -> str:
    """The machine the studies ran on, for STUDIES.md: usable cores, CPU model and (``with_load``) how busy it was.

    Call it before the workers start, so that the load average is other jobs', not the study's own.
    """
    from trainlab.cores import usable_cores

    cores = usable_cores()
    parts = [f"{cores} usable core{'s' if cores != 1 else ''}", _cpu_model()]
    if with_load and hasattr(os, "getloadavg"):
        parts.append(f"load average {os.getloadavg()[0]:.1f} when the run started")
    return ", ".join(part for part in parts if part)


def _cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return " ".join(line.split(":", 1)[1].split())
    except OSError:
        pass
    return platform.processor() or platform.machine()


def write_report(results: Sequence[dict[str, Any]], path: str | Path, *, command: str = "") -> Path:
    """The HTML report: per claim its source, arms, every seed's measure per arm, and the verdict's statistics."""
    import jinja2

    from trainlab.report.html import environment

    env = environment()
    env.loader = jinja2.ChoiceLoader([jinja2.PackageLoader("trainlab.studies", "templates"), env.loader])  # type: ignore[list-item]
    sections = [
        dict(
            result,
            css=OUTCOME_CLASS[result["outcome"]],
            measured=[
                {"label": label, "table": table, "figure": _measure_figure(result, label, table)}
                for label, table in result["tables"].items()
            ],
        )
        for result in results
    ]
    counts = {outcome: sum(r["outcome"] == outcome for r in results) for outcome in OUTCOME_CLASS}
    html = env.get_template("studies.html.j2").render(
        title="trainlab studies: the canon's claims, measured",
        subtitle=f"{len(results)} studies; " + ", ".join(f"{n} {o}" for o, n in counts.items()),
        sections=sections,
        command=command,
        minutes=math.fsum(r["minutes"] for r in results),
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, html)
    return path


def _measure_figure(result: dict[str, Any], label: str, table: dict[str, Any]) -> str:
    """Every seed's value per arm (a labelled point each, missing runs as red crosses on the axis), and each arm's mean."""
    from trainlab.report.figures import figure_data_uri, new_figure

    values, missing = table["values"], table["missing"]
    arms = list(result["arms"])
    figure, (axes,) = new_figure(height=2.2 + 0.1 * len(arms))
    for position, arm in enumerate(arms):
        by_seed = values.get(arm, {})
        seeds = sorted(by_seed, key=int)
        ys = [by_seed[s] for s in seeds]
        # A fixed spread per seed keeps points apart and the same seed at the same offset in every arm.
        offsets = [
            position + 0.25 * (index / max(len(result["seeds"]) - 1, 1) - 0.5)
            for index in _seed_index(seeds, result)
        ]
        axes.scatter(offsets, ys, s=22, zorder=3)
        for x, y, seed in zip(offsets, ys, seeds, strict=True):
            axes.annotate(
                seed, (x, y), fontsize=6, xytext=(3, 2), textcoords="offset points", color="#5b6475"
            )
        if ys:
            mean = math.fsum(ys) / len(ys)
            axes.hlines(mean, position - 0.3, position + 0.3, color="black", linewidth=1.2, zorder=2)
        for _ in missing.get(arm, {}):
            axes.plot(
                position, 0, marker="x", color="#c0392b", markersize=8, transform=axes.get_xaxis_transform()
            )
    axes.set_xticks(range(len(arms)), arms, fontsize=8, rotation=15 if len(arms) > 3 else 0)
    axes.set_ylabel(label, fontsize=8)
    axes.grid(axis="y", alpha=0.3)
    return figure_data_uri(figure)


def _seed_index(seeds: list[str], result: dict[str, Any]) -> list[int]:
    order = [str(s) for s in result["seeds"]]
    return [order.index(s) if s in order else 0 for s in seeds]


def effect_text(verdict: dict[str, Any]) -> str:
    def number(value: Any) -> str:
        return "n/a" if value is None else f"{value:.3g}"

    low, high = verdict["ci"]
    return f"{number(verdict['effect'])} [{number(low)}, {number(high)}]"


def write_markdown(
    results: Sequence[dict[str, Any]],
    path: str | Path,
    *,
    command: str,
    machine: str,
    not_run: Sequence[str] = (),
) -> Path:
    """STUDIES.md: the report card as a table (claim, verdict, effect and CI, p, seeds, minutes), with its command."""
    total = math.fsum(r["minutes"] for r in results)
    wall = math.fsum(r["wall_minutes"] for r in results)
    lines = [
        "# Studies: the canon's claims, measured on this machine",
        "",
        f"Generated by `{command}` on {dt.date.today().isoformat()} ({machine}).",
        f"{len(results)} studies, {total:.1f} CPU-minutes of training; this invocation took {wall:.1f} minutes of "
        "wall-clock time (runs already finished in its directory are reused, not rerun).",
        "Verdicts are computed from the runs (`trainlab.studies` rules), never written by hand; "
        "`inconclusive` at this scale is a result, not a failure. Effects: better_by_delta's is the mean "
        "advantage of the claimed-better arm (positive favours the claim); equivalence's the difference "
        "first - second (oriented by direction for not_worse); monotone_trend's the mean Spearman rho along "
        "the claimed direction; k_of_n's the fraction of seeds where the claim holds. CIs are 90% for the one-sided "
        "tests at alpha 0.05 (95% Clopper-Pearson for k_of_n); the minutes are the runs' training time "
        "summed. The HTML report (`trainlab study report`) shows every seed's value.",
        "",
        "| # | study | claim | verdict | effect [CI] | p | seeds | minutes (budget) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for index, result in enumerate(results, start=1):
        verdicts = result["verdicts"]
        effects = "; ".join(effect_text(v) for v in verdicts)
        pvalues = "; ".join("n/a" if v["p_value"] is None else f"{v['p_value']:.2g}" for v in verdicts)
        seeds = max((len(v["seeds"]) for v in verdicts), default=0)
        budget = f"{result['minutes']:.1f} ({result['budget_minutes']:g})" + (
            " **over budget**" if result["over_budget"] else ""
        )
        claim = result["claim"].replace("|", "\\|")
        lines.append(
            f"| {index} | {result['name']} | {claim} | **{result['outcome']}** | {effects} | {pvalues} | "
            f"{seeds}/{len(result['seeds'])} | {budget} |"
        )
    if not_run:
        lines += ["", f"Not run (over the --budget of the run): {', '.join(not_run)}."]
    lines += ["", "## Readings", ""]
    for result in results:
        readings = " ".join(f"{v['rule']}: {v['reading']}." for v in result["verdicts"])
        note = f" *Note:* {result['note']}" if result["note"] else ""
        lines.append(f"- **{result['name']}** ({result['outcome']}): {readings}{note}")
    path = Path(path)
    write_text_atomic(path, "\n".join(lines) + "\n")
    return path
