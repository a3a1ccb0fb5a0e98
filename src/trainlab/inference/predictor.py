"""``trainlab.load``: a finished run as a Predictor (model, weights, fitted preprocessing, label mapping)."""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from trainlab.errors import DataError, TrainlabError
from trainlab.inference.preprocessing import Preprocessing, as_numpy_labels, read_preprocessing
from trainlab.run_dir import CALIBRATION

DEFAULT_BATCH_SIZE = 1024


class Predictor:
    """A trained model with the preprocessing and label mapping of its run.

    Inputs are in the user's own units and layout (what was passed to ``fit`` or stored in the
    data file): numpy arrays, torch tensors or nested lists of shape ``(N, *input_shape)``, or
    ``(N, F)`` rows with ``F`` the values of one sample. The predictor scales them with the
    statistics fitted on the run's training split and maps class indices back to the run's labels.

    Attributes:
        model: The torch module, in eval mode.
        preprocessing: The run's fitted scaling, input shape and classes.
        temperature: Logits are divided by it before the softmax (1.0 unless the run was calibrated).
        run_dir: Where the run was loaded from.
        model_spec: The run's ``model`` recipe section (``{name, **options}``); None for a model
            passed from Python.
    """

    def __init__(
        self,
        model: nn.Module,
        preprocessing: Preprocessing,
        *,
        temperature: float = 1.0,
        run_dir: Path | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        model_spec: dict[str, Any] | None = None,
    ):
        self.model = model.eval()
        self.model_spec = model_spec
        self.preprocessing = preprocessing
        self.temperature = temperature
        self.run_dir = run_dir
        self.batch_size = batch_size

    @property
    def classes(self) -> list[Any] | None:
        """The user's label of each output, in index order; None for regression."""
        if self.task != "classification":
            return None
        return self.preprocessing.classes

    @property
    def task(self) -> str:
        return self.preprocessing.task

    def preprocess(self, x: Any) -> torch.Tensor:
        """``x`` as the model's input: a float32 batch of the run's sample shape, scaled as in training.

        Raises:
            DataError: the samples have the wrong number of values, or hold NaN or infinite values.
        """
        batch = as_batch(x, self.preprocessing)
        self.preprocessing.check_inputs(batch)
        return self.preprocessing(batch)

    def logits(self, x: Any) -> torch.Tensor:
        """The model's raw outputs for ``x``, ``(N, outputs)``, computed in batches."""
        return self.model_outputs(self.preprocess(x))

    def predict_proba(self, x: Any) -> np.ndarray:
        """Class probabilities ``(N, K)``: the softmax of the logits divided by the temperature.

        Raises:
            TrainlabError: the run is a regression.
        """
        if self.task != "classification":
            raise TrainlabError("predict_proba: the run is a regression; use predict for its values")
        return self.scores(self.preprocess(x)).numpy()

    def predict(self, x: Any) -> np.ndarray:
        """Labels ``(N,)`` in the user's own classes, or regression values ``(N, *target_shape)``."""
        scores = self.scores(self.preprocess(x))
        if self.task != "classification":
            return scores.numpy()
        return self.labels(scores.argmax(dim=1).numpy())

    def labels(self, indices: np.ndarray) -> np.ndarray:
        """The user's labels of class indices."""
        return as_numpy_labels(self.classes, indices)

    def scores(self, inputs: torch.Tensor) -> torch.Tensor:
        """For preprocessed inputs: class probabilities (calibrated), or regression values ``(N, *target_shape)``."""
        outputs = self.model_outputs(inputs)
        if self.task != "classification":
            return outputs.reshape(len(outputs), *self.preprocessing.target_shape)
        return torch.softmax(outputs / self.temperature, dim=1)

    def model_outputs(self, inputs: torch.Tensor) -> torch.Tensor:
        """The model's outputs for preprocessed inputs, in batches of ``batch_size``, as float32 on the CPU."""
        device = next((p.device for p in self.model.parameters()), torch.device("cpu"))
        outputs = []
        with torch.inference_mode():
            for start in range(0, len(inputs), self.batch_size):
                outputs.append(self.model(inputs[start : start + self.batch_size].to(device)).float().cpu())
        return torch.cat(outputs) if outputs else torch.empty(0, 0)

    def embed(self, x: Any) -> np.ndarray:
        """Penultimate features ``(N, D)``: what the model's output layer receives, flattened.

        The output layer is the module named ``head`` (every built-in model has one), else the last
        ``nn.Linear``.

        Raises:
            TrainlabError: the model has neither.
        """
        head = output_layer(self.model)
        inputs = self.preprocess(x)
        with _captured_input(head) as captured:
            self.model_outputs(inputs)
        return torch.cat(captured).flatten(1).numpy()

    def __repr__(self) -> str:
        labels = f", classes={self.classes}" if self.classes is not None else ""
        return f"Predictor({type(self.model).__name__}, task={self.task}, input_shape={self.preprocessing.input_shape}{labels})"


