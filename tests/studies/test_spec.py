"""Bad studies: one message naming every problem and its key, exit code 2, nothing written."""

import json

import pytest
import yaml
from typer.testing import CliRunner

from trainlab.cli import app
from trainlab.errors import ConfigError
from trainlab.studies import load_study

PLAYGROUND = {
    "claim": "Momentum beats SGD on a ravine.",
    "source": "optimization",
    "playground": {"function": "quadratic", "lr": 0.015, "steps": 50},
    "arms": {"sgd": {"optimizer": "sgd"}, "momentum": {"optimizer": "momentum"}},
    "seeds": 3,
    "budget": 1,
    "measure": {"name": "playground_metric", "metric": "final_value"},
    "verdict": {"name": "better_by_delta", "better": "momentum", "worse": "sgd", "direction": "lower"},
}
RECIPE = {
    "claim": "Adam beats SGD.",
    "source": "optimization",
    "base": {"data": "iris", "model": {"name": "mlp", "width": 8}, "train": {"steps": 5}},
    "arms": {"adam": {"optimizer.name": "adam"}, "sgd": {"optimizer.name": "sgd"}},
    "seeds": 3,
    "budget": 1,
    "measure": {"name": "final_metric", "metric": "accuracy"},
    "verdict": {"name": "better_by_delta", "better": "adam", "worse": "sgd"},
}


def write(tmp_path, study, name="study"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(study, sort_keys=False))
    return path


def problems(tmp_path, study):
    with pytest.raises(ConfigError) as caught:
        load_study(write(tmp_path, study))
    return {p.key: p.message for p in caught.value.problems}


def test_a_good_study_loads_with_its_seeds_and_rules(tmp_path):
    study = load_study(write(tmp_path, PLAYGROUND, "ravine"))
    assert study.name == "ravine" and study.seed_list == [0, 1, 2]
    assert [name for name, _, _ in study.build_rules()] == ["better_by_delta"]


def test_unknown_measure_and_rule_name_the_closest(tmp_path):
    found = problems(
        tmp_path, {**RECIPE, "measure": {"name": "final_metrc"}, "verdict": {"name": "better_by_delt"}}
    )
    assert "did you mean 'final_metric'" in found["measure.name"]
    assert "did you mean 'better_by_delta'" in found["verdict.name"]


def test_arms_that_do_not_differ_are_named(tmp_path):
    arms = {"adam": {"optimizer.name": "adam"}, "also_adam": {"optimizer.name": "adam"}}
    found = problems(
        tmp_path, {**RECIPE, "arms": arms, "verdict": {**RECIPE["verdict"], "worse": "also_adam"}}
    )
    assert "same run as arm 'adam'" in found["arms.also_adam"]


def test_identical_playground_arms_are_named(tmp_path):
    arms = {"sgd": {"optimizer": "sgd"}, "momentum": {"optimizer": "sgd"}}
    assert "same run as arm 'sgd'" in problems(tmp_path, {**PLAYGROUND, "arms": arms})["arms.momentum"]


def test_a_rule_naming_arms_not_in_the_study(tmp_path):
    verdict = {"name": "better_by_delta", "better": "adamw", "worse": "sgd"}
    found = problems(tmp_path, {**RECIPE, "verdict": verdict})
    assert "arm 'adamw'" in found["verdict"] and "did you mean 'adam'" in found["verdict"]


def test_a_budget_too_small_for_one_run_gives_the_estimate(tmp_path):
    study = {**RECIPE, "budget": 1e-4, "base": {**RECIPE["base"], "train": {"steps": 2000}}}
    message = problems(tmp_path, study)["budget"]
    assert "less than one run" in message and "estimated at" in message and "raise it to at least" in message


def test_every_problem_is_reported_at_once(tmp_path):
    study = {
        **RECIPE,
        "arms": {"adam": {"optimizer.lr": -1}, "sgd": {"optimizer.name": "sgd"}},
        "measure": "nope",
    }
    found = problems(tmp_path, study)
    assert "arms.adam.optimizer.lr" in found and "measure.name" in found


