"""The recipe's fine-tuning sections: the schemas of ``unfreeze_schedule`` and ``discriminative_lr``."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class UnfreezeSchedule(BaseModel):
    """Gradual unfreezing (ULMFiT): the head trains first, then one more layer every ``every_steps``."""

    model_config = ConfigDict(extra="forbid")

    every_steps: Annotated[int, Field(ge=1)] = 100
    """Steps between unfreezing one more layer, from the head down to the input."""


class DiscriminativeLR(BaseModel):
    """A learning rate per depth: the head trains at the optimizer's lr, each layer below at ``factor`` times the one above."""

    model_config = ConfigDict(extra="forbid")

    factor: Annotated[float, Field(gt=0.0, le=1.0)]
    """Multiplier per layer of depth below the head (ULMFiT uses 1/2.6)."""