def as_batch(x: Any, preprocessing: Preprocessing) -> torch.Tensor:
    """A float32 tensor ``(N, *input_shape)`` from an array, tensor or nested list of samples.

    Rows of ``F`` values (a table's layout) are reshaped to the sample shape when ``F`` is the
    number of values in one sample.

    Raises:
        DataError: ``x`` is not numeric.
    """
    if isinstance(x, torch.Tensor):
        batch = x.detach().cpu()
    else:
        try:
            array = np.asarray(x)
            if array.dtype.kind not in "biuf":
                raise ValueError(f"dtype {array.dtype}")
        except ValueError as exc:
            raise DataError(f"input: expected numbers, one sample per row ({exc})") from None
        # A copy: the array may be read-only (a memory-mapped file), and torch wants writable memory.
        batch = torch.from_numpy(np.array(array, dtype=np.float32))
    batch = batch.to(torch.float32)
    if (
        batch.ndim == 2
        and len(preprocessing.input_shape) > 1
        and batch.shape[1] == preprocessing.num_features
    ):
        batch = batch.reshape(len(batch), *preprocessing.input_shape)
    if batch.ndim == 1 and len(preprocessing.input_shape) == 1 and preprocessing.input_shape[0] == 1:
        batch = batch.reshape(-1, 1)  # one feature given flat, as fit takes it
    return batch


def output_layer(model: nn.Module) -> nn.Module:
    """The module whose input is the model's penultimate representation."""
    head = getattr(model, "head", None)
    if isinstance(head, nn.Module):
        return head
    linears = [module for module in model.modules() if isinstance(module, nn.Linear)]
    if not linears:
        raise TrainlabError(
            f"embed: {type(model).__name__} has no module named 'head' and no nn.Linear; name its output layer "
            "'head' to embed with it"
        )
    return linears[-1]


@contextmanager
def _captured_input(module: nn.Module) -> Iterator[list[torch.Tensor]]:
    captured: list[torch.Tensor] = []

    def keep(_: nn.Module, args: tuple[Any, ...]) -> None:
        captured.append(args[0].float().cpu())

    handle = module.register_forward_pre_hook(keep)
    try:
        yield captured
    finally:
        handle.remove()


def load(
    run_dir: str | os.PathLike[str],
    *,
    weights: str = "last",
    model: nn.Module | None = None,
    trust_code: bool = False,
) -> Predictor:
    """A finished run as a :class:`Predictor`: its model, weights, fitted preprocessing and classes.

    Weights load from safetensors (``last``) or a ``weights_only`` checkpoint (``best``); nothing
    is unpickled. A run whose model was passed to ``fit`` as a Python object records no
    architecture, so it loads only when the caller passes a module of that architecture again
    (``trainlab.load(run, model=m)``); its weights are loaded into ``m`` in place.

    Args:
        run_dir: A directory written by ``trainlab fit``.
        weights: ``last`` (the final weights) or ``best`` (the checkpoint with the best validation metric).
        model: The module, for a run whose model was passed from Python.
        trust_code: Consent to run the code the run's recipe references (``module:factory``).

    Returns:
        The predictor; ``calibration.json`` in the run (``trainlab calibrate``) sets its temperature.

    Raises:
        TrainlabError: not a run directory, no weights, a model that does not fit, or code without consent.
    """
    from trainlab.build import monitor_metric
    from trainlab.metrics import default_metrics
    from trainlab.metrics.defaults import higher_is_better
    from trainlab.recipe import validate_recipe
    from trainlab.recipe_yaml import read_recipe_file
    from trainlab.references import trusting_code
    from trainlab.run_dir import RECIPE, SUMMARY, WEIGHTS, RunDirectory, load_best_weights, load_model

    if weights not in ("last", "best"):
        raise TrainlabError(
            f"weights={weights!r}: use last (the final weights) or best (the best checkpoint)"
        )
    run = RunDirectory(run_dir)
    if not (run.path / RECIPE).is_file() or not (run.path / SUMMARY).is_file():
        raise TrainlabError(
            f"'{run.path}' is not a trainlab run directory (it has no {RECIPE} and {SUMMARY}); give the "
            "directory `trainlab fit` wrote"
        )
    if not (run.path / WEIGHTS).is_file():
        raise TrainlabError(
            f"'{run.path}' has no weights ({WEIGHTS}): the run did not finish; continue it with "
            f"`trainlab fit --resume {run.path}`"
        )
    raw = read_recipe_file(run.path / RECIPE)
    with trusting_code(trust_code):
        if model is None:
            if not raw.get("model"):
                raise TrainlabError(
                    f"the run in '{run.path}' trained a model passed from Python, so its directory records no "
                    "architecture; build the same module and pass it: trainlab.load(run_dir, model=module)"
                )
            network = load_model(run.path, trust_code=trust_code)
        else:
            if not isinstance(model, nn.Module):
                raise TrainlabError(f"model= must be a torch.nn.Module, got {type(model).__name__}")
            network = model
            run.load_weights(network)
        preprocessing = read_preprocessing(run.path) or _preprocessing_of_old_run(run.path, raw)
        if weights == "best":
            recipe = validate_recipe(raw, source=str(run.path / RECIPE), skip=("model",) if model else ())
            names = (
                [c.name for c in recipe.metrics]
                if recipe.metrics is not None
                else default_metrics(preprocessing.task)
            )
            monitored = monitor_metric(dict.fromkeys(names))
            load_best_weights(run, network, higher_is_better=higher_is_better(monitored))
    spec = raw.get("model") if model is None else None
    return Predictor(
        network,
        preprocessing,
        temperature=read_temperature(run.path, weights),
        run_dir=run.path,
        model_spec={"name": spec} if isinstance(spec, str) else spec,
    )


