"""Expected calibration error of a finished run's model, evaluated again from its saved weights."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from trainlab.studies.registries import MEASURES


@MEASURES.register(
    "ece",
    reference="Guo, Pleiss, Sun & Weinberger 2017, On Calibration of Modern Neural Networks, "
    "arXiv:1706.04599 (expected calibration error over equal-width confidence bins)",
)
class ExpectedCalibrationError:
    """Expected calibration error of the run's last weights on one split (the ``ece`` metric)."""

    def __init__(self, split: Literal["val", "test"] = "test", bins: Annotated[int, Field(ge=2)] = 15):
        """Options of the measure.

        Args:
            split: The held-out split evaluated.
            bins: Equal-width confidence bins.
        """
        self.split, self.bins = split, bins

    def __call__(self, run_dir: Path) -> float:
        from trainlab.api import evaluate

        metrics = json.dumps([{"name": "ece", "bins": self.bins}])
        results = evaluate(run_dir, splits=[self.split], overrides=[f"metrics={metrics}"])
        return float(results[self.split]["ece"])
