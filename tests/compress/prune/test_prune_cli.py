"""``trainlab prune``: a pruned run, a sweep's table and plot, and one message (exit 2) for each bad input."""

import csv
import json

import pytest

from trainlab.cli import main


def cli(capsys, *args):
    code = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--sparsity", "1"], "--sparsity 1.0"),
        (["--sparsity", "-0.1"], "[0, 1)"),
        (["--sparsity", "0.5", "--method", "global_magnitud"], "did you mean 'global_magnitude'"),
        (["--sweep", "0.5,1.5"], "--sweep '1.5'"),
        (["--sweep", "0.5", "--method", "random,magnitud"], "'magnitud' is not a registered pruner"),
        ([], "--sparsity"),
        (["--sparsity", "0.5", "--option", "norm"], "--option 'norm'"),
        (["--sparsity", "0.5", "--option", "seed=1"], "seed"),
    ],
)
def test_bad_input_is_one_message_and_writes_nothing(capsys, tiny_run, tmp_path, args, named):
    out = tmp_path / "out"
    code, output = cli(capsys, "prune", tiny_run, "--out", out, *args)
    assert code == 2, output
    assert "Traceback" not in output
    assert output.count("error:") == 1, output
    assert named in output, output
    assert not out.exists()


def test_an_out_that_holds_a_run_is_refused_before_any_work(capsys, tiny_run):
    before = (tiny_run / "summary.json").read_bytes()
    code, output = cli(capsys, "prune", tiny_run, "--sparsity", "0.5", "--out", tiny_run)
    assert code == 2 and "Traceback" not in output
    assert "already holds a run" in output
    assert (tiny_run / "summary.json").read_bytes() == before


def test_a_directory_without_weights_is_refused(capsys, tmp_path):
    (tmp_path / "recipe.yaml").write_text("data: mnist1d\n")
    code, output = cli(capsys, "prune", tmp_path, "--sparsity", "0.5", "--out", tmp_path / "out")
    assert code == 2 and "Traceback" not in output
    assert "has no model.safetensors" in output
    assert not (tmp_path / "out").exists()


def test_prune_writes_a_run_with_per_layer_sparsity(capsys, tiny_run, tmp_path):
    out = tmp_path / "pruned"
    code, output = cli(
        capsys, "prune", tiny_run, "--method", "layer_magnitude", "--sparsity", "0.5", "--out", out
    )
    assert code == 0, output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["pruning"]["layers"] == {"linear1.weight": 0.5, "linear2.weight": 0.5, "head.weight": 0.5}
    assert summary["pruning"]["method"] == "layer_magnitude"
    assert {"parameters", "nonzero_parameters", "dtype", "weights_bytes"} <= summary["model"].keys()
    assert "recipe.yaml" in {p.name for p in out.iterdir()}
    code, output = cli(capsys, "evaluate", out)
    assert code == 0, output


def test_sweep_writes_table_and_plot(capsys, tiny_run, tmp_path):
    out = tmp_path / "sweep"
    code, output = cli(
        capsys, "prune", tiny_run, "--method", "global_magnitude,random", "--sweep", "0.5,0.9", "--out", out
    )
    assert code == 0, output
    rows = list(csv.DictReader((out / "sweep.csv").open()))
    assert [(r["method"], float(r["sparsity"])) for r in rows] == [
        ("none", 0.0),
        ("global_magnitude", 0.5),
        ("global_magnitude", 0.9),
        ("random", 0.5),
        ("random", 0.9),
    ]
    assert all(r["metric"] == "test_accuracy" for r in rows)
    assert (out / "sweep.png").read_bytes()[:4] == b"\x89PNG"
    assert "| global_magnitude | 0.9000 |" in (out / "sweep.md").read_text()
    assert (out / "random-0.9" / "model.safetensors").is_file()
