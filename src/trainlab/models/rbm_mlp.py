"""An MLP classifier initialized from a greedily trained RBM stack (the deep-belief-net recipe), then fine-tuned."""

from __future__ import annotations

from typing import cast

from torch import nn

from trainlab.errors import ConfigError, Problem, TrainlabError
from trainlab.models.mlp import mlp
from trainlab.models.rbm import RBMStack
from trainlab.registry import MODELS


@MODELS.register(
    "mlp_from_rbm",
    reference="Hinton, Osindero & Teh 2006, A Fast Learning Algorithm for Deep Belief Nets (Neural Comp. 18); "
    "Erhan et al. 2010, Why Does Unsupervised Pre-training Help Deep Learning? (JMLR 11)",
    flags={"inputs": ("features", "signal", "image"), "needs_run": True},
)
def mlp_from_rbm(input_shape: tuple[int, ...], num_outputs: int, *, run: str) -> nn.Module:
    """The ``mlp`` of the stack's shape (sigmoid units) with its hidden layers set to the RBMs' weights.

    Hidden layer i computes sigmoid(W_i h + c_i), the i-th RBM's hidden probabilities; the head is
    new. Compared with ``{name: mlp, depth: D, width: [...], activation: sigmoid}`` the network is
    the same and only the initialization differs, which is what the pretraining claim compares.

    Args:
        input_shape: Shape of one sample; must be the RBM run's.
        num_outputs: Classes of the new task.
        run: A finished run of the ``rbm`` model (trained on the same inputs and scaling).

    Raises:
        ConfigError: the run is missing or is not an RBM run, or its input shape differs.
    """
    from trainlab.references import code_trusted
    from trainlab.run_dir import load_model

    try:
        stack = load_model(run, trust_code=code_trusted())
    except TrainlabError as exc:
        raise ConfigError([Problem("run", str(exc))]) from None
    if not isinstance(stack, RBMStack):
        raise ConfigError(
            [
                Problem(
                    "run", f"the run in '{run}' trained {type(stack).__name__}, not an rbm; give an rbm run"
                )
            ]
        )
    layers = stack.rbms
    visible = layers[0].weight.shape[1]
    features = 1
    for size in input_shape:
        features *= size
    if visible != features:
        raise ConfigError(
            [
                Problem(
                    "run",
                    f"the RBM in '{run}' has {visible} visible units but these inputs have {features} values",
                )
            ]
        )
    widths = [layer.weight.shape[0] for layer in layers]
    network = mlp(input_shape, num_outputs, depth=len(widths), width=widths, activation="sigmoid")
    for index, rbm in enumerate(layers, start=1):
        linear = cast(nn.Linear, getattr(network, f"linear{index}"))
        linear.weight.data.copy_(rbm.weight.detach())
        linear.bias.data.copy_(rbm.hidden_bias.detach())
    return network
