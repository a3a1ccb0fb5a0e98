"""What is done to samples: input scaling, batch augmentation, long-tailed subsets and hold-out splits."""

from trainlab.data.transforms.augment import AUGMENTATIONS, Compose, CutMix, Mixup
from trainlab.data.transforms.imbalance import long_tailed_counts, make_long_tailed
from trainlab.data.transforms.minmax import MinMaxScaler
from trainlab.data.transforms.scaling import Scaling, fit_scaler
from trainlab.data.transforms.splits import split_indices
from trainlab.data.transforms.standardize import Standardizer

__all__ = [
    "AUGMENTATIONS",
    "Compose",
    "CutMix",
    "MinMaxScaler",
    "Mixup",
    "Scaling",
    "Standardizer",
    "fit_scaler",
    "long_tailed_counts",
    "make_long_tailed",
    "split_indices",
]
