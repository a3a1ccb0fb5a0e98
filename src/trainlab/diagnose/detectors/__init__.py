"""The doctor's detectors (registry kind ``detector``): one class per pathology, with tunable thresholds."""

from trainlab.diagnose.detectors import (
    activations,
    configuration,
    generalization,
    gradients,
    learning_rate,
    outputs,
    stability,
)
from trainlab.diagnose.detectors._base import NEEDS, Detector, unmet_needs

__all__ = [
    "NEEDS",
    "Detector",
    "activations",
    "configuration",
    "generalization",
    "gradients",
    "learning_rate",
    "outputs",
    "stability",
    "unmet_needs",
]
