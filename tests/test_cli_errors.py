"""Bad input on the command line: one message naming the problem and the fix, exit code 2, nothing half-written."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trainlab.cli import main
from trainlab.train.anomaly import divergence

IRIS = ["fit", "--data", "iris", "--model", "mlp", "--set", "train.progress=false"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "run"
    assert main([*IRIS, "--steps", "3", "--out", str(run)]) == 0
    return run


@pytest.mark.parametrize("damage", ["truncate", "empty", "garbage"])
def test_a_damaged_weights_file_is_named(finished_run, tmp_path, damage, cli, one_message):
    run = tmp_path / "copy"
    run.mkdir()
    for name in ("recipe.yaml", "summary.json", "model.safetensors"):
        (run / name).write_bytes((finished_run / name).read_bytes())
    weights = run / "model.safetensors"
    if damage == "truncate":
        weights.write_bytes(weights.read_bytes()[:5000])
    elif damage == "empty":
        weights.write_bytes(b"")
    else:
        weights.write_bytes(b"not a safetensors file" * 100)
    code, output = cli("evaluate", str(run))
    one_message(code, output, str(weights), "damaged or not a safetensors file")


def test_weights_that_do_not_fit_the_recipe_say_so(finished_run, tmp_path, cli, one_message):
    run = tmp_path / "copy"
    run.mkdir()
    for name in ("summary.json", "model.safetensors"):
        (run / name).write_bytes((finished_run / name).read_bytes())
    (run / "recipe.yaml").write_text(
        (finished_run / "recipe.yaml").read_text().replace("width: 128", "width: 7")
    )
    code, output = cli("evaluate", str(run))
    one_message(code, output, "does not fit the recipe's model", "size mismatch")


@pytest.mark.parametrize("where", ["under_a_file", "proc"])
def test_an_out_that_cannot_be_written_is_named_before_training(tmp_path, where, cli, one_message):
    if where == "under_a_file":
        (tmp_path / "afile").write_text("x")
        out = tmp_path / "afile" / "run"
    else:
        out = Path("/proc/trainlab-run")
    code, output = cli(*IRIS, "--steps", "2", "--out", str(out))
    one_message(code, output, f"cannot write the run directory '{out}'", "choose another --out")
    assert not out.exists()


def test_a_name_longer_than_the_file_system_allows(tmp_path, monkeypatch, cli, one_message):
    monkeypatch.chdir(tmp_path)
    code, output = cli(*IRIS, "--steps", "2", "--name", "n" * 300)
    one_message(code, output, "File name too long", "a shorter --name")
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]


def test_a_model_too_large_for_memory_is_refused_before_allocating(tmp_path, cli, one_message):
    code, output = cli(*IRIS, "--steps", "2", "--set", "model.width=1e10", "--out", str(tmp_path / "r"))
    one_message(code, output, "model: 'mlp' (model.width=", "does not fit in this machine's free memory")
    assert not (tmp_path / "r").exists()


def test_an_absurd_number_of_steps_is_a_typo(tmp_path, cli, one_message):
    code, output = cli(*IRIS, "--set", "train.steps=1e12", "--out", str(tmp_path / "r"))
    one_message(code, output, "`train.steps: 1e+12` is more than 1,000,000,000")


def test_a_batch_larger_than_the_training_split_warns(tmp_path, caplog, cli):
    code, output = cli(*IRIS, "--steps", "2", "--batch-size", "4096", "--out", str(tmp_path / "r"))
    assert code == 0, output
    assert "train.batch_size 4096 is larger than the training split (108 samples)" in caplog.text


def test_a_diverged_run_says_so(tmp_path, cli):
    # Clipped steps of lr 20 keep the loss finite while it climbs: no NaN stops the run.
    code, output = cli(
        "fit", "--data", "regression", "--model", "mlp", "--optimizer", "sgd", "--lr", "20",
        "--steps", "40", "--out", str(tmp_path / "r"), "--set", "train.log_every=5", "--set", "train.progress=false",
        "--set", "train.grad_clip_norm=1",
    )  # fmt: skip
    assert code == 0, output
    assert (
        "warning: the run diverged: the training loss went from" in output and "lower optimizer.lr" in output
    )
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["run"]["diverged"].startswith(
        "the training loss"
    )


@pytest.mark.parametrize(
    ("losses", "diverged"),
    [
        ([2.3, 1.0, 0.5, 0.4], False),
        ([2.3, 1e-5, 1e-3], False),
        ([2.3, 0.5, 300.0], True),
        ([2.3, float("nan")], True),
    ],
)
def test_divergence_is_a_rise_above_the_start_and_far_above_the_best(losses, diverged):
    history = [{"type": "step", "loss": loss} for loss in losses] + [{"type": "eval", "loss": 1e9}]
    assert (divergence(history) is not None) == diverged


def test_nproc_with_a_mistake_is_one_message_before_any_process_starts(tmp_path, one_message):
    done = subprocess.run(
        [sys.executable, "-m", "trainlab", *IRIS, "--steps", "2", "--nproc", "2", "--set", "model.widht=3",
         "--out", str(tmp_path / "r")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    one_message(
        done.returncode, done.stdout + done.stderr, "model.widht: unknown option; did you mean 'width'"
    )
    assert not (tmp_path / "r").exists()


def test_nproc_with_a_dataset_too_small_for_the_processes_fails_before_the_run_directory(
    tmp_path, one_message
):
    done = subprocess.run(
        [sys.executable, "-m", "trainlab", *IRIS, "--steps", "2", "--nproc", "2", "--out", str(tmp_path / "r")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    one_message(
        done.returncode, done.stdout + done.stderr, "train.batch_size 64 × 2 processes needs 128", "--nproc"
    )
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("delay", [1.0, 2.5])
def test_ctrl_c_during_start_up_exits_130_quietly(tmp_path, delay):
    process = subprocess.Popen(
        [sys.executable, "-m", "trainlab", *IRIS, "--steps", "100000", "--out", str(tmp_path / "r")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 130, output
    assert "Traceback" not in output


def test_a_warmup_longer_than_the_run_warns(tmp_path, caplog, cli):
    code, output = cli(*IRIS, "--steps", "30", "--schedule", "cosine", "--set", "schedule.warmup_steps=300",
                       "--out", str(tmp_path / "r"))  # fmt: skip
    assert code == 0, output
    assert "schedule.warmup_steps 300 is not shorter than the run (30 steps)" in caplog.text


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["schedule", "plot", "cosine", "--out", "s.txt"], "--out 's.txt': write a .png, .svg or .pdf file"),
        (
            ["schedule", "plot", "cosine", "--lr", "-1"],
            "--lr -1.0: the base learning rate must be a positive number",
        ),
        (["schedule", "plot", "cosine", "--steps", "0"], "--steps 0: a schedule needs at least 1 step"),
        (["playground", "--out", "race.txt"], "--out 'race.txt': write a .png, .svg or .pdf file"),
    ],
)
def test_plot_commands_name_a_bad_flag(tmp_path, monkeypatch, args, named, cli, one_message):
    monkeypatch.chdir(tmp_path)
    code, output = cli(*args)
    one_message(code, output, named)
    assert list(tmp_path.iterdir()) == []


def test_a_schedule_over_a_huge_run_is_sampled(cli):
    code, output = cli(
        "schedule", "plot", "{name: cosine, warmup_steps: 100}", "--steps", "100000000", "--json"
    )
    assert code == 0
    curve = json.loads(output)
    assert len(curve["step"]) == 10_000 and curve["step"][:3] == [0, 1, 2] and curve["step"][-1] == 99_999_999
    assert curve["lr"][0] == pytest.approx(1 / 101) and curve["lr"][100] == pytest.approx(1.0)
