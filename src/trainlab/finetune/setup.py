"""A recipe's fine-tuning sections applied to its model: frozen parameters, the callbacks, and what the summary says."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from torch import nn

from trainlab.errors import ConfigError, Problem
from trainlab.finetune.batch_norm import FreezeBatchNormStats
from trainlab.finetune.freezing import freeze, frozen_counts
from trainlab.finetune.layers import model_layers
from trainlab.finetune.unfreeze import GradualUnfreezing

if TYPE_CHECKING:
    from trainlab.recipe import Recipe


@dataclass
class Finetuning:
    """The fine-tuning a run does: what it froze, and the callbacks that keep batch norm or unfreeze layers."""

    summary: dict[str, Any]
    """What summary.json records under ``finetune``."""
    callbacks: list[Any] = field(default_factory=list)

    @classmethod
    def from_recipe(cls, recipe: Recipe, model: nn.Module, *, distributed: bool = False) -> Finetuning | None:
        """Freeze the recipe's ``freeze`` patterns in ``model`` (before its optimizer is built) and
        make the callbacks of ``freeze_bn_stats`` and ``unfreeze_schedule``; None when the recipe
        uses none of the fine-tuning sections.

        Raises:
            ConfigError: a ``freeze`` pattern that matches no parameter, or gradual unfreezing in a
                data-parallel run (DistributedDataParallel fixes the parameters it syncs when it wraps the model).
        """
        sections = (recipe.freeze, recipe.freeze_bn_stats, recipe.unfreeze_schedule, recipe.discriminative_lr)
        if not any(sections):
            return None
        freeze(model, recipe.freeze)
        summary: dict[str, Any] = {"freeze": list(recipe.freeze), **frozen_counts(model)}
        callbacks: list[Any] = []
        if recipe.freeze_bn_stats:
            callbacks.append(FreezeBatchNormStats())
        summary["freeze_bn_stats"] = recipe.freeze_bn_stats
        layers = len(model_layers(model))
        summary["layers"] = layers
        if recipe.unfreeze_schedule is not None:
            if distributed:
                raise ConfigError(
                    [
                        Problem(
                            "unfreeze_schedule",
                            "does not work with several processes (DDP syncs only the parameters trainable "
                            "when it starts); train with one process, or use freeze instead",
                        )
                    ]
                )
            every = recipe.unfreeze_schedule.every_steps
            callbacks.append(GradualUnfreezing(every))
            summary["unfreeze_schedule"] = {
                "every_steps": every,
                "all_layers_train_from_step": (layers - 1) * every,
            }
        if recipe.discriminative_lr is not None:
            summary["discriminative_lr"] = {"factor": recipe.discriminative_lr.factor}
        return cls(summary=summary, callbacks=callbacks)
