"""trainlab ensemble: members, mean member, best member and the soft/hard ensemble on held-out data."""

import json

import numpy as np
import pytest
from scipy import stats

import trainlab
from trainlab.cli import main
from trainlab.report.ensemble import evaluate_ensemble, majority_vote

RECIPE = {
    "data": {"name": "iris"},
    "model": {"name": "mlp", "width": 16},
    "optimizer": {"name": "adam", "lr": 1e-2},
    "train": {"steps": 25, "batch_size": 16, "progress": False},
}


def fit(path, **train):
    trainlab.fit({**RECIPE, "train": {**RECIPE["train"], **train}, "out": str(path)})
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("ensemble")
    return [fit(root / f"seed-{seed}", seed=seed) for seed in range(3)]


def test_members_score_as_their_own_evaluation_did(runs):
    report = evaluate_ensemble(runs)
    for run, scores in zip(runs, report.members.values(), strict=True):
        summary = json.loads((run / "summary.json").read_text())["test"]
        assert scores["accuracy"] == pytest.approx(summary["accuracy"], abs=1e-6)
        assert scores["nll"] == pytest.approx(summary["loss"], rel=1e-4)  # cross-entropy is the NLL
    assert report.samples == 30 and report.split == "test"
    assert report.mean_member["accuracy"] == pytest.approx(
        np.mean([m["accuracy"] for m in report.members.values()])
    )
    best_label, best = report.best_member
    assert best["accuracy"] == max(m["accuracy"] for m in report.members.values())


def test_soft_vote_is_the_mean_of_the_members_probabilities(runs):
    from trainlab.build import build_data
    from trainlab.recipe import validate_recipe

    recipe = validate_recipe({**RECIPE, "data": {"name": "iris", "scaling": "none"}})
    raw = build_data(recipe).test
    inputs, labels = raw.tensors
    probabilities = np.mean([trainlab.load(run).predict_proba(inputs.numpy()) for run in runs], axis=0)
    report = evaluate_ensemble(runs, vote="soft")
    assert report.ensemble["accuracy"] == pytest.approx(np.mean(probabilities.argmax(1) == labels.numpy()))
    assert report.ensemble["nll"] == pytest.approx(
        -np.mean(np.log(probabilities[np.arange(30), labels.numpy()])), rel=1e-5
    )


def test_majority_vote_matches_scipy_mode_and_breaks_ties_by_probability():
    rng = np.random.default_rng(0)
    members = [rng.dirichlet(np.ones(4), size=200) for _ in range(5)]
    choices = np.stack([m.argmax(1) for m in members])
    mode = stats.mode(choices, axis=0, keepdims=False)
    counts = np.stack([(choices == k).sum(0) for k in range(4)])
    clear = np.sort(counts, axis=0)[-1] > np.sort(counts, axis=0)[-2]  # samples without a tie
    assert np.array_equal(majority_vote(members)[clear], mode.mode[clear])
    tie = [np.array([[0.6, 0.4, 0.0]]), np.array([[0.1, 0.9, 0.0]])]  # one vote each; mean 0.35 vs 0.65
    assert majority_vote(tie).tolist() == [1]


def test_cli_hard_vote(runs, capsys):
    assert main(["ensemble", *map(str, runs), "--vote", "hard"]) == 0
    out = capsys.readouterr().out
    assert "hard-vote ensemble on iris test" in out and "mean member" in out and "best member" in out


def test_cli_runs_of_different_classes(runs, tmp_path, capsys):
    other = tmp_path / "wine"
    trainlab.fit({**RECIPE, "data": {"name": "wine"}, "out": str(other)})
    assert main(["ensemble", str(runs[0]), str(other)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "same task, classes and input layout" in err


def test_cli_runs_split_differently(runs, tmp_path, capsys):
    other = fit(tmp_path / "resplit", seed=0)
    recipe = (other / "recipe.yaml").read_text().replace("split_seed: 0", "split_seed: 5")
    (other / "recipe.yaml").write_text(recipe)
    assert main(["ensemble", str(runs[0]), str(other)]) == 2
    assert "another split" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["--vote", "average"], "--vote 'average'"), (["--split", "train"], "--split 'train'")],
)
def test_cli_bad_options(runs, capsys, extra, message):
    assert main(["ensemble", str(runs[0]), str(runs[1]), *extra]) == 2
    assert message in capsys.readouterr().err


def test_cli_one_run_or_a_folder_that_is_not_a_run(runs, tmp_path, capsys):
    assert main(["ensemble", str(runs[0])]) == 2
    assert "two or more" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["ensemble", str(runs[0]), str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "empty" in err


def test_regression_runs_average_their_values_and_cannot_vote(tmp_path, capsys):
    recipe = {**RECIPE, "data": {"name": "regression"}}
    paths = [tmp_path / f"r{seed}" for seed in range(2)]
    for seed, path in enumerate(paths):
        trainlab.fit({**recipe, "train": {**RECIPE["train"], "seed": seed}, "out": str(path)})
    report = evaluate_ensemble(paths)
    assert report.primary == "mse" and not report.higher_is_better
    for path, scores in zip(paths, report.members.values(), strict=True):
        assert scores["mse"] == pytest.approx(
            json.loads((path / "summary.json").read_text())["test"]["mse"], rel=1e-4
        )
    assert main(["ensemble", *map(str, paths), "--vote", "hard"]) == 2
    assert "regressions" in capsys.readouterr().err
