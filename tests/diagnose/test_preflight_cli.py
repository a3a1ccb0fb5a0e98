"""``trainlab preflight``, ``trainlab gradcheck`` and ``fit --preflight``: exit 0 on a pass, 1 on a failed
check, 2 on a usage error (one message, no traceback, nothing written)."""

import json

import pytest

from trainlab.cli import main

# xor: synthetic, built without scikit-learn, in well under a second.
HEALTHY = (
    "name: xor-check\ndata: xor\nmodel: {name: mlp, width: 16, depth: 1}\ntrain: {steps: 5, batch_size: 32}\n"
)
# Weights drawn with std 10: logits in the tens at init, so the initial loss is far above ln 2.
HOT_INIT = HEALTHY + "init: {name: normal, std: 10.0}\n"


@pytest.fixture
def recipe(tmp_path):
    def write(text):
        path = tmp_path / "recipe.yaml"
        path.write_text(text)
        return path

    return write


def cli(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_healthy_recipe_passes_with_exit_code_0(recipe, capsys):
    code, output = cli(capsys, "preflight", recipe(HEALTHY), "--checks", "data,duplicates,init_loss")
    assert code == 0, output
    assert "data.finite" in output and "init_loss" in output and "fail" not in output


def test_a_failed_check_exits_1_with_its_fix(recipe, capsys):
    code, output = cli(capsys, "preflight", recipe(HOT_INIT), "--checks", "init_loss", "--json")
    assert code == 1
    result = json.loads(output)
    assert result["passed"] is False and result["counts"]["fail"] == 1
    (row,) = result["rows"]
    assert row["check"] == "init_loss" and row["status"] == "fail" and "init" in row["fix"]


def test_set_overrides_reach_the_checks(recipe, capsys):
    code, _ = cli(capsys, "preflight", recipe(HOT_INIT), "--checks", "init_loss", "--set", "init.std=0.01")
    assert code == 0


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--checks", "data,overfit"], "overfit_batch"),
        (["--set", "model.widht=3"], "model.widht"),
    ],
)
def test_usage_errors_exit_2_with_one_message(recipe, tmp_path, capsys, args, named):
    path = recipe(HEALTHY)
    code, output = cli(capsys, "preflight", path, *args)
    assert code == 2 and "Traceback" not in output and output.count("error:") == 1
    assert named in output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recipe.yaml"]


def test_a_missing_recipe_is_a_usage_error(tmp_path, capsys):
    code, output = cli(capsys, "preflight", tmp_path / "nope.yaml")
    assert code == 2 and "nope.yaml" in output and "Traceback" not in output


def test_fit_preflight_stops_before_training_on_a_fail(recipe, tmp_path, capsys):
    out = tmp_path / "run"
    code, output = cli(capsys, "fit", recipe(HOT_INIT), "--preflight", "--out", out, "--quiet")
    assert code == 1
    assert "not training" in output and not out.exists()


@pytest.mark.slow  # a whole pre-flight and a run
def test_fit_preflight_trains_after_a_pass(recipe, tmp_path, capsys):
    out = tmp_path / "run"
    code, output = cli(capsys, "fit", recipe(HEALTHY), "--preflight", "--out", out, "--quiet")
    assert code == 0, output
    assert "pre-flight" in output and (out / "summary.json").exists()


def test_gradcheck_command_prints_every_tensor(recipe, capsys):
    code, output = cli(capsys, "gradcheck", recipe(HEALTHY), "--entries", "3", "--json")
    assert code == 0
    result = json.loads(output)
    assert result["passed"] is True
    assert [t["tensor"] for t in result["tensors"]] == [
        "linear1.weight",
        "linear1.bias",
        "head.weight",
        "head.bias",
        "input",
    ]


def test_gradcheck_command_rejects_a_bad_eps(recipe, capsys):
    code, output = cli(capsys, "gradcheck", recipe(HEALTHY), "--eps", "0")
    assert code == 2 and "--eps" in output and "Traceback" not in output


def test_fit_preflight_works_with_the_quick_form(tmp_path, capsys):
    sets = ["--set", "data.name=xor", "--set", "model.name=mlp", "--set", "train.steps=5"]
    code, output = cli(capsys, "preflight", "--checks", "data", *sets)
    assert code == 0, output
    out = tmp_path / "run"
    quick = ["fit", "--data", "xor", "--model", "mlp", "--steps", "2", "--out", out, "--json", "--preflight"]
    code = main([str(a) for a in quick])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "data.input_shape" in captured.err  # the table; stdout carries only the summary's JSON
    assert json.loads(captured.out)["status"] == "finished" and (out / "summary.json").exists()


WRONG_BACKWARD_MODEL = """
import torch


class WrongSquare(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x  # should be 2x


class Net(torch.nn.Module):
    def __init__(self, features, outputs):
        super().__init__()
        self.hidden, self.head = torch.nn.Linear(features, 8), torch.nn.Linear(8, outputs)

    def forward(self, x):
        return self.head(WrongSquare.apply(self.hidden(x)))


def build(input_shape, num_outputs):
    return Net(input_shape[0], num_outputs)
"""


def test_gradcheck_command_exits_1_on_a_wrong_backward(tmp_path, monkeypatch, capsys):
    (tmp_path / "wrong_backward_model.py").write_text(WRONG_BACKWARD_MODEL)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "recipe.yaml").write_text(
        HEALTHY.replace("{name: mlp, width: 16, depth: 1}", "wrong_backward_model:build")
    )
    code, output = cli(capsys, "gradcheck", "recipe.yaml", "--trust-code")
    assert code == 1, output
    assert "wrong" in output and "hidden.weight" in output
    code, output = cli(capsys, "gradcheck", "recipe.yaml")  # no consent: the code does not run
    assert code == 2 and "--trust-code" in output
