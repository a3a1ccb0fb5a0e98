"""trainlab tune end to end on a tiny recipe: samplers honoured, pruning, re-runs, best_recipe, no test split in selection."""

import csv
import importlib.util
import json
from pathlib import Path

import optuna
import pytest
import yaml

import trainlab
from trainlab.experiment.tune import TuneSettings, tune
from trainlab.experiment.tune.choices import build_pruner, build_sampler
from trainlab.experiment.tune.space import parse_space
from trainlab.experiment.tune.trial import run_trial
from trainlab.recipe import load_recipe

# Optuna's CMA-ES sampler needs the cmaes package (the tune extra, and dev); without it the sampler is refused.
NEEDS_CMAES = pytest.mark.skipif(importlib.util.find_spec("cmaes") is None, reason="needs the cmaes package")

RECIPE = {
    "data": {"name": "xor", "val_fraction": 0.25},
    "model": {"name": "mlp", "depth": 1, "width": 8},
    "optimizer": {"name": "adam", "lr": 0.01},
    "train": {"steps": 40, "batch_size": 32, "seed": 0, "threads": 1, "eval_every": 10},
}
SPACE = {"optimizer.lr": {"loguniform": [1e-3, 1e-1]}, "train.batch_size": {"categorical": [16, 32]}}


def write(path: Path, data) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def settings(tmp: Path, recipe=RECIPE, space=SPACE, **options) -> TuneSettings:
    return TuneSettings(
        recipe=write(tmp / "recipe.yaml", recipe),
        space=write(tmp / "space.yaml", space),
        out=tmp / "tune",
        **options,
    )


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tune")
    chosen = settings(tmp, trials=4, top_k=2, reruns=2, sampler="random", pruner="none")
    return chosen, tune(chosen, report=lambda line: None)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_the_random_sampler_draws_what_optunas_draws_with_the_same_seed(searched):
    chosen, _ = searched
    table = rows(chosen.out / "trials.csv")
    reference = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0), direction="maximize")
    space = parse_space(SPACE)
    for row in table:
        expected = space.suggest(reference.ask())
        assert float(row["optimizer.lr"]) == pytest.approx(expected["optimizer.lr"], rel=1e-12)
        assert int(row["train.batch_size"]) == expected["train.batch_size"]


def test_the_grid_sampler_tries_every_combination_once(tmp_path):
    space = {"train.batch_size": {"categorical": [16, 32]}, "train.steps": {"int": [10, 20], "step": 10}}
    chosen = settings(tmp_path, space=space, trials=4, top_k=1, reruns=0, sampler="grid", pruner="none")
    tune(chosen, report=lambda line: None)
    tried = {(int(r["train.batch_size"]), int(r["train.steps"])) for r in rows(chosen.out / "trials.csv")}
    assert tried == {(16, 10), (16, 20), (32, 10), (32, 20)}


def test_trials_and_reruns_never_see_the_test_split(searched):
    chosen, result = searched
    run_dirs = sorted((chosen.out / "trials").iterdir()) + sorted((chosen.out / "reruns").glob("*/*"))
    assert len(run_dirs) == 4 + 2 * 2
    for run_dir in run_dirs:
        summary = json.loads((run_dir / "summary.json").read_text())
        assert "val" in summary and "test" not in summary
        splits = {
            json.loads(line).get("split") for line in (run_dir / "metrics.jsonl").read_text().splitlines()
        }
        assert "test" not in splits
    assert "test" not in (chosen.out / "trials.csv").read_text().splitlines()[0]
    assert set(result.test) >= {"accuracy", "loss"}  # reported once, at the end


def test_the_winner_is_the_best_mean_over_fresh_seeds_of_the_top_k(searched):
    chosen, result = searched
    table = [r for r in rows(chosen.out / "trials.csv") if r["state"] == "complete"]
    top = sorted(table, key=lambda r: (-float(r["accuracy"]), int(r["number"])))[:2]
    assert [c.number for c in sorted(result.candidates, key=lambda c: c.number)] == sorted(
        int(r["number"]) for r in top
    )
    for candidate in result.candidates:
        scores = [
            json.loads((Path(d) / "summary.json").read_text())["val"]["accuracy"] for d in candidate.run_dirs
        ]
        assert candidate.seeds == [1000, 1001]
        assert candidate.score == pytest.approx(sum(scores) / len(scores))
    assert result.best.score == max(c.score for c in result.candidates)


def test_best_recipe_round_trips_through_fit(searched):
    chosen, result = searched
    recipe = load_recipe(result.best_recipe)
    assert recipe.optimizer.options["lr"] == pytest.approx(result.best.params["optimizer.lr"], rel=1e-12)
    assert recipe.train.batch_size == result.best.params["train.batch_size"]
    refit = trainlab.fit(result.best_recipe, overrides=["train.seed=1000"], save=False, verbose=0)
    rerun = json.loads((Path(result.best.run_dirs[0]) / "summary.json").read_text())
    assert refit.summary["val"]["accuracy"] == rerun["val"]["accuracy"]


