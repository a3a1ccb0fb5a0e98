"""A diagnosis for a person: one table of findings, then each finding's cause and fix, or the healthy verdict."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from trainlab.diagnose.doctor import Diagnosis
from trainlab.summary_tables import short_number

SEVERITY_STYLE = {"error": "bold red", "warn": "yellow", "info": "cyan"}


def print_diagnosis(diagnosis: Diagnosis, console: Console) -> None:
    """The findings table, each finding's cause, fix and reference, what was not checked, and the verdict."""
    if diagnosis.findings:
        table = Table(title="diagnosis" + (f": {diagnosis.run_dir}" if diagnosis.run_dir else ""))
        for column in ("severity", "finding", "steps", "evidence (measured vs threshold)", "fix"):
            table.add_column(column, overflow="fold")
        for finding in diagnosis.findings:
            style = SEVERITY_STYLE[finding.severity]
            table.add_row(
                f"[{style}]{finding.severity}[/]",
                escape(finding.id),
                f"{finding.steps[0]}-{finding.steps[1]}" if finding.steps else "",
                escape("\n".join(str(e) for e in finding.evidence)),
                escape(finding.fix_command()),
            )
        console.print(table)
        for finding in diagnosis.findings:
            style = SEVERITY_STYLE[finding.severity]
            where = f" (layers: {', '.join(finding.layers[:3])})" if finding.layers else ""
            console.print(f"[{style}]{finding.id}[/]: {escape(finding.title + where)}", highlight=False)
            console.print(f"  why: {escape(finding.cause)}", highlight=False)
            console.print(f"  fix: {escape(finding.remedy)}", highlight=False)
            if finding.fix:
                recipe = f"{diagnosis.run_dir}/recipe.yaml" if diagnosis.run_dir else "RECIPE"
                console.print(
                    f"  try: trainlab fit {escape(recipe)} {escape(finding.fix_command())}", highlight=False
                )
            console.print(f"  see: {escape(finding.reference)}", highlight=False)
            for name, values in finding.details.items():
                if isinstance(values, dict) and name in (
                    "std_per_layer",
                    "dead_fraction",
                    "saturated_fraction",
                ):
                    shown = ", ".join(f"{layer} {short_number(v)}" for layer, v in values.items())
                    console.print(f"  {name.replace('_', ' ')}: {escape(shown)}", highlight=False)
    if diagnosis.healthy:
        measured = ", ".join(
            f"{key.replace('_', ' ')} {short_number(value)}"
            for key, value in diagnosis.measurements.items()
            if isinstance(value, (int, float))
        )
        console.print(f"[bold green]healthy:[/] no warnings or errors. {escape(measured)}", highlight=False)
    if diagnosis.not_checked:
        console.print("not checked:", highlight=False)
        for name, why in diagnosis.not_checked.items():
            console.print(f"  {name}: {escape(why)}", highlight=False)
