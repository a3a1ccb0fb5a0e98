"""Pruning: the ``pruner`` registry (magnitude, random, structured), gradual pruning, lottery tickets, ``prune``."""

from trainlab.compress.prune.gradual import GradualPruning, polynomial_sparsity
from trainlab.compress.prune.lottery import LotteryResult, lottery_ticket
from trainlab.compress.prune.magnitude import GlobalMagnitude, LayerMagnitude, magnitude_masks
from trainlab.compress.prune.masks import MaskedTraining, apply_masks, layer_sparsity, prunable_weights
from trainlab.compress.prune.random_pruner import RandomPruner
from trainlab.compress.prune.run import PruneResult, check_sparsity, prune
from trainlab.compress.prune.structured import StructuredPruner

__all__ = [
    "GlobalMagnitude",
    "GradualPruning",
    "LayerMagnitude",
    "LotteryResult",
    "MaskedTraining",
    "PruneResult",
    "RandomPruner",
    "StructuredPruner",
    "apply_masks",
    "check_sparsity",
    "layer_sparsity",
    "lottery_ticket",
    "magnitude_masks",
    "polynomial_sparsity",
    "prunable_weights",
    "prune",
]
