"""Registry-generated checks: every registered component is built from a recipe and takes training steps.

Registering a component therefore means it is tested; a new name shows up here automatically.
"""

import math

import numpy as np
import pytest
import torch

import trainlab
from trainlab.data import AUGMENTATIONS, SAMPLERS
from trainlab.errors import ModelError
from trainlab.nn import DROPOUTS, INITS, POOLINGS
from trainlab.registry import (
    ACTIVATIONS,
    CALLBACKS,
    DATASETS,
    LOSSES,
    METRICS,
    MODELS,
    NORMS,
    OPTIMIZERS,
    SCHEDULES,
)
from trainlab.regularizers import REGULARIZERS

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


def _boxes(n=64):
    """Features and (x1, y1, x2, y2) boxes that depend on them, for the box losses."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(n, 6, generator=generator)
    corner = x[:, :2]
    size = 1 + x[:, 2:4].abs()
    return x.numpy(), torch.cat([corner, corner + size], dim=1).numpy()


@pytest.fixture(scope="module")
def teacher_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("teacher")
    result = trainlab.fit(
        {"train": TRAIN, "data": "iris", "model": {"name": "mlp", "width": 8}, "out": str(out / "run")}
    )
    return str(result.run_dir)


@pytest.mark.parametrize("name", LOSSES.names())
def test_every_loss_trains(name, request):
    entry = LOSSES.get(name)
    if entry.flags.get("target_size") == 4:
        assert_trained(fit({"model": "mlp", "loss": name}, data=_boxes()))
        return
    options = {"teacher": request.getfixturevalue("teacher_run")} if name == "kd" else {}
    task = entry.flags.get("task", "any")
    datasets = {"classification": ["iris"], "regression": ["regression"], "any": ["iris", "regression"]}[task]
    for data in datasets:
        assert_trained(fit({"data": data, "model": "mlp", "loss": {"name": name, **options}}))


class WeightSnapshot:
    def on_fit_start(self, trainer):
        self.before = [p.detach().clone() for p in trainer.model.parameters()]


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_every_optimizer_trains_and_moves_the_weights(name):
    snapshot = WeightSnapshot()
    result = fit(
        {"data": "iris", "model": {"name": "mlp", "width": 8}, "optimizer": name}, callbacks=[snapshot]
    )
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


# ---- regularizers, layers, initialization -----------------------------------------------------------


@pytest.mark.parametrize("name", REGULARIZERS.names())
def test_every_regularizer_trains_and_penalties_are_logged(name):
    result = fit({"data": "iris", "model": {"name": "mlp", "width": 8}, "regularizers": [name]})
    assert_trained(result)
    if callable(REGULARIZERS.create(name)):
        steps = [r for r in result.history if r["type"] == "step"]
        assert all(f"penalty.{name}" in r and math.isfinite(r[f"penalty.{name}"]) for r in steps)


@pytest.mark.parametrize("name", ACTIVATIONS.names())
def test_every_activation_trains(name):
    assert_trained(fit({"data": "iris", "model": {"name": "mlp", "width": 8, "activation": name}}))


@pytest.mark.parametrize("name", NORMS.names())
def test_every_norm_trains(name):
    norm = {"name": name, "num_groups": 4} if name == "group" else name
    if 0 in NORMS.get(name).flags["spatial_dims"]:
        assert_trained(fit({"data": "iris", "model": {"name": "mlp", "width": 8, "norm": norm}}))
    else:
        assert_trained(fit({"data": "digits", "model": {"name": "cnn2d", "channels": [4], "norm": norm}}))


@pytest.mark.parametrize("name", POOLINGS.names())
def test_every_pooling_trains(name):
    assert_trained(fit({"data": "digits", "model": {"name": "cnn2d", "channels": [4], "pool": name}}))


@pytest.mark.parametrize("name", DROPOUTS.names())
def test_every_dropout_trains(name):
    if name == "spatial":
        model = {"name": "cnn2d", "channels": [4], "dropout": {"name": name, "p": 0.2}}
        assert_trained(fit({"data": "digits", "model": model}))
    else:
        assert_trained(
            fit({"data": "iris", "model": {"name": "mlp", "width": 8, "dropout": {"name": name, "p": 0.2}}})
        )


@pytest.mark.parametrize("name", INITS.names())
def test_every_init_trains(name):
    model = {"name": "resnet", "width": 8} if name == "zero_init_residual" else {"name": "mlp", "width": 8}
    assert_trained(fit({"data": "iris", "model": model, "init": name}))


# ---- data tricks, imbalance, callbacks ------------------------------------------------------------------

_AUGMENT_SETUP = {
    "features": ("iris", {"name": "mlp", "width": 8}),
    "signal": ("mnist1d", {"name": "cnn1d", "channels": 4}),
    "image": ("digits", {"name": "cnn2d", "channels": [4]}),
}


@pytest.mark.parametrize("name", AUGMENTATIONS.names())
def test_every_augmentation_trains(name):
    data, model = _AUGMENT_SETUP[AUGMENTATIONS.get(name).flags["inputs"][0]]
    assert_trained(fit({"data": data, "model": model, "augment": [name]}))


@pytest.mark.parametrize("name", SAMPLERS.names())
def test_every_sampler_trains_on_long_tailed_data(name):
    data = {"name": "iris", "imbalance": {"ratio": 5}}
    assert_trained(fit({"data": data, "model": {"name": "mlp", "width": 8}, "sampler": name}))


@pytest.mark.parametrize("name", CALLBACKS.names())
def test_every_callback_trains(name):
    recipe = {"data": "iris", "model": {"name": "mlp", "width": 8}, "callbacks": [name]}
    assert_trained(trainlab.fit({"train": {**TRAIN, "eval_every": 1}, **recipe}, save=False))
