"""Registry-generated checks: every registered component is built from a recipe and takes training steps.

Registering a component therefore means it is tested; a new name shows up here automatically.
"""

import math

import numpy as np
import pytest
import torch

import trainlab
from trainlab.errors import ModelError
from trainlab.registry import DATASETS, LOSSES, METRICS, MODELS, OPTIMIZERS, SCHEDULES

TRAIN = {"steps": 3, "batch_size": 16, "log_every": 1}


def fit(recipe, **kwargs):
    return trainlab.fit({"train": TRAIN, **recipe}, save=False, **kwargs)


def assert_trained(result):
    losses = [r["loss"] for r in result.history if r["type"] == "step"]
    assert len(losses) == TRAIN["steps"]
    assert all(math.isfinite(loss) for loss in losses)
    assert result.summary["run"]["steps"] == TRAIN["steps"]


# ---- datasets -------------------------------------------------------------------------------------

def _write_file_dataset(name, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    if name == "csv":
        path = tmp_path / "data.csv"
        np.savetxt(path, np.column_stack([x, y]), delimiter=",", header="a,b,c,d,label", comments="")
    elif name == "npz":
        path = tmp_path / "data.npz"
        np.savez(path, x=x, y=y)
    elif name == "pt":
        path = tmp_path / "data.pt"
        torch.save({"x": torch.from_numpy(x), "y": torch.from_numpy(y)}, path)
    else:
        return {}
    return {"path": str(path)}


@pytest.mark.parametrize("name", DATASETS.names())
def test_every_dataset_trains(name, tmp_path):
    entry = DATASETS.get(name)
    options = _write_file_dataset(name, tmp_path)
    required = [p for p, param in entry.parameters().items() if param.default is param.empty]
    assert set(required) <= set(options), f"add a file fixture for dataset '{name}'"
    assert_trained(fit({"data": {"name": name, **options}, "model": "mlp"}))


# ---- models ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", MODELS.names())
def test_every_model_trains(name):
    fitted = []
    for data in ("mnist1d", "digits", "iris"):
        try:
            result = fit({"data": data, "model": name})
        except ModelError:
            continue  # this model does not take this input kind; another must
        assert_trained(result)
        fitted.append(data)
    assert fitted, f"model '{name}' trained on none of the built-in input kinds"


# ---- losses, optimizers, schedules, metrics ----------------------------------------------------------

@pytest.mark.parametrize("name", LOSSES.names())
def test_every_loss_trains(name):
    task = LOSSES.get(name).flags.get("task", "any")
    datasets = {"classification": ["iris"], "regression": ["regression"], "any": ["iris", "regression"]}[task]
    for data in datasets:
        assert_trained(fit({"data": data, "model": "mlp", "loss": name}))


class WeightSnapshot:
    def on_fit_start(self, trainer):
        self.before = [p.detach().clone() for p in trainer.model.parameters()]


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_every_optimizer_trains_and_moves_the_weights(name):
    snapshot = WeightSnapshot()
    result = fit({"data": "iris", "model": {"name": "mlp", "width": 8}, "optimizer": name}, callbacks=[snapshot])
    assert_trained(result)
    after = list(result.model.parameters())
    assert all(not torch.equal(a, b) for a, b in zip(after, snapshot.before, strict=True))


@pytest.mark.parametrize("name", SCHEDULES.names())
def test_every_schedule_trains(name):
    assert_trained(fit({"data": "iris", "model": "mlp", "schedule": name}))


@pytest.mark.parametrize("name", METRICS.names())
def test_every_metric_is_reported(name):
    task = METRICS.get(name).flags["task"]
    data = "iris" if task == "classification" else "regression"
    result = fit({"data": data, "model": "mlp", "metrics": [name]})
    assert_trained(result)
    assert name in result.summary["test"]
