"""trainlab.fit / evaluate end to end on small data: the run directory, reproducibility, bad input."""

import json
import sys

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from torch import nn

import trainlab
from trainlab.errors import ConfigError, DataError, ModelError, TrainlabError
from trainlab.run_dir import load_model

QUICK = {
    "data": "iris",
    "model": "mlp",
    "optimizer": "adam",
    "lr": 1e-2,
    "batch_size": 16,
    "steps": 30,
    "eval_every": 10,
}


def test_fit_writes_a_self_describing_run_directory(tmp_path):
    result = trainlab.fit(**QUICK, out=str(tmp_path / "run"))
    run = tmp_path / "run"
    assert {p.name for p in run.iterdir()} >= {
        "recipe.yaml",
        "metrics.jsonl",
        "summary.json",
        "model.safetensors",
    }
    summary = json.loads((run / "summary.json").read_text())
    assert summary == json.loads(json.dumps(result.summary))
    assert set(summary["test"]) == {"loss", "accuracy", "f1_macro", "confusion_matrix"}
    assert summary["run"]["steps"] == 30
    assert summary["run"]["parameters"] == sum(p.numel() for p in result.model.parameters())
    assert summary["versions"]["torch"] == torch.__version__.split("+")[0] or summary["versions"][
        "torch"
    ].startswith(torch.__version__[:4])
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["split"] for r in records if r["type"] == "eval"] == ["val", "val", "train", "val", "test"]
    weights = load_file(run / "model.safetensors")
    for name, tensor in result.model.state_dict().items():
        assert torch.equal(weights[name], tensor)
    # no temporary files are left behind
    assert not [p for p in run.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("optimizer", ["lion", "schedule_free_adamw", "lamb"])
def test_runs_with_our_optimizers_save_and_reload_their_weights(tmp_path, optimizer):
    # These optimizers make the parameters views into one flat buffer, which safetensors'
    # save_model refuses; the run directory must still hold the trained weights.
    result = trainlab.fit(**{**QUICK, "optimizer": optimizer, "lr": 1e-3}, out=str(tmp_path / "run"))
    reloaded = load_model(tmp_path / "run")
    for (name, tensor), (_, again) in zip(
        result.model.state_dict().items(), reloaded.state_dict().items(), strict=True
    ):
        assert torch.equal(tensor, again), name


def test_same_seed_same_metrics_and_recipe_reproduces_the_run(tmp_path):
    first = trainlab.fit(**QUICK, out=str(tmp_path / "a"))
    second = trainlab.fit(**QUICK, out=str(tmp_path / "b"))
    assert (tmp_path / "a" / "metrics.jsonl").read_text() == (tmp_path / "b" / "metrics.jsonl").read_text()
    third = trainlab.fit(tmp_path / "a" / "recipe.yaml", out=str(tmp_path / "c"))
    assert (tmp_path / "a" / "metrics.jsonl").read_text() == (tmp_path / "c" / "metrics.jsonl").read_text()
    assert first.summary["test"] == second.summary["test"] == third.summary["test"]


def test_different_seeds_differ(tmp_path):
    a = trainlab.fit(**QUICK, save=False)
    b = trainlab.fit(**{**QUICK, "seed": 1}, save=False)
    assert a.history != b.history


def test_evaluate_reloads_the_weights(tmp_path):
    result = trainlab.fit(**QUICK, out=str(tmp_path / "run"))
    evaluated = trainlab.evaluate(tmp_path / "run", splits=("test", "val"))
    assert evaluated["test"]["accuracy"] == pytest.approx(result.summary["test"]["accuracy"])
    assert evaluated["val"]["loss"] == pytest.approx(result.summary["val"]["loss"], rel=1e-6)


def test_out_dir_holding_a_run_is_not_overwritten(tmp_path):
    trainlab.fit(**QUICK, out=str(tmp_path / "run"))
    before = (tmp_path / "run" / "summary.json").read_text()
    with pytest.raises(TrainlabError, match="already holds a run"):
        trainlab.fit(**QUICK, out=str(tmp_path / "run"))
    assert (tmp_path / "run" / "summary.json").read_text() == before


def test_model_and_data_from_python():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(200, 3, generator=generator)
    y = (x[:, 0] > 0).long()
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
    result = trainlab.fit(
        model=model, data=(x, y), optimizer="adam", lr=0.05, steps=100, batch_size=32, save=False
    )
    assert result.model is model
    assert result.summary["test"]["accuracy"] > 0.85


def test_grad_accumulation_and_schedule_and_bf16_from_a_recipe():
    result = trainlab.fit(
        {
            "data": "digits",
            "model": {"name": "mlp", "width": 32},
            "optimizer": {"name": "sgd", "lr": 0.1},
            "schedule": {"name": "cosine", "warmup_steps": 5},
            "train": {
                "steps": 20,
                "batch_size": 16,
                "grad_accum_steps": 2,
                "precision": "bf16",
                "grad_clip_norm": 1.0,
            },
        },
        save=False,
    )
    assert result.summary["run"]["steps"] == 20
    assert result.summary["run"]["epochs"] == pytest.approx(20 * 2 / np.ceil(len_train_digits() / 16))


def len_train_digits():
    from trainlab.data import load_data

    return len(load_data("digits").train)


def test_user_model_from_module_factory(tmp_path, monkeypatch):
    (tmp_path / "my_models.py").write_text(
        "from torch import nn\n"
        "def tiny(input_shape, num_outputs, hidden=4):\n"
        "    return nn.Sequential(nn.Flatten(), nn.Linear(input_shape[0], hidden), nn.ReLU(), nn.Linear(hidden, num_outputs))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    result = trainlab.fit(
        {**_recipe("iris"), "model": {"name": "my_models:tiny", "hidden": 6}}, save=False, trust_code=True
    )
    assert result.summary["run"]["parameters"] == 4 * 6 + 6 + 6 * 3 + 3
    sys.modules.pop("my_models", None)


def _recipe(data):
    return {"data": data, "model": "mlp", "train": {"steps": 3, "batch_size": 8}}


# ---- bad input: one clear message before training starts ----------------------------------------


def test_unknown_optimizer_suggests_the_closest():
    with pytest.raises(ConfigError, match="'adamw2' is not a registered optimizer; did you mean 'adamw'"):
        trainlab.fit(**{**QUICK, "optimizer": "adamw2"}, save=False)


def test_model_output_must_match_the_classes():
    model = nn.Linear(4, 5)
    with pytest.raises(ModelError, match=r"data has 3 classes.*output \(batch, 3\)"):
        trainlab.fit(_recipe("iris"), model=model, save=False)


def test_model_that_rejects_the_input_shape():
    model = nn.Linear(7, 3)
    with pytest.raises(ModelError, match=r"fails on a batch of input shape"):
        trainlab.fit(_recipe("iris"), model=model, save=False)


def test_nan_in_the_data_is_refused():
    x = torch.randn(50, 3)
    x[7, 1] = float("nan")
    y = torch.randint(0, 2, (50,))
    with pytest.raises(DataError, match="(?i)nan|non-finite"):
        trainlab.fit(data=(x, y), model="mlp", steps=1, save=False)


def test_labels_out_of_range_are_refused(tmp_path):
    csv = tmp_path / "data.csv"
    rows = ["a,b,label"] + [f"{i},{i * 2},{i % 3}" for i in range(30)] + ["1,2,7"]
    csv.write_text("\n".join(rows) + "\n")
    with pytest.raises(DataError, match="7"):
        trainlab.fit(
            {**_recipe("csv"), "data": {"name": "csv", "path": str(csv), "num_classes": 3}}, save=False
        )


def test_missing_data_file_is_named(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        trainlab.fit(
            {**_recipe("csv"), "data": {"name": "csv", "path": str(tmp_path / "nope.csv")}}, save=False
        )
