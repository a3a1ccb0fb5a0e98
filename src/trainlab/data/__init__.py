"""Datasets by name, checked and split into a DataBundle, and resumable batch iterators over them."""

# The dataset modules are imported for their registrations in trainlab.registry.DATASETS.
from trainlab.data import files, mnist1d, scikit_learn, synthetic  # noqa: F401
from trainlab.data.batching import make_batch_iterator
from trainlab.data.bundle import DataBundle
from trainlab.data.checks import check_bundle, check_finite, check_labels
from trainlab.data.from_python import bundle_from_python
from trainlab.data.prepare import load_data
from trainlab.data.raw import RawData
from trainlab.data.standardize import Standardizer

__all__ = [
    "DataBundle",
    "RawData",
    "Standardizer",
    "bundle_from_python",
    "check_bundle",
    "check_finite",
    "check_labels",
    "load_data",
    "make_batch_iterator",
]
