"""The report's jinja2 templates (shipped as package data) and the filters they format numbers with."""

from __future__ import annotations

import math
from typing import Any

import jinja2

from trainlab.experiment.statistics import format_pvalue

TEMPLATES = "templates"
BASE_TEMPLATE = "base.html.j2"
MACROS = "macros.html.j2"


def format_number(value: Any) -> str:
    """Four significant digits; NaN and infinities in words a reader understands; non-numbers as they are."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.4g}"


def environment() -> jinja2.Environment:
    """The environment that loads trainlab's templates; extend ``base.html.j2`` and import ``macros.html.j2``
    (figure, facts, metrics_table, per_class_table, findings_list) to build another report page."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("trainlab.report", TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["num"] = format_number
    env.filters["pvalue"] = lambda p: format_pvalue(p).removeprefix("p = ").removeprefix("p ")
    return env


def render(template: str, **context: Any) -> str:
    """``template`` (a file name under trainlab/report/templates) rendered with ``context``."""
    return environment().get_template(template).render(**context)
