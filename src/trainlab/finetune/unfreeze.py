"""Gradual unfreezing (ULMFiT): train the head first, then unfreeze one more layer, top-down, every few steps."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from trainlab.finetune.layers import model_layers
from trainlab.registry import CALLBACKS


@CALLBACKS.register(
    "gradual_unfreezing",
    reference="Howard & Ruder 2018, Universal Language Model Fine-tuning for Text Classification "
    "(ULMFiT), arXiv:1801.06146, sec. 3.2",
)
class GradualUnfreezing:
    """Start with only the head trainable; every ``every_steps`` steps the next layer down becomes trainable.

    Layers are found by :func:`trainlab.finetune.layers.model_layers`. At step ``s`` the top
    ``1 + s // every_steps`` layers train, so after ``(layers - 1) * every_steps`` steps the whole
    model does. Parameters frozen before training (the recipe's ``freeze``) stay frozen. A layer
    not yet unfrozen has no gradient, so the optimizer keeps no state for it and leaves it
    unchanged. The layout follows the step alone, so a resumed run continues where it was.

    Args:
        every_steps: Steps between unfreezing one more layer.
    """

    def __init__(self, every_steps: Annotated[int, Field(ge=1)] = 100):
        self.every_steps = every_steps
        self.layers: list[list[Any]] = []

    def on_fit_start(self, trainer: Any) -> None:
        named = dict(trainer.model.named_parameters())
        # Only the parameters trainable now are scheduled: a parameter frozen on purpose stays frozen.
        self.layers = [
            [named[name] for name in layer.parameters if named[name].requires_grad]
            for layer in model_layers(trainer.model)
        ]
        self._apply(trainer.step)

    def on_step_end(self, trainer: Any) -> None:
        if trainer.step % self.every_steps == 0:
            self._apply(trainer.step)

    def trainable_layers(self, step: int) -> int:
        """How many layers, counted from the head, train at ``step``."""
        return min(len(self.layers), 1 + step // self.every_steps)

    def _apply(self, step: int) -> None:
        first_trainable = len(self.layers) - self.trainable_layers(step)
        for index, params in enumerate(self.layers):
            for param in params:
                param.requires_grad_(index >= first_trainable)
