"""``trainlab tune``: an Optuna study over a recipe's keys, re-runs of the best trials on fresh seeds, best_recipe.yaml.

The flow, top to bottom:

1. read the recipe (with ``--set``) and the space; check every space key against the recipe, the
   objectives against the recipe's metrics, the storage URL, before any training;
2. run trials until the study holds ``trials`` of them (a second call with the same ``--out`` and
   storage continues the study): each trial is an ordinary run directory under ``trials/``, scored
   on the validation split (the test split is taken out of every trial run);
3. re-run the ``top_k`` best trials on ``reruns`` fresh seeds (the winner's curse: the best of many
   noisy scores is biased upwards), and choose the best on their mean validation score;
4. write ``best_recipe.yaml`` (a complete recipe for ``trainlab fit``), ``trials.csv``,
   ``pareto.csv`` (several objectives) and ``tune.json``; evaluate the winner's re-runs on the test
   split, once, and report that score.
"""

from __future__ import annotations

import shutil
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainlab.errors import TrainlabError
from trainlab.experiment.storage import shown_url
from trainlab.experiment.tune.outputs import (
    BEST_RECIPE,
    Candidate,
    write_best_recipe,
    write_pareto,
    write_summary,
    write_trials_table,
)
from trainlab.experiment.tune.space import apply_params, check_against_recipe, load_space
from trainlab.experiment.tune.study import STUDY_PREFIX, SearchPlan, open_study, run_search, trial_recipe
from trainlab.experiment.tune.trial import REASON_ATTR, RUN_DIR_ATTR, STATE_ATTR, TrialOutcome, run_trial

if TYPE_CHECKING:
    import optuna

    from trainlab.experiment.tune.choices import Direction

# Fresh seeds of the re-runs start here, far from the seeds a recipe is usually searched with.
RERUN_SEED_OFFSET = 1000


@dataclass
class TuneSettings:
    """Everything ``trainlab tune`` is asked to do.

    Attributes:
        recipe: The recipe file.
        space: The space file.
        out: The tune directory (trials/, reruns/, best_recipe.yaml, trials.csv, tune.json, optuna.db).
        trials: Trials the study holds when the search ends (earlier calls' trials count).
        workers: Processes running trials at once (torch threads split so workers x threads <= cores).
        storage: An RDB URL; None: SQLite in ``out``.
        sampler: tpe, random, grid or cmaes.
        pruner: median, hyperband or none (several objectives: none).
        objectives: Validation metrics or wall_time/parameters; None: the recipe's monitored metric.
        top_k: Best trials re-run on fresh seeds.
        reruns: Fresh seeds per re-run trial (0: choose on the search score alone).
        overrides: ``--set`` keys on the recipe.
        study: Study name; None: from the recipe's name.
        seed: Seed of the sampler.
        command: The command line, for best_recipe.yaml's header.
    """

    recipe: Path
    space: Path
    out: Path
    trials: int = 20
    workers: int = 1
    storage: str | None = None
    sampler: str = "tpe"
    pruner: str = "median"
    objectives: list[str] | None = None
    top_k: int = 3
    reruns: int = 3
    overrides: list[str] = field(default_factory=list)
    study: str | None = None
    seed: int = 0
    command: str = ""


@dataclass
class TuneResult:
    """What a search found.

    Attributes:
        best: The chosen trial, with its re-run scores.
        candidates: The re-run trials, best first.
        test: The winner's mean test metrics over its re-runs (reported once, never used to choose).
        pareto: Numbers of the Pareto-optimal trials (several objectives).
        counts: Trials by state.
        out: The tune directory.
    """

    best: Candidate
    candidates: list[Candidate]
    test: dict[str, float]
    pareto: list[int]
    counts: dict[str, int]
    out: Path

    @property
    def best_recipe(self) -> Path:
        return self.out / BEST_RECIPE


