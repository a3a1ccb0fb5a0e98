"""Structured pruning: whole neurons and channels with the smallest weight norm are removed, so the model shrinks."""

from __future__ import annotations

import copy
from typing import Annotated, Any, Literal

import torch
from pydantic import Field
from torch import nn

from trainlab.errors import ModelError, TrainlabError
from trainlab.finetune.layers import find_head
from trainlab.registry import PRUNERS

# Models whose pruned widths their recipe can state (``model.width`` / ``model.channels``), so a
# pruned run directory rebuilds them from recipe.yaml and loads its safetensors, with nothing unpickled.
REBUILDABLE = ("mlp", "cnn1d")


@PRUNERS.register(
    "structured",
    reference="Li, Kadav, Durdanovic, Samet & Graf 2017, Pruning Filters for Efficient ConvNets, "
    "arXiv:1608.08710; dependency graph: Fang et al. 2023, DepGraph, arXiv:2301.12900 (torch-pruning)",
    flags={"structured": True},
)
class StructuredPruner:
    """Structured: remove the hidden neurons (Linear) and channels (Conv) with the smallest weight norm.

    Each hidden layer loses the same fraction of its units, ranked by the Lp norm of the weights
    that compute each unit (a row of a Linear weight, a filter of a Conv). torch-pruning's
    dependency graph removes the unit everywhere it is used (the next layer's inputs, a
    normalization's statistics, a flattened classifier's columns), so the result is a smaller
    dense model, faster without sparse kernels. The output layer keeps all its units.

    Args:
        sparsity: Fraction of each hidden layer's neurons or channels removed, in [0, 1).
        norm: 1 for the L1 norm (Li et al. 2017), 2 for the L2 norm.
    """

    def __init__(self, sparsity: Annotated[float, Field(ge=0.0, lt=1.0)], norm: Literal[1, 2] = 1):
        self.sparsity, self.norm = sparsity, norm
        self.kept: dict[str, torch.Tensor] = {}  # set by shrink: the surviving unit indices of each layer

    def shrink(self, model: nn.Module, example_inputs: torch.Tensor) -> nn.Module:
        """A pruned copy of ``model`` (the original is untouched); ``self.kept`` says which units survived.

        Raises:
            TrainlabError: torch-pruning is not installed.
            ModelError: the model has no hidden Linear or Conv layer to prune.
        """
        try:
            import torch_pruning  # type: ignore[import-untyped]
        except ImportError:
            raise TrainlabError(
                "structured pruning needs torch-pruning; install it with pip install 'trainlab[prune]'"
            ) from None
        pruned = copy.deepcopy(model).eval()
        _, head = find_head(pruned)
        graph = torch_pruning.DependencyGraph().build_dependency(
            pruned, example_inputs=example_inputs, verbose=False
        )
        names = {module: name for name, module in pruned.named_modules()}
        self.kept = {}
        for group in list(graph.get_all_groups(ignored_layers=[head])):
            layer = group[0].dep.target.module
            units = layer.weight.shape[0]
            removed = min(round(self.sparsity * units), units - 1)
            scores = layer.weight.detach().flatten(1).norm(p=self.norm, dim=1)
            order = torch.sort(scores, stable=True).indices
            self.kept[names[layer]] = torch.sort(order[removed:]).values
            if removed:
                group.prune(idxs=order[:removed].tolist())
        if not self.kept:
            raise ModelError(f"{type(model).__name__} has no hidden Linear or Conv layer to prune")
        return pruned


def pruned_model_spec(model_spec: dict[str, Any], pruned: nn.Module) -> dict[str, Any]:
    """The recipe's ``model`` section that rebuilds ``pruned``: its new widths written in.

    Raises:
        TrainlabError: the model is not one whose recipe can state its pruned widths.
    """
    name = model_spec.get("name")
    if name == "mlp":
        widths = [
            module.out_features
            for module_name, module in pruned.named_children()
            if module_name.startswith("linear") and isinstance(module, nn.Linear)
        ]
        return {**model_spec, "depth": len(widths), "width": widths}
    if name == "cnn1d":
        channels = {module.out_channels for module in pruned.modules() if isinstance(module, nn.Conv1d)}
        if len(channels) == 1:
            return {**model_spec, "channels": channels.pop()}
    raise TrainlabError(
        f"--method structured: a run of model '{name}' cannot record its pruned widths in recipe.yaml "
        f"(only {', '.join(REBUILDABLE)} can); prune it from Python with "
        "trainlab.compress.prune.StructuredPruner(...).shrink(model, example_inputs), or use an unstructured method"
    )
