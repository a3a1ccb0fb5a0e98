"""Progress a person can follow: the bar fits 80 columns, plain lines without a terminal, log.txt."""

import io
import re
import subprocess
import sys
from types import SimpleNamespace

from rich.console import Console

from trainlab.summary_tables import short_number
from trainlab.train.callbacks.progress import LogLines, ProgressBar


def fake_trainer(**overrides):
    trainer = SimpleNamespace(
        step=0,
        total_steps=6000,
        monitor_metric="average_precision",
        eval_on="val",
        eval_sets={"train": None, "val": None},
        last_eval={},
    )
    for key, value in overrides.items():
        setattr(trainer, key, value)
    return trainer


def test_the_bar_fits_an_80_column_terminal_without_cutting_anything():
    out = io.StringIO()
    bar = ProgressBar(Console(file=out, width=80, force_terminal=True, color_system=None))
    trainer = fake_trainer()
    bar.on_fit_start(trainer)
    trainer.step = 1050
    bar.on_log(trainer, {"loss": 0.412345, "lr": 0.01})
    bar.on_eval_end(trainer, "val", {"loss": 0.5, "average_precision": 0.91234})
    bar.on_fit_end(trainer)
    # The terminal shows what follows the last "clear line" of each redraw.
    frames = [re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", frame) for frame in out.getvalue().split("\x1b[2K")]
    last = next(frame for frame in reversed(frames) if "1050/6000" in frame).splitlines()[0]
    assert len(last.rstrip()) <= 80
    assert "…" not in last
    for shown in ("1050/6000", "loss 0.4123", "lr 0.01", "val average_precision 0.9123", "eta"):
        assert shown in last, last


def test_a_diverging_loss_is_short():
    assert short_number(1.2345e29) == "1.234e+29"
    assert short_number(0.041234) == "0.04123"
    assert short_number(float("nan")) == "nan"


def test_log_lines_go_to_the_file_and_to_a_pipe(tmp_path):
    out = io.StringIO()
    log = LogLines(tmp_path / "log.txt", echo=True, stream=out)
    trainer = fake_trainer(total_steps=100)
    log.on_fit_start(trainer)
    trainer.step = 50
    log.on_log(trainer, {"loss": 0.5, "lr": 1e-3})
    trainer.step = 100
    trainer.last_eval = {"val": {"loss": 0.25, "accuracy": 0.9}, "train": {"loss": 0.2, "accuracy": 0.95}}
    log.on_fit_end(trainer)
    written = (tmp_path / "log.txt").read_text().splitlines()
    assert written == out.getvalue().splitlines()
    assert written[0] == "training from step 0 to 100"
    assert (
        written[1].startswith("step 50/100  loss 0.5  lr 0.001")
        and "steps/s" in written[1]
        and "eta" in written[1]
    )
    assert written[2:] == ["final train: loss 0.2, accuracy 0.95", "final val: loss 0.25, accuracy 0.9"]


def test_the_cli_in_a_pipe_prints_a_line_per_log_interval(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "trainlab", "fit", "--data", "iris", "--model", "mlp", "--steps", "40",
         "--out", str(tmp_path / "run"), "--set", "train.log_every=10"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    steps = [line for line in done.stdout.splitlines() if line.startswith("step ")]
    assert [line.split()[1] for line in steps] == ["10/40", "20/40", "30/40", "40/40"]
    assert (tmp_path / "run" / "log.txt").read_text().count("\nstep ") == 4
