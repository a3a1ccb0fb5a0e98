"""``trainlab explain`` and ``trainlab inspect``: every derivation passes; a run's norms, curvature and identities."""

import json
import math

import pytest

import trainlab
from trainlab.cli import main
from trainlab.run_dir import load_model
from trainlab.theory.derivations import DERIVATIONS, TOLERANCE


@pytest.mark.parametrize("name", sorted(DERIVATIONS))
def test_every_derivation_passes_against_autograd(name, capsys):
    assert main(["explain", name, "--json", "--seed", "3"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["passed"] and max(result["max_abs_error"].values()) <= TOLERANCE


def test_a_wrong_formula_fails_the_check():
    derivation = DERIVATIONS["softmax_jacobian"]

    def wrong(generator):
        pairs = derivation.compute(generator)
        ours, auto = pairs["∂s/∂z"]
        return {"∂s/∂z": (ours.diag().diag(), auto)}  # the diagonal alone, s_i(1 − s_i)

    assert max(type(derivation)("wrong", "", "", wrong).check().values()) > 1e-3


def test_explain_lists_names_and_refuses_an_unknown_one(capsys):
    assert main(["explain"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in DERIVATIONS)
    assert main(["explain", "softmax_jacobain"]) == 2
    error = capsys.readouterr().err
    assert "did you mean 'softmax_jacobian'" in error and "Traceback" not in error


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("inspect") / "run"
    recipe = {
        "data": "iris",
        "model": {"name": "mlp", "width": 6},
        "train": {"steps": 30, "batch_size": 32, "threads": 1},
        "out": str(out),
    }
    return trainlab.fit(recipe).run_dir


def test_inspect_norms_match_the_weights(run_dir, capsys):
    assert main(["inspect", str(run_dir), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["norms"]
    weights = dict(load_model(run_dir).named_parameters())
    for row in rows:
        tensor = weights[row["tensor"]].detach().double()
        assert row["l1"] == pytest.approx(float(tensor.abs().sum()))
        assert row["linf"] == pytest.approx(float(tensor.abs().max()))
    first = rows[0]
    assert first["l2"] == pytest.approx(first["frobenius"])
    assert first["spectral"] <= first["frobenius"] <= first["nuclear"]


def test_inspect_hessian_spectrum_is_exact_and_matches_lanczos_extremes(run_dir, capsys):
    assert main(["inspect", str(run_dir), "--hessian", "--spectrum", "--samples", "64", "--json"]) == 0
    exact = json.loads(capsys.readouterr().out)["hessian"]
    assert exact["exact"] and len(exact["ritz_values"]) == exact["parameters"]
    assert (
        main(["inspect", str(run_dir), "--hessian", "--samples", "64", "--iterations", "60", "--json"]) == 0
    )
    lanczos = json.loads(capsys.readouterr().out)["hessian"]
    assert lanczos["top"] == pytest.approx(exact["top"], rel=1e-6)


def test_inspect_information_and_cost_curve(run_dir, tmp_path, capsys):
    out = tmp_path / "cost.png"
    code = main(["inspect", str(run_dir), "--information", "--cost-curve", str(out), "--positive-class", "2"])
    assert code == 0 and out.stat().st_size > 0
    printed = capsys.readouterr().out
    assert "H(p, q) = H(p) + KL(p || q)" in printed and "negative log-likelihood" in printed


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--split", "holdout"], "--split"),
        (["--spectrum"], "--hessian"),
        (["--cost-curve", "curve.txt"], "--out"),
        (["--cost-curve", "curve.png", "--positive-class", "7"], "--positive-class"),
    ],
)
def test_inspect_bad_input_is_one_message(run_dir, tmp_path, capsys, monkeypatch, extra, named):
    monkeypatch.chdir(tmp_path)
    assert main(["inspect", str(run_dir), *extra]) == 2
    error = capsys.readouterr().err
    assert named in error and "Traceback" not in error
    assert not (tmp_path / "curve.png").exists() and not (tmp_path / "curve.txt").exists()


def test_inspect_a_directory_without_a_run(tmp_path, capsys):
    assert main(["inspect", str(tmp_path), "--hessian"]) == 2
    assert "finished run" in capsys.readouterr().err


def test_json_is_strict_with_an_infinite_condition_number_as_text(run_dir, capsys):
    assert main(["inspect", str(run_dir), "--hessian", "--samples", "64", "--json"]) == 0

    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    hessian = json.loads(capsys.readouterr().out, parse_constant=refuse)["hessian"]
    value = hessian["condition_number"]
    assert value == "inf" if hessian["bottom"] <= 0 else math.isfinite(value) and value > 0
