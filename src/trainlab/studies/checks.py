"""Everything wrong with a study, found before any run: names, options, arms, rules and budget."""

from __future__ import annotations

from typing import Any

from trainlab.errors import ConfigError, Problem, TrainlabError, did_you_mean
from trainlab.recipe import Component
from trainlab.registry import Registry
from trainlab.studies.registries import MEASURES, VERDICT_RULES
from trainlab.studies.spec import PlaygroundSettings, Study


def study_problems(study: Study) -> list[Problem]:
    """Every problem of a structurally valid study; the budget is checked once the rest is sound."""
    problems: list[Problem] = []
    if (study.base is None) == (study.playground is None):
        problems.append(
            Problem("base", "give `base` (a recipe) or `playground` (a 2-D function), one of them")
        )
        return problems
    problems += _measure_problems(study, study.measure, "measure")
    for index, (rule, measure) in enumerate(study.rule_specs()):
        key = "verdict" if not isinstance(study.verdict, list) else f"verdict[{index}]"
        if measure is not study.measure:
            problems += _measure_problems(study, measure, f"{key}.measure")
        found = _component_problems(rule.name, rule.options, VERDICT_RULES, key)
        problems += found or _rule_arm_problems(study, rule.name, rule.options, key)
    arm_problems, resolved = _arms(study)
    problems += arm_problems
    problems += _identical_arms(resolved)
    if not problems:
        problems += _budget_problems(study, resolved)
    return problems


def _measure_problems(study: Study, measure: Component, key: str) -> list[Problem]:
    problems = _component_problems(measure.name, measure.options, MEASURES, key)
    if not problems:
        playground_measure = bool(MEASURES.get(measure.name).flags.get("playground"))
        if playground_measure != (study.playground is not None):
            needs = "a `playground:` study" if playground_measure else "a study with a `base:` recipe"
            problems.append(Problem(f"{key}.name", f"'{measure.name}' measures {needs}"))
    return problems


def _component_problems(name: str, options: dict[str, Any], registry: Registry, key: str) -> list[Problem]:
    if name not in registry:
        return [Problem(f"{key}.name", registry.unknown_name_message(name))]
    entry = registry.get(name)
    _, problems = entry.check_kwargs(options, key=key)
    if problems:
        return problems
    try:
        entry.build(**options)
    except (ValueError, TypeError) as exc:
        return [Problem(key, str(exc))]
    return []


def _rule_arm_problems(study: Study, name: str, options: dict[str, Any], key: str) -> list[Problem]:
    rule = VERDICT_RULES.get(name).build(**options)
    problems = []
    for arm in rule.arms_used():
        if arm not in study.arms:
            problems.append(
                Problem(
                    key,
                    f"names arm '{arm}', which the study does not have{did_you_mean(arm, study.arms)}; "
                    f"arms: {', '.join(study.arms)}",
                )
            )
    k = options.get("k")
    if isinstance(k, int) and k > len(study.seed_list):
        problems.append(Problem(f"{key}.k", f"{k} is more than the study's {len(study.seed_list)} seeds"))
    return problems


def _arms(study: Study) -> tuple[list[Problem], dict[str, Any]]:
    """Each arm resolved (a recipe at the first seed, or playground settings), and the problems found."""
    if study.playground is not None:
        return _playground_arms(study)
    try:
        cells = study.experiment_spec().runs()
    except ConfigError as exc:
        return [_renamed(p) for p in exc.problems], {}
    except TrainlabError as exc:
        return [Problem("base", str(exc))], {}
    first_seed = study.seed_list[0]
    return [], {cell.variant: cell.recipe for cell in cells if cell.seed == first_seed}


def _playground_arms(study: Study) -> tuple[list[Problem], dict[str, Any]]:
    import pydantic

    from trainlab.playground import FUNCTIONS
    from trainlab.registry import OPTIMIZERS

    problems, resolved = [], {}
    for arm in study.arms:
        try:
            settings = study.playground_arm(arm)
        except pydantic.ValidationError as exc:
            problems += [
                Problem(f"arms.{arm}.{'.'.join(str(p) for p in e['loc'])}", e["msg"]) for e in exc.errors()
            ]
            continue
        if settings.function not in FUNCTIONS:
            hint = did_you_mean(settings.function, FUNCTIONS) or "; choose from " + ", ".join(FUNCTIONS)
            problems.append(
                Problem(f"arms.{arm}.function", f"'{settings.function}' is not a playground function{hint}")
            )
        if settings.optimizer not in OPTIMIZERS:
            problems.append(
                Problem(f"arms.{arm}.optimizer", OPTIMIZERS.unknown_name_message(settings.optimizer))
            )
        resolved[arm] = settings
    return problems, resolved


def _renamed(problem: Problem) -> Problem:
    """The experiments spec's ``variants.<arm>...`` key as the study's ``arms.<arm>...``."""
    key = problem.key
    return Problem("arms" + key[len("variants") :] if key.startswith("variants") else key, problem.message)


def _identical_arms(resolved: dict[str, Any]) -> list[Problem]:
    seen: dict[str, str] = {}
    problems = []
    for arm, settings in resolved.items():
        fingerprint = _fingerprint(settings)
        if fingerprint in seen:
            problems.append(
                Problem(
                    f"arms.{arm}",
                    f"makes the same run as arm '{seen[fingerprint]}'; arms must differ in at least one key",
                )
            )
        else:
            seen[fingerprint] = arm
    return problems


def _fingerprint(settings: Any) -> str:
    import json

    data = (
        settings.model_dump(mode="json") if isinstance(settings, PlaygroundSettings) else settings.to_dict()
    )
    if isinstance(data, dict):
        data.pop("name", None)  # the run name does not change what is trained
    return json.dumps(data, sort_keys=True, default=str)


def _budget_problems(study: Study, resolved: dict[str, Any]) -> list[Problem]:
    from trainlab.studies.estimate import estimate_run_seconds

    estimates = {arm: estimate_run_seconds(settings) for arm, settings in resolved.items()}
    smallest = min(estimates.values())
    if study.budget * 60.0 < smallest:
        cheapest = min(estimates, key=lambda arm: estimates[arm])
        return [
            Problem(
                "budget",
                f"{study.budget:g} CPU-minutes is less than one run (arm '{cheapest}' is estimated at "
                f"{smallest / 60:.2g} minutes); raise it to at least {_total_minutes(study, estimates):.2g} "
                "for every arm and seed",
            )
        ]
    return []


def _total_minutes(study: Study, estimates: dict[str, float]) -> float:
    return sum(estimates.values()) * len(study.seed_list) / 60.0


def estimated_minutes(study: Study) -> float:
    """The study's estimated CPU-minutes: every arm at every seed."""
    from trainlab.studies.estimate import estimate_run_seconds

    _, resolved = _arms(study)
    return _total_minutes(study, {arm: estimate_run_seconds(settings) for arm, settings in resolved.items()})