def read_temperature(run_path: Path, weights: str = "last") -> float:
    """The temperature ``trainlab calibrate`` stored in ``calibration.json``, or 1.0 when uncalibrated.

    A temperature fitted to the other weights (``last`` against ``best``) is not applied: it was
    fitted to another model's logits. A warning says so and how to calibrate these weights.

    Raises:
        TrainlabError: the file is damaged or its temperature is not a positive number.
    """
    path = run_path / CALIBRATION
    if not path.is_file():
        return 1.0
    try:
        stored = json.loads(path.read_text())
        temperature = stored["temperature"]
        fitted_to = stored.get("weights", "last")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TrainlabError(
            f"{path} is damaged ({type(exc).__name__}: {exc}); run `trainlab calibrate` again"
        ) from None
    if (
        isinstance(temperature, bool)
        or not isinstance(temperature, (int, float))
        or not temperature > 0
        or not math.isfinite(temperature)
    ):
        raise TrainlabError(
            f"{path}: temperature {temperature!r} is not a positive number; run `trainlab calibrate` again"
        )
    if fitted_to != weights:
        warnings.warn(
            f"{path} holds a temperature fitted to the {fitted_to} weights, so it is not applied to the "
            f"{weights} weights; calibrate these with `trainlab calibrate {run_path} --weights {weights}`",
            stacklevel=3,
        )
        return 1.0
    return float(temperature)


def _preprocessing_of_old_run(run_path: Path, raw: dict[str, Any]) -> Preprocessing:
    """The preprocessing of a run saved before ``preprocessing.json`` existed, from what it recorded.

    Its classes and shapes are in summary.json. Its scaling statistics were not saved: for a
    registered dataset they are fitted again on the same training split (the split is fixed by
    ``split_seed``, so they come out the same); for data passed from Python they are lost.
    """
    from trainlab.build import build_data
    from trainlab.recipe import validate_recipe
    from trainlab.registry import DATASETS

    summary = json.loads((run_path / "summary.json").read_text())
    data = summary["data"]
    task = data["task"]
    outputs = data.get("num_outputs") or 1
    preprocessing = Preprocessing(
        task=task,
        input_shape=tuple(data["input_shape"]),
        classes=data.get("classes"),
        target_shape=() if task == "classification" or outputs == 1 else (outputs,),
    )
    scaling = data.get("scaling", "none")
    if scaling == "none":
        return preprocessing
    name = (raw.get("data") or {}).get("name")
    if name in DATASETS:
        bundle = build_data(validate_recipe(raw, source=str(run_path / "recipe.yaml"), skip=("model",)))
        fitted = Preprocessing.from_bundle(bundle)
        preprocessing.scaling, preprocessing.scaler = fitted.scaling, fitted.scaler
        preprocessing.notes.append(
            f"scaling fitted again on the recipe's training split ({scaling}): the run predates saved preprocessing"
        )
    else:
        preprocessing.notes.append(
            f"the run's {scaling} statistics were not saved (it predates saved preprocessing) and its data came "
            "from Python: inputs reach the model unscaled, so scale them as in training first"
        )
        warnings.warn(f"'{run_path}': {preprocessing.notes[-1]}", stacklevel=3)
    return preprocessing
