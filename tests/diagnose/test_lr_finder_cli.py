"""``trainlab lr-find``: the report, the plot, --apply, --seeds, and one clear message for bad input."""

import json
import math

import pytest
import yaml

from trainlab.cli import main
from trainlab.diagnose.lr_finder import DEFAULT_RULE, lr_find
from trainlab.recipe import load_recipe

RECIPE = {
    "data": "moons",
    "model": {"name": "mlp", "width": 16},
    "optimizer": {"name": "momentum", "lr": 0.1},
    "schedule": "cosine",
    "train": {"steps": 50, "batch_size": 32},
}
QUICK = ["--steps", "30", "--start", "1e-4", "--end", "10"]


@pytest.fixture
def recipe(tmp_path):
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(RECIPE))
    return path


def test_lr_find_prints_each_rule_notes_the_schedule_and_applies_the_default(recipe, tmp_path, cli):
    out, applied = tmp_path / "curve.png", tmp_path / "tuned.yaml"
    code, output = cli("lr-find", recipe, *QUICK, "--out", out, "--apply", applied)
    assert code == 0, output
    for rule in ("steepest", "minimum/10", "valley", f"{DEFAULT_RULE} (recommended)"):
        assert rule in output
    assert "schedule 'cosine' is ignored" in output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    written = load_recipe(applied)
    # The same sweep from Python (same seed, same batches) gives the lr that was written.
    report = lr_find(recipe, steps=30, start=1e-4, end=10)
    assert written.optimizer.options["lr"] == pytest.approx(report.suggestions[DEFAULT_RULE], rel=1e-2)
    assert written.model.options == RECIPE["model"] | {"name": "mlp"} or written.model.options == {
        "width": 16
    }
    assert "epochs" not in applied.read_text()  # what the user wrote, not every default


def test_seeds_report_their_spread(recipe, cli):
    code, output = cli("lr-find", recipe, *QUICK, "--seeds", "3", "--json")
    assert code == 0, output
    # Strict JSON: a diverged step's loss is null, not NaN.
    report = json.loads(output, parse_constant=lambda name: pytest.fail(f"{name} in the JSON"))
    assert [sweep["seed"] for sweep in report["sweeps"]] == [0, 1, 2]
    for rule, spread in report["spread"].items():
        values = [sweep["suggestions"][rule] for sweep in report["sweeps"] if sweep["suggestions"][rule]]
        assert spread == pytest.approx(max(values) / min(values))
        geometric_mean = math.exp(sum(map(math.log, values)) / len(values))
        assert report["suggestions"][rule] == pytest.approx(geometric_mean)


def test_apply_never_replaces_a_file_without_force(recipe, tmp_path, cli, one_message):
    applied = tmp_path / "tuned.yaml"
    applied.write_text("mine\n")
    code, output = cli("lr-find", recipe, *QUICK, "--apply", applied)
    one_message(code, output, str(applied), "--force")
    assert applied.read_text() == "mine\n"
    code, output = cli("lr-find", recipe, *QUICK, "--apply", applied, "--force")
    assert code == 0, output
    assert load_recipe(applied).optimizer.options["lr"] > 0


@pytest.mark.parametrize("optimizer", ["lbfgs", "sam", "newton"])
def test_a_closure_optimizer_is_refused(tmp_path, optimizer, cli, one_message):
    recipe, applied, out = tmp_path / "recipe.yaml", tmp_path / "tuned.yaml", tmp_path / "curve.png"
    recipe.write_text(yaml.safe_dump({**RECIPE, "optimizer": optimizer}))
    code, output = cli("lr-find", recipe, "--apply", applied, "--out", out)
    one_message(code, output, "optimizer.name", optimizer, "closure")
    assert not applied.exists() and not out.exists()


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--start", "0"], "--start"),
        (["--start", "-1e-3"], "--start"),
        (["--start", "nan"], "--start"),
        (["--start", "1e-2", "--end", "1e-3"], "--end"),
        (["--end", "inf"], "--end"),
        (["--steps", "2"], "--steps"),
        (["--seeds", "0"], "--seeds"),
        (["--rule", "median"], "--rule"),
        (["--out", "curve.txt"], "--out"),
        (["--apply", "tuned.json"], "--apply"),
        (["--set", "model.name=mlpp"], "model.name"),
        (["--set", "optimizer.lr=-1"], "optimizer.lr"),
    ],
)
def test_bad_arguments_are_one_message(recipe, tmp_path, monkeypatch, args, named, cli, one_message):
    monkeypatch.chdir(tmp_path)
    code, output = cli("lr-find", recipe, *args)
    one_message(code, output, named)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recipe.yaml"]


def test_a_missing_or_broken_recipe_is_one_message(tmp_path, cli, one_message):
    code, output = cli("lr-find", tmp_path / "nope.yaml")
    one_message(code, output, "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("data: moons\nmodel: [unclosed\n")
    code, output = cli("lr-find", broken)
    one_message(code, output, "broken.yaml")


def _files(folder):
    return {path.relative_to(folder): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_a_run_directory_gets_the_curve_in_its_diagnostics_and_nothing_else_changes(recipe, tmp_path, cli):
    run = tmp_path / "run"
    assert main(["fit", str(recipe), "--steps", "3", "--out", str(run), "--quiet"]) == 0
    before = _files(run)
    code, output = cli("lr-find", run, *QUICK)
    assert code == 0, output
    figure = run / "diagnostics" / "lr_finder.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    after = _files(run)
    assert after.pop(figure.relative_to(run)) and after == before


def test_a_folder_that_is_not_a_run_is_one_message(tmp_path, cli, one_message):
    folder = tmp_path / "not_a_run"
    folder.mkdir()
    code, output = cli("lr-find", folder)
    one_message(code, output, str(folder), "recipe.yaml")
    assert list(folder.iterdir()) == []
