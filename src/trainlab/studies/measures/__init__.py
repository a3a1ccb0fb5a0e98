"""The registered measurements a study compares: summary metrics, curves, instruments, weights, playground."""

from trainlab.studies.measures.calibration import ExpectedCalibrationError
from trainlab.studies.measures.curves import StepsToThreshold, TrainLossAUC
from trainlab.studies.measures.diagnostics import InstrumentStatistic
from trainlab.studies.measures.playground import PlaygroundMeasure
from trainlab.studies.measures.summary import Diverged, FinalMetric, GeneralizationGap
from trainlab.studies.measures.weights import ConditionNumber, EffectiveRank, WeightNorm, WeightSparsity

__all__ = [
    "ConditionNumber",
    "Diverged",
    "EffectiveRank",
    "ExpectedCalibrationError",
    "FinalMetric",
    "GeneralizationGap",
    "InstrumentStatistic",
    "PlaygroundMeasure",
    "StepsToThreshold",
    "TrainLossAUC",
    "WeightNorm",
    "WeightSparsity",
]
