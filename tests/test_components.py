"""Registry-generated checks: every registered component is built from a recipe and learns.

Registering a component therefore means it is tested; a new name shows up here automatically.
Each kind trains on a small problem that any working component must make progress on, full batch
(every step sees the same samples, so the loss is deterministic), and the test asserts the loss
fell by at least a tenth, not merely that it stayed finite.
"""

import math

import numpy as np
import pytest
import torch

import trainlab
from trainlab.data import AUGMENTATIONS, SAMPLERS, load_data
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

# One intra-op thread: the models are tiny, and a busy machine then can't stall every op.
TRAIN = {"steps": 3, "batch_size": 16, "log_every": 1, "threads": 1}
# Full batch: larger than any training split used below.
LEARN = {"steps": 15, "batch_size": 4096, "log_every": 1, "threads": 1}
ADAM = {"name": "adam", "lr": 0.05}
SMALL_MLP = {"name": "mlp", "width": 8}
# Losses that read a particular model's parts: the multi-task heads.
MODEL_FOR_LOSS = {"multitask": {"name": "multitask", "trunk": SMALL_MLP, "features": 8}}


@pytest.fixture(autouse=True, scope="module")
def _restore_thread_count():
    """train.threads sets torch's thread count for the process; later tests get theirs back."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def fit(recipe, **kwargs):
    return trainlab.fit({"train": TRAIN, **recipe}, save=False, **kwargs)


def learn(recipe, **kwargs):
    """Fit full batch with Adam (unless the recipe says otherwise) for LEARN's steps."""
    return trainlab.fit({"train": LEARN, "optimizer": ADAM, **recipe}, save=False, **kwargs)


def step_losses(result):
    return [r["loss"] for r in result.history if r["type"] == "step"]


def assert_trained(result):
    losses = step_losses(result)
    assert len(losses) == TRAIN["steps"]
    assert all(math.isfinite(loss) for loss in losses)
    assert result.summary["run"]["steps"] == TRAIN["steps"]


def assert_learned(result, steps=LEARN["steps"], by=0.9):
    """Every step logged and finite, and the last step's loss at most ``by`` times the first's."""
    losses = step_losses(result)
    assert len(losses) == steps == result.summary["run"]["steps"]
    assert all(math.isfinite(loss) for loss in losses)
    assert losses[-1] <= by * losses[0], f"loss went from {losses[0]:.4g} to {losses[-1]:.4g}"


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
    assert_learned(learn({"data": {"name": name, **options}, "model": {"name": "mlp", "width": 16}}))


# ---- models ---------------------------------------------------------------------------------------

# One dataset per input kind; a model learns on the first 128 training samples of each kind it takes
# (memorising a small set is what any model must be able to do, and it keeps full batches cheap).
MODEL_DATA = {"features": "iris", "image": "digits", "signal": "mnist1d"}


@pytest.fixture(scope="module")
def small_sets():
    sets = {}
    for kind, name in MODEL_DATA.items():
        inputs, labels = load_data(name).train.tensors
        sets[kind] = (inputs[:128].numpy(), labels[:128].numpy())
    return sets


# from_run needs a run to start from: tests/finetune trains it. Representation models (their own
# objective, some on [0, 1] inputs only) learn in tests/representation/test_learning.py.
@pytest.mark.parametrize(
    "name", [e.name for e in MODELS if not e.flags.get("needs_run") and not e.flags.get("objective")]
)
def test_every_model_learns(name, small_sets):
    fitted = []
    for kind, data in small_sets.items():
        try:
            result = learn({"model": name}, data=data)
        except ModelError:
            continue  # this model does not take this input kind; another must
        assert_learned(result)
        fitted.append(kind)
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
    # A teacher that has learned something, so that matching it is progress.
    recipe = {"train": LEARN, "optimizer": ADAM, "data": "iris", "model": SMALL_MLP, "out": str(out / "run")}
    return str(trainlab.fit(recipe).run_dir)


# model_objective is the objective of representation models: tests/representation/test_learning.py.
@pytest.mark.parametrize("name", [e.name for e in LOSSES if e.flags.get("task") != "representation"])
def test_every_loss_learns(name, request):
    entry = LOSSES.get(name)
    if entry.flags.get("target_size") == 4:
        assert_learned(learn({"model": SMALL_MLP, "loss": name}, data=_boxes()))
        return
    options = {"teacher": request.getfixturevalue("teacher_run")} if name == "kd" else {}
    task = entry.flags.get("task", "any")
    datasets = {"classification": ["iris"], "regression": ["regression"], "any": ["iris", "regression"]}[task]
    model = MODEL_FOR_LOSS.get(name, SMALL_MLP)
    if entry.flags.get("needs") == "cosine_head":
        model = {**SMALL_MLP, "head": "cosine"}
    for data in datasets:
        assert_learned(learn({"data": data, "model": model, "loss": {"name": name, **options}}))