def test_unknown_key_and_measure_kind_mismatch(tmp_path):
    found = problems(tmp_path, {**RECIPE, "clam": "x"})
    assert "did you mean 'claim'" in found["clam"]
    found = problems(tmp_path, {**RECIPE, "measure": {"name": "playground_metric"}})
    assert "playground" in found["measure.name"]


def test_k_beyond_the_seeds(tmp_path):
    verdict = {"name": "k_of_n", "arm": "adam", "k": 4, "threshold": 0.5}
    assert "more than the study's 3 seeds" in problems(tmp_path, {**RECIPE, "verdict": verdict})["verdict.k"]


@pytest.mark.parametrize(
    "change, key",
    [
        ({"measure": {"name": "final_metrc"}}, "final_metric"),
        ({"verdict": {"name": "better_by_delta", "better": "adamw", "worse": "sgd"}}, "adamw"),
        ({"arms": {"adam": {"optimizer.name": "adam"}, "sgd": {"optimizer.name": "adam"}}}, "arms.sgd"),
        ({"budget": 1e-5}, "budget"),
    ],
)
def test_cli_bad_study_exits_2_naming_the_problem_and_writes_nothing(tmp_path, change, key):
    path = write(tmp_path, {**RECIPE, **change}, "bad")
    out = tmp_path / "runs"
    result = CliRunner().invoke(app, ["study", "run", str(path), "--dir", str(out)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output and key in result.output
    assert not out.exists()


def test_cli_unknown_study_name_is_exit_2(tmp_path):
    (tmp_path / "momentum_ravine.yaml").write_text(yaml.safe_dump(PLAYGROUND))
    result = CliRunner().invoke(app, ["study", "run", "momentum_ravin", "--studies", str(tmp_path)])
    assert result.exit_code == 2 and "did you mean 'momentum_ravine'" in result.output


def test_cli_runs_a_playground_study_and_reports_it(tmp_path):
    studies = tmp_path / "studies"
    studies.mkdir()
    (studies / "ravine.yaml").write_text(yaml.safe_dump(PLAYGROUND))
    runs = tmp_path / "runs"
    result = CliRunner().invoke(
        app,
        [
            "study",
            "run",
            "--all",
            "--studies",
            str(studies),
            "--dir",
            str(runs),
            "--markdown",
            str(tmp_path / "S.md"),
        ],
    )
    assert result.exit_code == 0, result.output
    saved = json.loads((runs / "ravine" / "study.json").read_text())
    assert saved["outcome"] in ("supported", "not supported", "inconclusive")
    assert set(saved["tables"]["playground_metric(metric=final_value)"]["values"]) == {"sgd", "momentum"}
    card = (tmp_path / "S.md").read_text()
    assert "| 1 | ravine |" in card and "trainlab study run --all" in card
    # The machine is described as measured (cores, load when the run started), never a fixed phrase.
    from trainlab.cores import usable_cores

    assert f"({usable_cores()} usable core" in card and "load average" in card
    html = (runs / "report.html").read_text()
    # Every seed's value is in the report, not only the mean.
    for arm, by_seed in saved["tables"]["playground_metric(metric=final_value)"]["values"].items():
        assert len(by_seed) == 3, arm
    assert html.count("data:image/png;base64,") == 1 and "seed 2" in html
    listed = CliRunner().invoke(app, ["study", "list", "--studies", str(studies)])
    assert listed.exit_code == 0 and "ravine" in listed.output


@pytest.mark.slow
def test_every_shipped_study_is_valid_and_within_its_budget_estimate():
    from pathlib import Path

    from trainlab.studies.checks import estimated_minutes

    files = sorted((Path(__file__).parents[2] / "studies").glob("*.yaml"))
    assert len(files) >= 28
    for path in files:
        study = load_study(path)
        assert len(study.seed_list) >= 3, path.name
        assert estimated_minutes(study) <= study.budget * 4, path.name