def tune(settings: TuneSettings, report: Callable[[str], None] = print) -> TuneResult:
    """Search, re-run the best on fresh seeds, write best_recipe.yaml; see the module docstring.

    Raises:
        TrainlabError: bad input (recipe, space, objectives, storage), or no trial that completed
            (every trial diverged, say), in one message.
    """
    plan = _plan(settings)
    study = open_study(plan)
    run_search(plan, settings.workers, report)
    trials = study.get_trials(deepcopy=False)
    counts = _counts(trials)
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    if not complete:
        raise TrainlabError(_nothing_completed(trials, counts))
    pareto = [t.number for t in study.best_trials] if len(plan.objectives) > 1 else []
    ranked = _ranked(complete, plan, pareto)
    candidates = _rerun(plan, ranked[: settings.top_k], settings.reruns, settings.workers, report)
    scored = [c for c in candidates if c.score is not None]
    if not scored:
        raise TrainlabError(
            f"every re-run of the top {len(candidates)} trials on fresh seeds diverged or failed "
            f"({candidates[0].reasons[0] if candidates[0].reasons else 'no reason recorded'}); "
            "narrow the space towards stabler values"
        )
    sign = 1.0 if plan.directions[0] == "maximize" else -1.0
    scored.sort(key=lambda c: sign * (c.score or 0.0), reverse=True)  # every score is set: filtered above
    best = scored[0]
    test = _test_once(best)
    write_trials_table(plan.out, trials, plan.space, plan.objectives)
    if pareto:
        write_pareto(plan.out, [t for t in trials if t.number in pareto], plan.space, plan.objectives)
    write_best_recipe(
        plan.out,
        apply_params(_without_out(plan.raw), best.params),
        best,
        test,
        plan.objectives[0],
        settings.command,
    )
    result = TuneResult(best=best, candidates=scored, test=test, pareto=pareto, counts=counts, out=plan.out)
    write_summary(
        plan.out,
        {
            "study": plan.study_name,
            "storage": shown_url(plan.storage_url),
            "sampler": plan.sampler,
            "pruner": plan.pruner,
            "objectives": dict(zip(plan.objectives, plan.directions, strict=True)),
            "trials": counts,
            "pareto": pareto,
            "best_recipe": str(result.best_recipe),
        },
        result.candidates,
        result.best,
        test,
    )
    return result


# -- 1. checking the inputs ------------------------------------------------------------------------


def _plan(settings: TuneSettings) -> SearchPlan:
    from trainlab.experiment.storage import default_storage_url
    from trainlab.experiment.tune.choices import PRUNERS, SAMPLERS, build_sampler, check_name
    from trainlab.overrides import apply_overrides
    from trainlab.recipe import validate_recipe
    from trainlab.recipe_yaml import read_recipe_file

    if settings.trials < 1 or settings.workers < 1 or settings.top_k < 1 or settings.reruns < 0:
        raise TrainlabError("--trials, --workers and --top-k must be 1 or more, and --reruns 0 or more")
    check_name("--sampler", settings.sampler, SAMPLERS)
    check_name("--pruner", settings.pruner, PRUNERS)
    if not settings.recipe.is_file():
        raise TrainlabError(f"recipe '{settings.recipe}' does not exist; pass a recipe YAML file")
    raw = apply_overrides(read_recipe_file(settings.recipe), settings.overrides)
    source = str(settings.recipe)
    recipe = validate_recipe(raw, source=source)
    if recipe.data.val_fraction == 0:
        raise TrainlabError(
            f"{source}: data.val_fraction is 0, and tune selects on the validation split only (never on test); "
            "add --set data.val_fraction=0.1"
        )
    # Trials evaluate validation, never test, at eval_every (the pruners' intermediate values).
    raw.setdefault("train", {})["eval_on"] = "val"
    space = load_space(settings.space)
    check_against_recipe(space, raw, source)
    objectives, directions = _objectives(recipe, settings.objectives)
    pruner = settings.pruner
    if len(objectives) > 1 and pruner != "none":
        pruner = "none"  # Optuna prunes single-objective studies only
    build_sampler(settings.sampler, space, seed=settings.seed, objectives=len(objectives))  # refuse early
    out = settings.out
    if settings.storage:  # an unreachable server is refused before anything is written
        from trainlab.experiment.storage import open_storage

        open_storage(settings.storage)
    _check_out(out)
    threads = None
    if settings.workers > 1 and recipe.train.threads == "auto":
        # As the worker pool sets them: `auto` inside a worker would count the other workers' load.
        from trainlab.experiment.workers import split_threads

        threads = split_threads(settings.workers)
    return SearchPlan(
        raw=raw,
        space=space,
        objectives=objectives,
        directions=directions,
        storage_url=settings.storage or default_storage_url(out),
        study_name=STUDY_PREFIX + (settings.study or recipe.run_name),
        out=out,
        sampler=settings.sampler,
        pruner=pruner,
        seed=settings.seed,
        trials=settings.trials,
        threads=threads,
    )


def _objectives(recipe: Any, asked: list[str] | None) -> tuple[list[str], list[Direction]]:
    """The objectives (default: the metric a run of this recipe monitors) and their directions."""
    from trainlab import build
    from trainlab.experiment.tune.choices import objective_direction

    metrics = build.build_metrics(recipe, build.build_data(recipe))
    objectives = asked or [build.monitor_metric(metrics)]
    if len(set(objectives)) != len(objectives):
        raise TrainlabError(f"--objective lists a name twice ({', '.join(objectives)}); give each once")
    return objectives, [objective_direction(name, ["loss", *metrics]) for name in objectives]


