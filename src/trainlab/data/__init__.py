"""Datasets by name, checked and split into a DataBundle, and resumable batch iterators over them."""

# The dataset modules are imported for their registrations in trainlab.registry.DATASETS.
from trainlab.data import files, mnist1d, scikit_learn, synthetic  # noqa: F401
from trainlab.data.augment import AUGMENTATIONS, Compose, CutMix, Mixup
from trainlab.data.batching import make_batch_iterator
from trainlab.data.bundle import DataBundle
from trainlab.data.checks import check_bundle, check_finite, check_labels
from trainlab.data.class_weights import class_counts, effective_number_weights, inverse_frequency_weights
from trainlab.data.from_python import bundle_from_python
from trainlab.data.imbalance import long_tailed_counts, make_long_tailed
from trainlab.data.minmax import MinMaxScaler
from trainlab.data.prepare import load_data
from trainlab.data.raw import RawData
from trainlab.data.samplers import SAMPLERS, ResampledBatchIterator
from trainlab.data.standardize import Standardizer
from trainlab.data.threshold import tune_threshold

__all__ = [
    "AUGMENTATIONS",
    "SAMPLERS",
    "Compose",
    "CutMix",
    "Mixup",
    "ResampledBatchIterator",
    "class_counts",
    "effective_number_weights",
    "inverse_frequency_weights",
    "long_tailed_counts",
    "make_long_tailed",
    "tune_threshold",
    "DataBundle",
    "RawData",
    "MinMaxScaler",
    "Standardizer",
    "bundle_from_python",
    "check_bundle",
    "check_finite",
    "check_labels",
    "load_data",
    "make_batch_iterator",
]
