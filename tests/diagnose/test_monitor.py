"""The Monitor in a hand-written loop, the trainer's diagnose section, diagnostics.jsonl and its pictures."""

import json
import sys

import pytest
import torch
from instrument_loops import batch, one_intra_op_thread, tiny_classifier, train  # noqa: F401 (an autouse fixture)
from torch import nn

import trainlab
from trainlab.cli import main
from trainlab.diagnose import DEFAULT_INSTRUMENTS, Monitor, read_records, records_table
from trainlab.diagnose.pictures import draw_pictures
from trainlab.errors import TrainlabError

EVERY_INSTRUMENT = [*DEFAULT_INSTRUMENTS, {"name": "hessian", "iterations": 3}]


def hooks_on(model: nn.Module) -> int:
    modules = sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())
    tensors = sum(len(p._post_accumulate_grad_hooks or {}) for p in model.parameters())
    return modules + tensors


@pytest.mark.parametrize("grad_accum_steps", [1, 2])
def test_hooks_exist_only_during_a_sampled_step(grad_accum_steps):
    model = tiny_classifier()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    monitor = Monitor(
        model,
        optimizer,
        every=3,
        instruments=EVERY_INSTRUMENT,
        loss_fn=nn.functional.cross_entropy,
        grad_accum_steps=grad_accum_steps,
    )
    during_forward = []
    for step in range(1, 7):
        during_forward.append(hooks_on(model))
        for micro in range(grad_accum_steps):
            inputs, targets = batch(step * 10 + micro)
            (nn.functional.cross_entropy(model(inputs), targets) / grad_accum_steps).backward()
        monitor.after_backward(targets=batch(step * 10)[1])
        assert hooks_on(model) == 0
        optimizer.step()
        optimizer.zero_grad()
        monitor.after_step()
    sampled = [count > 0 for count in during_forward]
    assert sampled == [False, False, True, False, False, True]
    assert monitor.hooks_attached == 0 and hooks_on(model) == 0
    rows = monitor.flush()
    assert sorted({r["step"] for r in rows}) == [3, 6]
    model_rows = [r for r in rows if r["kind"] == "model"]
    expected_source = "micro_batches" if grad_accum_steps > 1 else "per_sample:4"
    assert all(r["grad_snr_source"] == expected_source and "hessian_top" in r for r in model_rows)


def test_statistics_wait_on_the_device_until_read():
    model = tiny_classifier()
    monitor = Monitor(model, torch.optim.SGD(model.parameters(), lr=0.1), every=2)
    train(model, monitor, steps=4)
    assert monitor.records == []  # nothing read yet: the rows are device tensors
    assert {r["step"] for r in monitor.flush()} == {2, 4}
    assert all(isinstance(r["layer"], str) for r in monitor.records)


def test_table_is_a_dataframe_with_pandas_and_rows_without(monkeypatch):
    rows = [
        {"step": 1, "kind": "param", "layer": "w", "grad_norm": 1.0},
        {"step": 1, "kind": "model", "layer": "model", "loss": 2.0},
    ]
    pandas = pytest.importorskip("pandas")
    table = records_table(rows)
    assert isinstance(table, pandas.DataFrame)
    assert list(table.columns) == ["step", "kind", "layer", "grad_norm", "loss"]
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if pandas were not installed
    assert records_table(rows, kind="model") == [rows[1]]


def test_a_torn_last_line_is_skipped(tmp_path):
    whole = {"step": 5, "kind": "model", "layer": "model", "loss": 1.0}
    (tmp_path / "diagnostics.jsonl").write_text(json.dumps(whole) + "\n" + '{"step": 10, "ki')
    assert read_records(tmp_path) == [whole]
    assert read_records(tmp_path / "no-such-run") == []


# ---------------------------------------------------------------------------------------------
# Through the trainer: the recipe's diagnose section and fit --diagnose

SETTINGS = [
    "train.steps=12",
    "train.log_every=4",
    "train.checkpoint_every=5",
    "train.deterministic=true",
    "train.progress=false",
    "train.batch_size=16",
    "train.threads=1",
]


def quick_fit(out, *extra, **kwargs):
    return trainlab.fit(data="iris", model="mlp", out=str(out), overrides=[*SETTINGS, *extra], **kwargs)


@pytest.fixture(scope="module")
def diagnosed_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "diagnosed"
    quick_fit(out, "diagnose.window=2")
    return out


def test_fit_writes_a_row_per_log_step_and_layer_and_the_pictures(diagnosed_run):
    rows = read_records(diagnosed_run)
    assert sorted({r["step"] for r in rows}) == [4, 8, 12]  # every defaults to train.log_every
    kinds = {r["kind"] for r in rows}
    assert kinds == {"param", "activation", "output", "model"}
    model = [r for r in rows if r["kind"] == "model"]
    logged = [json.loads(line) for line in (diagnosed_run / "metrics.jsonl").read_text().splitlines()]
    assert len(model) == 3 and all(r["loss"] > 0 for r in model)
    assert len([r for r in logged if r["type"] == "step"]) == 3
    dead = [r["dead_frac"] for r in rows if r["kind"] == "activation"]
    assert dead[0] is None and dead[-1] is not None  # the window (2 sampled steps) filled
    pictures = sorted(p.name for p in (diagnosed_run / "diagnostics").iterdir())
    assert pictures == ["activations.png", "grad_norm.png", "update_ratio.png"]