def _check_out(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise TrainlabError(f"--out '{out}' is a file; choose a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TrainlabError(
            f"--out '{out}': cannot create it ({exc.strerror}); choose another --out"
        ) from None


# -- 3. the winner's curse -------------------------------------------------------------------------


def _ranked(
    complete: list[optuna.trial.FrozenTrial], plan: SearchPlan, pareto: list[int]
) -> list[optuna.trial.FrozenTrial]:
    """Complete trials best first by the first objective (the Pareto front's only, with several)."""
    pool = [t for t in complete if t.number in pareto] if pareto else complete
    maximize = plan.directions[0] == "maximize"
    return sorted(pool, key=lambda t: (-t.values[0] if maximize else t.values[0], t.number))


def _rerun(
    plan: SearchPlan,
    trials: list[optuna.trial.FrozenTrial],
    reruns: int,
    workers: int,
    report: Callable[[str], None],
) -> list[Candidate]:
    """Each trial trained again on ``reruns`` fresh seeds (kept where a previous call already ran them),
    in ``workers`` processes; the same seeds for every trial, so that their means compare paired."""
    from trainlab.experiment.tune.trial import read_outcome

    base_seed = int(plan.raw.get("train", {}).get("seed", 0))
    seeds = [base_seed + RERUN_SEED_OFFSET + i for i in range(reruns)]
    outcomes: dict[tuple[int, int], TrialOutcome] = {}
    jobs = []
    for trial in trials:
        params = plan.space.decode(trial.params)
        for seed in seeds:
            out = plan.out / "reruns" / f"trial-{trial.number:04d}" / f"seed-{seed}"
            done = read_outcome(out, plan.objectives)
            if done is not None:
                outcomes[trial.number, seed] = done
                continue
            if out.exists():  # a re-run an earlier call left unfinished: train it again from the start
                shutil.rmtree(out)
            jobs.append(
                ((trial.number, seed), (trial_recipe(plan, params, seed=seed), out, plan.objectives, params))
            )
    outcomes.update(zip([key for key, _ in jobs], _run_all([args for _, args in jobs], workers), strict=True))
    candidates = []
    for trial in trials:
        candidate = Candidate.from_outcomes(
            trial.number,
            plan.space.decode(trial.params),
            list(trial.values),
            seeds,
            [outcomes[trial.number, seed] for seed in seeds],
            trial_dir=trial.user_attrs.get(RUN_DIR_ATTR),
        )
        report(candidate.line(plan.objectives[0]))
        candidates.append(candidate)
    return candidates


def _run_all(jobs: list[tuple[Any, ...]], workers: int) -> list[TrialOutcome]:
    """``run_trial(recipe, out, objectives, params=...)`` for each job, in this process or in a worker pool."""
    if workers == 1 or len(jobs) <= 1:
        return [run_trial(recipe, out, objectives, params=params) for recipe, out, objectives, params in jobs]
    from trainlab.experiment.warm_up import start_training_workers

    with start_training_workers(min(workers, len(jobs))) as pool:
        futures = [
            pool.submit(run_trial, recipe, out, objectives, params=params)
            for recipe, out, objectives, params in jobs
        ]
        return [future.result() for future in futures]


# -- 4. the test split, once -----------------------------------------------------------------------


def _test_once(best: Candidate) -> dict[str, float]:
    """The winner's test metrics, mean over its run directories (its re-runs, else the trial's)."""
    import trainlab

    scores: dict[str, list[float]] = {}
    for run_dir in best.run_dirs:
        for name, value in trainlab.evaluate(run_dir, splits=("test",))["test"].items():
            if isinstance(value, int | float):
                scores.setdefault(name, []).append(float(value))
    return {name: statistics.fmean(values) for name, values in scores.items()}


# -- helpers ---------------------------------------------------------------------------------------


def _counts(trials: Sequence[optuna.trial.FrozenTrial]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for trial in trials:
        state = trial.user_attrs.get(STATE_ATTR, trial.state.name.lower())
        counts[state] = counts.get(state, 0) + 1
    return counts


def _nothing_completed(trials: Sequence[optuna.trial.FrozenTrial], counts: dict[str, int]) -> str:
    total = len(trials)
    first = next(
        (t.user_attrs[REASON_ATTR] for t in trials if REASON_ATTR in t.user_attrs), "no reason recorded"
    )
    first = first.splitlines()[0]
    if counts.get("diverged", 0) == total:
        return (
            f"every one of the {total} trials diverged (first: {first}); "
            "lower the space's learning rates or add train.grad_clip_norm, then tune again"
        )
    summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
    return f"no trial completed ({summary}; first: {first}); fix the recipe or the space and tune again"


def _without_out(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in raw.items() if key != "out"}
