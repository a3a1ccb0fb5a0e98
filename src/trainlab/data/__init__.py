"""Datasets by name, checked and split into a DataBundle, and resumable batch iterators over them.

The package is split by role: ``sources`` (where samples come from: registered datasets, files,
Python data), ``transforms`` (scaling, augmentation, long-tailed subsets, splits) and ``loading``
(batch iterators and class samplers). What ties them together stays here: ``DataBundle``,
``load_data`` and the data checks.
"""

from trainlab.data.bundle import DataBundle
from trainlab.data.checks import check_bundle, check_finite, check_labels
from trainlab.data.loading import SAMPLERS, ResampledBatchIterator, make_batch_iterator
from trainlab.data.prepare import load_data
from trainlab.data.sources import RawData
from trainlab.data.sources.from_python import bundle_from_python
from trainlab.data.transforms import (
    AUGMENTATIONS,
    Compose,
    CutMix,
    MinMaxScaler,
    Mixup,
    Standardizer,
    long_tailed_counts,
    make_long_tailed,
)
from trainlab.losses.class_weights import class_counts, effective_number_weights, inverse_frequency_weights

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
