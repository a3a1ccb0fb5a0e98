"""A metric of an optimizer's path on a 2-D playground function (the study's ``playground:`` arms)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from trainlab.errors import TrainlabError
from trainlab.studies.registries import MEASURES

# What a playground arm writes into its run directory (see trainlab.studies.playground_arm).
PLAYGROUND_FILE = "playground.json"

PlaygroundMetric = Literal["steps_to_tolerance", "final_value", "final_distance", "effective_lr_ratio"]


@MEASURES.register(
    "playground_metric",
    flags={"playground": True},
    reference="trainlab.playground (2-D test functions); Goh 2017, Why Momentum Really Works "
    "(Distill), for the ill-conditioned quadratic",
)
class PlaygroundMeasure:
    """A metric of a playground arm's trajectory: steps to tolerance, final value or distance, effective lr.

    ``effective_lr_ratio`` is, per coordinate i, the step per unit of gradient |x_{t+1,i} - x_{t,i}| /
    |g_{t,i}| (the learning rate a diagonal method applies to that coordinate) averaged over the
    last ``window`` steps and divided by its average over the first ``window``; the geometric mean
    over the coordinates. 1 for plain gradient descent, below 1 where the effective rate decays.
    """

    def __init__(
        self, metric: PlaygroundMetric = "steps_to_tolerance", window: Annotated[int, Field(ge=1)] = 10
    ):
        """Options of the measure.

        Args:
            metric: ``steps_to_tolerance`` (never reached: steps + 1), ``final_value`` (f at the end),
                ``final_distance`` (to the nearest minimizer) or ``effective_lr_ratio``.
            window: Steps averaged at each end for ``effective_lr_ratio``.
        """
        self.metric, self.window = metric, window

    def __call__(self, run_dir: Path) -> float:
        path = run_dir / PLAYGROUND_FILE
        if not path.is_file():
            raise TrainlabError(
                f"measure: '{run_dir}' has no {PLAYGROUND_FILE}; playground_metric needs a study with a playground: base"
            )
        record = json.loads(path.read_text())
        if self.metric == "steps_to_tolerance":
            reached = record["steps_to_tolerance"]
            return float(reached if reached is not None else record["steps"] + 1)
        if self.metric == "final_value":
            return float(record["values"][-1])
        if self.metric == "final_distance":
            return float(record["final_distance"])
        logs = []
        for coordinate in range(len(record["gradients"][0])):
            ratios = [
                abs(step[coordinate]) / abs(grad[coordinate])
                for step, grad in zip(record["steps_taken"], record["gradients"], strict=True)
                # A step lost to float64 rounding next to x (or a zero gradient) says nothing about the rate.
                if grad[coordinate] != 0.0 and step[coordinate] != 0.0
            ]
            if len(ratios) < 2 * self.window:
                raise TrainlabError(
                    f"measure.window: {self.window} needs at least {2 * self.window} playground steps"
                )
            first = math.fsum(ratios[: self.window]) / self.window
            last = math.fsum(ratios[-self.window :]) / self.window
            logs.append(math.log(last / first))
        return math.exp(math.fsum(logs) / len(logs))
