"""Use what you trained: ``load`` a run as a Predictor, predict on files of new inputs, export the model."""

from __future__ import annotations

from trainlab.inference.predictor import Predictor, load
from trainlab.inference.preprocessing import Preprocessing

__all__ = ["Predictor", "Preprocessing", "load"]
