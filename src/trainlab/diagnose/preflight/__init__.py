"""Pre-flight: the canon's debugging checklist run on a recipe in seconds, before any training.

Each check is a registered class (kind ``preflight_check``) whose options are its thresholds;
``preflight(recipe)`` runs them in checklist order and returns a pass/warn/fail table with the fix
for each row.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from torch import nn

from trainlab.diagnose._threads import one_thread
from trainlab.diagnose.preflight import (  # noqa: F401  (registrations)
    batch_independence,
    controls,
    data_checks,
    duplicates,
    gradient,
    init_loss,
)
from trainlab.diagnose.preflight._base import (
    CheckResult,
    PreflightContext,
    PreflightReport,
    build_context,
)
from trainlab.recipe import Recipe
from trainlab.registry import PREFLIGHT_CHECKS

# The checklist's order: the data first, then the model at init, then short trainings.
CHECK_ORDER = (
    "data",
    "duplicates",
    "init_loss",
    "overfit_batch",
    "shuffled_labels",
    "zeroed_inputs",
    "batch_independence",
    "gradcheck",
)


def preflight(
    recipe: Recipe | Mapping[str, Any] | str | os.PathLike | None = None,
    *,
    checks: Sequence[str | Mapping[str, Any]] | None = None,
    model: nn.Module | None = None,
    data: Any = None,
    overrides: Sequence[str] = (),
    trust_code: bool = False,
    **fields: Any,
) -> PreflightReport:
    """Run the pre-flight checks on a recipe's data, model and loss; nothing is written.

    Args:
        recipe: A recipe file, mapping or :class:`Recipe` (or None with quick fields).
        checks: Check names, or ``{"name": ..., **thresholds}`` mappings, in any order; default all
            (``trainlab catalog preflight_checks`` lists them and their thresholds).
        model: A registered model name, or your own ``nn.Module`` instead of the recipe's model.
        data: A registered dataset name, or your own data (a DataBundle, Dataset or ``(x, y)``).
        overrides: ``["optimizer.lr=3e-3", ...]``, as ``--set``.
        trust_code: Consent to run the code a ``module:factory`` reference in the recipe names.
        **fields: Quick fields, as for :func:`trainlab.fit`.

    Returns:
        A :class:`PreflightReport`; ``report.passed`` is False when a check failed.

    Raises:
        TrainlabError: a mistake in the recipe or an unknown check name (a usage error).

    Example:
        >>> report = trainlab.diagnose.preflight("recipes/digits_mlp.yaml")
        >>> report.passed, report.rows()[0]
    """
    from trainlab.api import resolve_recipe
    from trainlab.references import trusting_code

    # A string is a registry name (the quick form), as in trainlab.fit; anything else is an object from Python.
    if isinstance(data, str):
        fields["data"], data = data, None
    if isinstance(model, str):
        fields["model"], model = model, None
    with trusting_code(trust_code), one_thread():
        resolved = resolve_recipe(
            recipe, overrides, python_model=model is not None, python_data=data is not None, **fields
        )
        selected = build_checks(checks)
        context = build_context(resolved, model=model, data=data)
        results: list[CheckResult] = []
        for check in selected:
            results.extend(check.run(context))
    return PreflightReport(results)


def build_checks(specs: Sequence[str | Mapping[str, Any]] | None) -> list[Any]:
    """The checks named in ``specs`` (every registered check when None), in checklist order.

    Raises:
        UnknownNameError: a name that is not a registered check.
        ConfigError: a threshold that is not one of the check's options.
    """
    if specs is None:
        specs = PREFLIGHT_CHECKS.names()
    built = []
    for index, spec in enumerate(specs):
        name, options = (
            (spec, {})
            if isinstance(spec, str)
            else (spec["name"], {k: v for k, v in spec.items() if k != "name"})
        )
        entry = PREFLIGHT_CHECKS.get(name, key=f"checks[{index}]")
        built.append((entry.name, entry.build(**options)))
    order = {name: position for position, name in enumerate(CHECK_ORDER)}
    built.sort(key=lambda pair: (order.get(pair[0], len(order)), pair[0]))
    return [check for _, check in built]


__all__ = [
    "CHECK_ORDER",
    "CheckResult",
    "PreflightContext",
    "PreflightReport",
    "build_checks",
    "build_context",
    "preflight",
]
