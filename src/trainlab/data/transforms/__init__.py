"""What is done to samples: input scaling, batch augmentation, long-tailed subsets and hold-out splits."""

from trainlab.data.transforms.augment import AUGMENTATIONS, Compose, CutMix, Mixup
from trainlab.data.transforms.imbalance import long_tailed_counts, make_long_tailed
from trainlab.data.transforms.maxabs import MaxAbsScaler
from trainlab.data.transforms.minmax import MinMaxScaler
from trainlab.data.transforms.preprocessors import PREPROCESSORS, Preprocessor
from trainlab.data.transforms.robust import RobustScaler
from trainlab.data.transforms.scaling import SCALERS, Scaling, fit_scaler
from trainlab.data.transforms.splits import split_indices
from trainlab.data.transforms.standardize import Standardizer
from trainlab.data.transforms.warps import ContrastJitter, ElasticDeform, TimeStretch

__all__ = [
    "AUGMENTATIONS",
    "Compose",
    "ContrastJitter",
    "CutMix",
    "ElasticDeform",
    "MaxAbsScaler",
    "MinMaxScaler",
    "PREPROCESSORS",
    "Preprocessor",
    "Mixup",
    "RobustScaler",
    "SCALERS",
    "Scaling",
    "Standardizer",
    "TimeStretch",
    "fit_scaler",
    "long_tailed_counts",
    "make_long_tailed",
    "split_indices",
]