def test_a_resumed_run_writes_no_row_twice(tmp_path, diagnosed_run):
    class CrashAt:
        def on_step_start(self, trainer):
            if trainer.step == 9:
                raise RuntimeError("killed")

    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="killed"):
        quick_fit(out, "diagnose.window=2", callbacks=[CrashAt()])
    assert {r["step"] for r in read_records(out)} == {
        4,
        8,
    }  # step 8 is past the checkpoint at 5: written again
    trainlab.fit(resume=out)
    assert read_records(out) == read_records(diagnosed_run)


def test_gradient_accumulation_and_the_hessian_through_the_trainer(tmp_path):
    result = quick_fit(
        tmp_path / "run",
        "train.grad_accum_steps=2",
        "diagnose.instruments=[params, grad_snr, {name: hessian, iterations: 3}]",
        "diagnose.every=6",
        "diagnose.pictures=false",
    )
    model_rows = read_records(result.run_dir, kind="model")
    assert [r["step"] for r in model_rows] == [6, 12]
    assert all(r["grad_snr_source"] == "micro_batches" and r["hessian_top"] is not None for r in model_rows)
    assert not (result.run_dir / "diagnostics").exists()


def test_a_step_the_nan_guard_skips_is_measured_again_when_retaken(tmp_path):
    class NaNInputsOnce:
        """Step 4's first attempt sees NaN inputs; the guard (train.nan_policy: skip) drops it."""

        handle = None

        def on_step_start(self, trainer):
            if trainer.step == 3 and self.handle is None:
                self.handle = trainer.model.register_forward_pre_hook(
                    lambda m, args: (args[0] * float("nan"),)
                )

        def on_after_backward(self, trainer):
            if self.handle is not None:
                self.handle.remove()

    result = quick_fit(
        tmp_path / "run",
        "train.nan_policy=skip",
        "diagnose.every=4",
        "diagnose.pictures=false",
        callbacks=[NaNInputsOnce()],
    )
    step_4 = [r for r in read_records(result.run_dir) if r["step"] == 4]
    assert {r["kind"] for r in step_4} == {"param", "activation", "output", "model"}
    assert all(r["mean"] == r["mean"] for r in step_4 if r["kind"] == "activation")  # not NaN
    assert len({(r["kind"], r["layer"]) for r in step_4}) == len(step_4)


def test_fit_diagnose_flag_turns_the_defaults_on(tmp_path):
    out = tmp_path / "run"
    code = main(
        ["fit", "--data", "iris", "--model", "mlp", "--steps", "4", "--out", str(out), "-q", "--diagnose"]
    )
    assert code == 0
    assert {r["kind"] for r in read_records(out)} == {"param", "activation", "output", "model"}
    recipe = (out / "recipe.yaml").read_text()
    assert "diagnose:" in recipe and "enabled: true" in recipe


def test_an_unknown_instrument_is_one_message_and_nothing_is_written(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(
        [
            "fit",
            "--data",
            "iris",
            "--model",
            "mlp",
            "--steps",
            "4",
            "--out",
            str(out),
            "--set",
            "diagnose.instruments=[parms]",
        ]
    )
    captured = capsys.readouterr()
    assert code == 2
    assert "diagnose.instruments" in captured.err and "params" in captured.err
    assert "Traceback" not in captured.out + captured.err
    assert not out.exists()


def test_pictures_of_a_run_without_diagnostics_name_the_fix(tmp_path):
    with pytest.raises(TrainlabError, match="--diagnose"):
        draw_pictures(tmp_path)


def test_lightning_callback_writes_diagnostics(tmp_path):
    lightning = pytest.importorskip("lightning")
    from trainlab.diagnose.lightning import DiagnoseCallback

    class Module(lightning.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = tiny_classifier()

        def forward(self, inputs):
            return self.net(inputs)

        def training_step(self, batch_, index):
            inputs, targets = batch_
            return nn.functional.cross_entropy(self(inputs), targets)

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    data = torch.utils.data.TensorDataset(*batch(0, size=64))
    trainer = lightning.Trainer(
        max_steps=6,
        callbacks=[DiagnoseCallback(every=3, path=tmp_path / "diagnostics.jsonl")],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
    )
    trainer.fit(Module(), torch.utils.data.DataLoader(data, batch_size=16))
    rows = read_records(tmp_path)
    assert sorted({r["step"] for r in rows}) == [3, 6]
    assert {r["layer"] for r in rows if r["kind"] == "param"} == {
        f"net.{i}.{p}" for i in (0, 2, 4) for p in ("weight", "bias")
    }
