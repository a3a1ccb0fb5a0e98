"""Property-based bad input on the command line: any mix of flags and --set overrides exits 0 or 2, never a traceback.

Exit 2 comes with one message that names a key or flag the user gave; exit 0 means the run trained.
"""

import contextlib
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainlab.cli import main

# Flag -> values a user might type for it, good and bad alike.
FLAGS = {
    "--lr": ["0.01", "1e-3", "-1", "0", "abc", "inf", "1e400"],
    "--steps": ["1", "2", "0", "-3", "1.5", "x", "1e30"],
    "--batch-size": ["8", "0", "-1", "10000", "two"],
    "--optimizer": ["adam", "sgd", "adamw2", "", "lion"],
    "--model": ["mlp", "cnn9", "os:system"],
    "--precision": ["fp32", "bf16", "fp8"],
    "--seed": ["0", "-1", "seed"],
    "--weight-decay": ["0.01", "-0.5", "nan"],
    "--grad-clip-norm": ["1.0", "0", "-1"],
    "--epochs": ["1", "0"],
}
# --set overrides: real keys with good and bad values, typos, and malformed items.
SETS = [
    "train.log_every=1",
    "train.log_every=0",
    "train.batch_size=[1,2]",
    "model.width=8",
    "model.width=-8",
    "model.widht=8",
    "model.activation=gelu",
    "model.activation=gelu2",
    "optimizer.betas=0.9",
    "data.val_fraction=0.5",
    "data.val_fraction=2",
    "data.val_frac=0.2",
    "train.steps",
    "=3",
    "train=3",
    "train.epochs=1",
    "loss.name=focal",
    "loss=mse",
    "schedule.name=cosine",
    "schedule.warmup_steps=-1",
    "metrics=[accuracy, f1_macro]",
    "metrics=[nope]",
    "train.nan_policy=rollback",
]


@st.composite
def command_lines(draw):
    chosen = draw(st.lists(st.sampled_from(sorted(FLAGS)), max_size=4, unique=True))
    args = ["fit", "--data", "iris"]
    for flag in chosen:
        args += [flag, draw(st.sampled_from(FLAGS[flag]))]
    if "--model" not in chosen:
        args += ["--model", "mlp"]
    if "--steps" not in chosen and "--epochs" not in chosen:
        args += ["--steps", "1"]
    for item in draw(st.lists(st.sampled_from(SETS), max_size=3)):
        args += ["--set", item]
    return args


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=command_lines())
def test_any_command_line_exits_0_or_2_with_one_message(args, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "run"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main([*args, "--out", str(out), "-q"])
    output = stdout.getvalue() + stderr.getvalue()
    assert "Traceback" not in output, (args, output)
    assert code in (0, 2), (args, code, output)
    if code == 2:
        assert output.count("error:") == 1 or "Usage:" in output, (args, output)
        assert not (out / "summary.json").exists() or "failed" in (out / "summary.json").read_text()
    else:
        assert (out / "summary.json").exists(), (args, output)
