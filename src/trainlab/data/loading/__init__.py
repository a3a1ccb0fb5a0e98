"""How batches are drawn: resumable in-memory and DataLoader batch iterators, and the class samplers."""

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

__all__ = [
    "SAMPLERS",
    "BatchIterator",
    "ClassBalancedSampler",
    "LoaderBatchIterator",
    "RandomOversampler",
    "RandomUndersampler",
    "ResampledBatchIterator",
    "TensorBatchIterator",
    "make_batch_iterator",
]
