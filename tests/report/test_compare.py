"""trainlab compare: recipe differences and final metrics of runs side by side."""

import json

import yaml

from report.run_dirs import make_run
from trainlab.cli import main
from trainlab.overrides import flatten
from trainlab.report.compare import compare_runs, run_labels


def two_runs(tmp_path):
    a = make_run(tmp_path / "a" / "run", accuracy=0.7)
    b = make_run(tmp_path / "b" / "run", accuracy=0.9, seed=3)
    recipe = yaml.safe_load((b / "recipe.yaml").read_text())
    recipe["optimizer"] = {"name": "sgd", "lr": 0.1}
    recipe["metrics"] = [{"name": "accuracy"}, {"name": "f1", "average": "macro"}]
    (b / "recipe.yaml").write_text(yaml.safe_dump(recipe))
    return a, b


def test_recipe_differences_are_exactly_the_keys_that_differ(tmp_path):
    a, b = two_runs(tmp_path)
    comparison = compare_runs([a, b])
    first, second = (flatten(yaml.safe_load((p / "recipe.yaml").read_text())) for p in (a, b))
    differing = {k for k in first.keys() | second.keys() if first.get(k) != second.get(k)} - {"name", "out"}
    rows = {row.key: row.values for row in comparison.sections["recipe differences"]}
    assert set(rows) == differing
    assert rows["train.seed"] == ["0", "3"] and rows["optimizer.name"] == ["-", "sgd"]
    assert rows["metrics"] == ["-", "accuracy, f1(average=macro)"]


def test_the_best_final_metric_is_marked(tmp_path):
    a, b = two_runs(tmp_path)
    metrics = {row.key: row for row in compare_runs([a, b]).sections["final metrics"]}
    summary = json.loads((b / "summary.json").read_text())
    assert metrics["test.accuracy"].values == ["0.7", f"{summary['test']['accuracy']:.4g}"]
    assert metrics["test.accuracy"].best == {1}
    assert metrics["test.loss"].best == {1}  # lower is better: 0.1 < 0.3


def test_run_labels_use_as_many_folders_as_it_takes(tmp_path):
    paths = [tmp_path / "x" / "seed-0", tmp_path / "y" / "seed-0", tmp_path / "y" / "seed-1"]
    assert run_labels(paths) == ["x/seed-0", "y/seed-0", "y/seed-1"]


def test_compare_cli(tmp_path, capsys):
    a, b = two_runs(tmp_path)
    assert main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    for text in ("a/run", "b/run", "optimizer.name", "test.accuracy", "recipe differences"):
        assert text in out


def test_compare_cli_not_a_run(tmp_path, capsys):
    a, _ = two_runs(tmp_path)
    (tmp_path / "empty").mkdir()
    assert main(["compare", str(a), str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "empty' is not a run directory" in err
