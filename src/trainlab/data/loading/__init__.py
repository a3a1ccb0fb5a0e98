"""How batches are drawn: resumable in-memory and DataLoader batch iterators, the class samplers and SMOTE."""

from trainlab.data.loading.batching import (
    BatchIterator,
    LoaderBatchIterator,
    TensorBatchIterator,
    make_batch_iterator,
)
from trainlab.data.loading.samplers import (
    SAMPLERS,
    ClassBalancedSampler,
    RandomOversampler,
    RandomUndersampler,
    ResampledBatchIterator,
)
from trainlab.data.loading.smote import SmoteSampler, SyntheticSamples, synthesize

__all__ = [
    "SAMPLERS",
    "BatchIterator",
    "ClassBalancedSampler",
    "LoaderBatchIterator",
    "RandomOversampler",
    "RandomUndersampler",
    "ResampledBatchIterator",
    "SmoteSampler",
    "SyntheticSamples",
    "TensorBatchIterator",
    "make_batch_iterator",
    "synthesize",
]