class WeightSnapshot:
    def on_fit_start(self, trainer):
        self.before = [p.detach().clone() for p in trainer.model.parameters()]


# The catalog's learning rates suit long runs of minibatches; in 15 full-batch steps most optimizers
# need a larger one to cut the loss by a tenth (sign steps of lr per weight, RAdam's unadapted first
# steps, the trust ratios of LAMB and LARS, Adafactor's relative steps, SAM's inner SGD).
SHORT_RUN_OPTIONS = {
    "adabelief": {"lr": 0.03},
    "adafactor": {"lr": 0.1},
    "adam": {"lr": 0.01},
    "adamax": {"lr": 0.03},
    "adamw": {"lr": 0.01},
    "amsgrad": {"lr": 0.01},
    "asam": {"base_options": {"lr": 0.5}},
    "asgd": {"lr": 0.5},
    "lamb": {"lr": 0.03},
    "lars": {"lr": 10.0},
    "lion": {"lr": 0.01},
    "lookahead": {"base_options": {"lr": 0.01}},
    "nadam": {"lr": 0.03},
    "radam": {"lr": 0.1},
    "schedule_free_adamw": {"lr": 0.03},
    "sgd": {"lr": 0.5},
    "textbook_adam": {"lr": 0.01},
}
# Newton's method solves a linear system in the Hessian every step, so a few steps say enough.
SHORT_RUN_STEPS = {"newton": 3}


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_every_optimizer_learns_and_moves_every_weight(name):
    snapshot = WeightSnapshot()
    steps = SHORT_RUN_STEPS.get(name, LEARN["steps"])
    recipe = {
        "data": "iris",
        "model": SMALL_MLP,
        "optimizer": {"name": name, **SHORT_RUN_OPTIONS.get(name, {})},
        "train": {**LEARN, "steps": steps},
    }
    if OPTIMIZERS.get(name).flags.get("needs_residuals"):
        recipe["loss"] = "mse"  # least squares (Levenberg-Marquardt) fits one-hot targets
    result = learn(recipe, callbacks=[snapshot])
    assert_learned(result, steps=steps)
    after = list(result.model.parameters())
    assert all(not torch.equal(a, b) for a, b in zip(after, snapshot.before, strict=True))


@pytest.mark.parametrize("name", SCHEDULES.names())
def test_every_schedule_learns(name):
    assert_learned(learn({"data": "iris", "model": SMALL_MLP, "schedule": name}))


@pytest.mark.parametrize("name", METRICS.names())
def test_every_metric_is_reported(name):
    task = METRICS.get(name).flags["task"]
    data = "iris" if task == "classification" else "regression"
    result = fit({"data": data, "model": "mlp", "metrics": [name]})
    assert_trained(result)
    assert name in result.summary["test"]


# ---- regularizers, layers, initialization -----------------------------------------------------------


@pytest.mark.parametrize("name", REGULARIZERS.names())
def test_every_regularizer_learns_and_penalties_are_logged(name):
    result = learn({"data": "iris", "model": SMALL_MLP, "regularizers": [name]})
    assert_learned(result)
    if callable(REGULARIZERS.create(name)):
        steps = [r for r in result.history if r["type"] == "step"]
        assert all(f"penalty.{name}" in r and math.isfinite(r[f"penalty.{name}"]) for r in steps)


@pytest.mark.parametrize("name", ACTIVATIONS.names())
def test_every_activation_learns(name):
    assert_learned(learn({"data": "iris", "model": {**SMALL_MLP, "activation": name}}))


@pytest.mark.parametrize("name", NORMS.names())
def test_every_norm_learns(name):
    norm = {"name": name, "num_groups": 4} if name == "group" else name
    if 0 in NORMS.get(name).flags["spatial_dims"]:
        assert_learned(learn({"data": "iris", "model": {**SMALL_MLP, "norm": norm}}))
    else:
        assert_learned(learn({"data": "digits", "model": {"name": "cnn2d", "channels": [4], "norm": norm}}))


@pytest.mark.parametrize("name", POOLINGS.names())
def test_every_pooling_learns(name):
    assert_learned(learn({"data": "digits", "model": {"name": "cnn2d", "channels": [8], "pool": name}}))


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


# ---- option docs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind",
    [
        "activation",
        "norm",
        "pooling",
        "dropout",
        "init",
        "model",
        "loss",
        "regularizer",
        "schedule",
        "callback",
    ],
)
def test_every_option_is_documented(kind):
    undocumented = {
        entry.name: [name for name, option in entry.describe()["options"].items() if not option["doc"]]
        for entry in trainlab.catalog(kind)
    }
    assert {name: options for name, options in undocumented.items() if options} == {}
