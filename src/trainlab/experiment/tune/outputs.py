"""What ``trainlab tune`` writes: the re-run candidates, best_recipe.yaml, trials.csv, pareto.csv and tune.json."""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainlab._io import write_json_atomic, write_text_atomic

if TYPE_CHECKING:
    import optuna

    from trainlab.experiment.tune.space import SearchSpace
    from trainlab.experiment.tune.trial import TrialOutcome

BEST_RECIPE = "best_recipe.yaml"
TRIALS_TABLE = "trials.csv"
PARETO_TABLE = "pareto.csv"
SUMMARY = "tune.json"


@dataclass
class Candidate:
    """A top trial and its re-runs on fresh seeds.

    Attributes:
        number: The Optuna trial number.
        params: Its sampled values (dotted recipe keys).
        search_values: Its objective values in the search.
        seeds: The fresh seeds.
        rerun_values: The first objective of each re-run that completed.
        score: Their mean (the search value when there were no re-runs); None if none completed.
        spread: Their sample standard deviation (None below two values).
        run_dirs: The run directories the score comes from.
        reasons: Why re-runs diverged or failed.
    """

    number: int
    params: dict[str, Any]
    search_values: list[float]
    seeds: list[int]
    rerun_values: list[float]
    score: float | None
    spread: float | None
    run_dirs: list[str]
    reasons: list[str]

    @classmethod
    def from_outcomes(
        cls,
        number: int,
        params: dict[str, Any],
        search_values: list[float],
        seeds: list[int],
        outcomes: Sequence[TrialOutcome],
        trial_dir: str | None = None,
    ) -> Candidate:
        done = [o for o in outcomes if o.state == "complete"]
        values = [o.values[0] for o in done]
        if not outcomes:  # no re-runs asked for: the search's own score and run
            values, run_dirs = [search_values[0]], [trial_dir] if trial_dir else []
        else:
            run_dirs = [o.run_dir for o in done if o.run_dir]
        return cls(
            number=number,
            params=params,
            search_values=search_values,
            seeds=seeds,
            rerun_values=values if outcomes else [],
            score=statistics.fmean(values) if values else None,
            spread=statistics.stdev(values) if len(values) > 1 else None,
            run_dirs=run_dirs,
            reasons=[o.reason for o in outcomes if o.state != "complete" and o.reason],
        )

    def line(self, metric: str) -> str:
        """One line for the console: the search score against the re-runs' mean."""
        if not self.rerun_values:
            return f"trial {self.number}: {metric} {self.search_values[0]:.4g} (no re-runs)"
        spread = f" ± {self.spread:.3g}" if self.spread is not None else ""
        failed = f", {len(self.reasons)} diverged or failed" if self.reasons else ""
        score = f"{self.score:.4g}{spread}" if self.score is not None else "-"
        return (
            f"trial {self.number}: search {metric} {self.search_values[0]:.4g}; "
            f"re-run on seeds {self.seeds}: {score}{failed}"
        )


def write_best_recipe(
    out: Path, recipe: dict[str, Any], best: Candidate, test: dict[str, float], metric: str, command: str
) -> Path:
    """best_recipe.yaml: the recipe with the winner's values (validated, so ``trainlab fit`` takes it), and how
    it was found."""
    import yaml

    from trainlab.recipe import validate_recipe

    validate_recipe(recipe, source=BEST_RECIPE)
    header = [
        f"# Found by trainlab tune (trial {best.number}): {command}".rstrip(),
        f"# Chosen on validation {metric}: {_mean_text(best)}.",
        f"# Test (reported once, never used to choose): {_test_text(test, metric)}.",
        "# Values from the search: " + ", ".join(f"{k}={v!r}" for k, v in best.params.items()),
    ]
    path = out / BEST_RECIPE
    body = yaml.safe_dump(recipe, sort_keys=False, default_flow_style=None)
    write_text_atomic(path, "\n".join(header) + "\n" + body)
    return path


def _mean_text(best: Candidate) -> str:
    if not best.rerun_values:
        return f"{best.score:.4g} (search run)"
    spread = f" ± {best.spread:.3g}" if best.spread is not None else ""
    return f"{best.score:.4g}{spread} over {len(best.rerun_values)} fresh seeds {best.seeds}"


def _test_text(test: dict[str, float], metric: str) -> str:
    if not test:
        return "none"
    shown = metric if metric in test else "loss"
    return f"{shown} {test[shown]:.4g}"


def write_trials_table(
    out: Path, trials: Sequence[optuna.trial.FrozenTrial], space: SearchSpace, objectives: list[str]
) -> Path:
    """trials.csv: one row per trial with its state, objective values, sampled values, time and run directory."""
    from trainlab.experiment.tune.trial import REASON_ATTR, RUN_DIR_ATTR, STATE_ATTR

    keys = [p.key for p in space.params]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["number", "state", *objectives, *keys, "duration_s", "run_dir", "reason"])
    for trial in sorted(trials, key=lambda t: t.number):
        # A pruned trial carries its last intermediate value; only a complete one has objective values.
        values = list(trial.values) if trial.state.name == "COMPLETE" else [None] * len(objectives)
        params = space.decode(trial.params)
        duration = trial.duration.total_seconds() if trial.duration else None
        writer.writerow(
            [
                trial.number,
                trial.user_attrs.get(STATE_ATTR, trial.state.name.lower()),
                *values,
                *(_cell(params.get(k)) for k in keys),
                f"{duration:.1f}" if duration is not None else "",
                trial.user_attrs.get(RUN_DIR_ATTR) or "",
                (trial.user_attrs.get(REASON_ATTR) or "").splitlines()[0]
                if REASON_ATTR in trial.user_attrs
                else "",
            ]
        )
    path = out / TRIALS_TABLE
    write_text_atomic(path, buffer.getvalue())
    return path


def write_pareto(
    out: Path, front: Sequence[optuna.trial.FrozenTrial], space: SearchSpace, objectives: list[str]
) -> Path:
    """pareto.csv: the Pareto-optimal trials (no other trial is at least as good on every objective)."""
    keys = [p.key for p in space.params]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["number", *objectives, *keys])
    for trial in sorted(front, key=lambda t: t.values[0]):
        params = space.decode(trial.params)
        writer.writerow([trial.number, *trial.values, *(_cell(params.get(k)) for k in keys)])
    path = out / PARETO_TABLE
    write_text_atomic(path, buffer.getvalue())
    return path


def write_summary(
    out: Path, facts: dict[str, Any], candidates: list[Candidate], best: Candidate, test: dict[str, float]
) -> Path:
    """tune.json: the study's facts (storage, sampler, objectives, counts), the candidates, the winner, its test score."""
    path = out / SUMMARY
    write_json_atomic(
        path,
        {**facts, "candidates": [asdict(c) for c in candidates], "best": asdict(best), "test": test},
    )
    return path


def _cell(value: Any) -> Any:
    return value if isinstance(value, int | float | str | bool) or value is None else repr(value)
