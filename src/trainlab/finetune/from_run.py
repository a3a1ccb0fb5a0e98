"""The ``from_run`` model: a finished run's model and weights, with a new head for the new task's classes."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from torch import nn

from trainlab.errors import ConfigError, Problem, TrainlabError
from trainlab.finetune.layers import find_head, replace_head
from trainlab.models._shapes import ALL_KINDS
from trainlab.registry import MODELS


@MODELS.register(
    "from_run",
    reference="Yosinski, Clune, Bengio & Lipson 2014, How transferable are features in deep neural networks?, "
    "arXiv:1411.1792",
    # Any input kind: the run's model decides, and its input shape is checked against the data.
    flags={"inputs": ALL_KINDS, "needs_run": True},
)
def from_run(
    input_shape: tuple[int, ...],
    num_outputs: int,
    *,
    run: str,
    head: Literal["new", "keep"] = "new",
    architecture: str | dict[str, Any] | None = None,
) -> nn.Module:
    """A finished run's model, built from its recipe.yaml and loaded with its model.safetensors.

    The model is rebuilt through the model registry and loaded with safetensors, so nothing is
    unpickled; a run whose model is your own code (``module:factory``) needs ``--trust-code``
    here as it would to evaluate it. The output width is the new data's number of classes (or
    regression outputs), set by trainlab as for every model.

    The head replaced by ``head: new`` is the model's ``head`` attribute when that is an
    ``nn.Linear`` (every built-in model has one), else its last ``nn.Linear`` in registration
    order; the new one is freshly initialized (torch's default) with the same input width.

    Args:
        input_shape: Shape of one sample of the new data; must be the run's.
        num_outputs: Outputs the new data needs.
        run: The run directory to start from.
        head: ``new`` replaces the output layer (the classes differ); ``keep`` keeps it (the
            same classes, e.g. more training on new data), which needs the run's output width.
        architecture: The model you expect the run to hold, e.g. ``cnn1d`` or
            ``{name: cnn1d, channels: 25}``; a run whose recipe differs is an error naming both.
            None accepts whatever the run trained.

    Raises:
        ConfigError: the directory holds no finished run with weights, its input shape or output
            width does not fit the data, or its architecture is not ``architecture``.
    """
    from trainlab.recipe_yaml import read_recipe_file
    from trainlab.references import code_trusted
    from trainlab.run_dir import RECIPE, WEIGHTS, RunDirectory, load_model

    directory = RunDirectory(run)
    if not directory.path.is_dir():
        raise ConfigError(
            [Problem("run", f"'{run}' is not a directory; give a run directory of `trainlab fit`")]
        )
    if not (directory.path / WEIGHTS).is_file():
        raise ConfigError(
            [
                Problem(
                    "run", f"'{run}' has no {WEIGHTS}: it is not a finished run; finish it or choose another"
                )
            ]
        )
    trained = read_recipe_file(directory.path / RECIPE) if (directory.path / RECIPE).is_file() else {}
    _check_architecture(architecture, trained.get("model"), run)
    try:
        model = load_model(directory.path, trust_code=code_trusted())
        data = directory.read_summary()["data"]
    except TrainlabError as exc:
        raise ConfigError([Problem("run", str(exc))]) from None
    trained_shape = tuple(data["input_shape"])
    if trained_shape != tuple(input_shape):
        raise ConfigError(
            [
                Problem(
                    "run",
                    f"the run in '{run}' was trained on inputs of shape {trained_shape}, but this data's "
                    f"inputs have shape {tuple(input_shape)}; fine-tune on data of the run's input shape",
                )
            ]
        )
    if head == "new":
        replace_head(model, num_outputs)
        return model
    _, output_layer = find_head(model)
    if output_layer.out_features != num_outputs:
        raise ConfigError(
            [
                Problem(
                    "head",
                    f"keep: the run's head has {output_layer.out_features} outputs, but this data needs "
                    f"{num_outputs}; use head: new",
                )
            ]
        )
    return model


def _check_architecture(expected: str | dict[str, Any] | None, trained: Any, run: str) -> None:
    """``expected`` against the run's recorded ``model`` spec: the name and every option given."""
    if expected is None:
        return
    want = {"name": expected} if isinstance(expected, str) else dict(expected)
    have = {"name": trained} if isinstance(trained, str) else dict(trained or {})
    differing = [key for key, value in want.items() if have.get(key) != value]
    if differing:
        shown = {key: have.get(key) for key in want}
        raise ConfigError(
            [
                Problem(
                    "architecture",
                    f"expects {want}, but the run in '{Path(run)}' trained {shown} (all its options: {have}); "
                    "fix model.architecture or model.run",
                )
            ]
        )
