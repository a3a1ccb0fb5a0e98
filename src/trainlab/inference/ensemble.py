"""Several runs that predict as one: each preprocesses the inputs its own way, their scores are averaged."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import torch

from trainlab.errors import TrainlabError
from trainlab.inference.predictor import Predictor, as_batch


class Scorer(Protocol):
    """Scores (probabilities or values) of preprocessed inputs: a Predictor, or one with TTA."""

    def scores(self, inputs: torch.Tensor) -> torch.Tensor: ...


class Ensemble:
    """The mean of several runs' scores: class probabilities for classification, values for regression.

    Averaging probabilities (not logits or votes) is the usual deep-ensemble combination
    (Lakshminarayanan, Pritzel & Blundell 2017, arXiv:1612.01474). Each run keeps its own
    fitted scaling, so runs trained with different preprocessing still combine correctly.

    Args:
        predictors: The runs; the first sets the classes and layout the others must share.
        scorers: What scores each run (the predictor itself, or with TTA); defaults to the predictors.

    Raises:
        TrainlabError: the runs differ in task, classes or input shape.
    """

    def __init__(self, predictors: Sequence[Predictor], scorers: Sequence[Scorer] | None = None):
        first = predictors[0]
        for other in predictors[1:]:
            for what, mine, theirs in (
                ("task", first.task, other.task),
                ("classes", first.classes, other.classes),
                ("input shape", first.preprocessing.input_shape, other.preprocessing.input_shape),
            ):
                if mine != theirs:
                    raise TrainlabError(
                        f"--ensemble: '{other.run_dir}' has {what} {theirs} but '{first.run_dir}' has {mine}; "
                        "an ensemble averages runs trained on the same task, classes and input layout"
                    )
        self.predictors = list(predictors)
        self.scorers: list[Scorer] = list(scorers) if scorers is not None else list(predictors)

    @property
    def lead(self) -> Predictor:
        return self.predictors[0]

    def scores(self, batch: np.ndarray, *, first_row: int = 0, source: str = "input") -> torch.Tensor:
        """Mean scores of a batch of raw samples (the user's units and layout)."""
        raw = as_batch(batch, self.lead.preprocessing)
        self.lead.preprocessing.check_inputs(raw, source=source, first_row=first_row)
        total = sum(
            scorer.scores(predictor.preprocessing(raw))
            for predictor, scorer in zip(self.predictors, self.scorers, strict=True)
        )
        return total / len(self.predictors)  # type: ignore[return-value]
