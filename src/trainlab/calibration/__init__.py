"""Calibration of a trained classifier: temperature scaling fitted on the validation split."""

from trainlab.calibration.run import CALIBRATION, calibrate
from trainlab.calibration.temperature import calibration_scores, fit_temperature

__all__ = ["CALIBRATION", "calibrate", "calibration_scores", "fit_temperature"]