def test_a_second_call_continues_the_study_to_the_new_total(searched):
    chosen, _ = searched
    chosen.trials = 5
    tune(chosen, report=lambda line: None)
    assert [int(r["number"]) for r in rows(chosen.out / "trials.csv")] == [0, 1, 2, 3, 4]


class _Judge:
    """An Optuna trial stand-in that records the reports and prunes at the first one."""

    number = 0

    def __init__(self):
        self.reports = []

    def report(self, value, step):
        self.reports.append((step, value))

    def should_prune(self):
        return True


def test_a_pruned_trial_stops_at_the_evaluation_that_pruned_it(tmp_path):
    judge = _Judge()
    outcome = run_trial(RECIPE, tmp_path / "run", ["accuracy"], trial=judge)
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert outcome.state == "pruned" and summary["run"]["steps"] == 10
    assert judge.reports == [(10, summary["val"]["accuracy"])]


def test_the_median_pruner_stops_a_trial_below_the_median(tmp_path):
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.MedianPruner(n_startup_trials=1))
    good = study.ask()
    for step in (10, 20, 30):
        good.report(1.0, step)
    study.tell(good, 1.0)
    bad = {**RECIPE, "optimizer": {"name": "sgd", "lr": 1e-9}}
    outcome = run_trial(bad, tmp_path / "run", ["accuracy"], trial=study.ask())
    assert outcome.state == "pruned" and outcome.reason == "pruned at step 10"


def test_several_objectives_give_a_pareto_front(tmp_path):
    chosen = settings(
        tmp_path, trials=4, top_k=1, reruns=0, sampler="random", objectives=["accuracy", "wall_time"]
    )
    result = tune(chosen, report=lambda line: None)
    table = [r for r in rows(chosen.out / "trials.csv") if r["state"] == "complete"]
    points = {int(r["number"]): (float(r["accuracy"]), float(r["wall_time"])) for r in table}

    def dominated(a):
        return any(b[0] >= a[0] and b[1] <= a[1] and b != a for b in points.values())

    assert sorted(result.pareto) == sorted(n for n, p in points.items() if not dominated(p))
    assert {int(r["number"]) for r in rows(chosen.out / "pareto.csv")} == set(result.pareto)


@pytest.mark.slow
def test_two_workers_share_one_study_and_run_the_reruns_too(tmp_path):
    chosen = settings(tmp_path, trials=4, top_k=2, reruns=1, sampler="random", pruner="none", workers=2)
    result = tune(chosen, report=lambda line: None)
    table = rows(chosen.out / "trials.csv")
    assert sorted(int(r["number"]) for r in table) == [0, 1, 2, 3]
    assert {r["state"] for r in table} == {"complete"}
    for candidate in result.candidates:
        assert len(candidate.run_dirs) == 1
        recipe = yaml.safe_load((Path(candidate.run_dirs[0]) / "recipe.yaml").read_text())
        assert recipe["train"]["threads"] == 1  # the recipe's own 1, kept


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("tpe", optuna.samplers.TPESampler),
        ("random", optuna.samplers.RandomSampler),
        ("grid", optuna.samplers.GridSampler),
        pytest.param("cmaes", optuna.samplers.CmaEsSampler, marks=NEEDS_CMAES),
    ],
)
def test_each_sampler_name_builds_optunas_sampler(name, expected):
    space = parse_space({"train.steps": {"int": [10, 20], "step": 10}})
    assert type(build_sampler(name, space, seed=0, objectives=1)) is expected


def test_each_pruner_name_builds_optunas_pruner():
    assert type(build_pruner("median")) is optuna.pruners.MedianPruner
    assert type(build_pruner("hyperband")) is optuna.pruners.HyperbandPruner
    assert type(build_pruner("none")) is optuna.pruners.NopPruner


@NEEDS_CMAES
def test_cmaes_proposes_the_numeric_values_of_the_search(tmp_path):
    chosen = settings(
        tmp_path, space={"optimizer.lr": SPACE["optimizer.lr"]}, trials=3, top_k=1, reruns=0, sampler="cmaes"
    )
    tune(chosen, report=lambda line: None)
    reference = optuna.create_study(direction="maximize", sampler=optuna.samplers.CmaEsSampler(seed=0))
    first = parse_space({"optimizer.lr": SPACE["optimizer.lr"]}).suggest(reference.ask())
    assert float(rows(chosen.out / "trials.csv")[0]["optimizer.lr"]) == pytest.approx(first["optimizer.lr"])
