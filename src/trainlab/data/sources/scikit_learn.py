"""The small datasets bundled with scikit-learn: digits, iris, wine, breast_cancer (no download).

Each loader imports scikit-learn itself: the import takes over a second, and registering these
names (which ``import trainlab.data`` does) must not pay for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from trainlab.data.sources.raw import RawData
from trainlab.registry import DATASETS

SKLEARN_TOY_DATASETS = "https://scikit-learn.org/stable/datasets/toy_dataset.html"


def _from_bunch(loader: Callable[[], Any]) -> RawData:
    """RawData from a scikit-learn Bunch of feature vectors; the test split is carved by load_data."""
    bunch = loader()
    return RawData(
        x_train=np.asarray(bunch.data, dtype=np.float32),
        y_train=np.asarray(bunch.target, dtype=np.int64),
        task="classification",
        num_classes=len(bunch.target_names),
        class_names=[str(name) for name in bunch.target_names],
        info={"source": f"sklearn.datasets.{loader.__name__}"},
    )


@DATASETS.register(
    "digits",
    reference=f"Alpaydin & Kaynak, Optical Recognition of Handwritten Digits, UCI 1998; {SKLEARN_TOY_DATASETS}",
    flags={"task": "classification", "input": "image"},
)
def digits() -> RawData:
    """Handwritten digits as 8x8 grey images (1797 samples, 10 classes), bundled with scikit-learn.

    Images are kept as ``(1, 8, 8)`` so that 2-D convolutions apply; pixel values are 0..16.

    Returns:
        RawData without a test split.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return RawData(
        x_train=np.asarray(bunch.images, dtype=np.float32)[:, None, :, :],
        y_train=np.asarray(bunch.target, dtype=np.int64),
        task="classification",
        input_shape=(1, 8, 8),
        num_classes=10,
        class_names=[str(name) for name in bunch.target_names],
        info={"source": "sklearn.datasets.load_digits"},
    )


@DATASETS.register(
    "iris",
    reference=f"Fisher, The use of multiple measurements in taxonomic problems, 1936; {SKLEARN_TOY_DATASETS}",
    flags={"task": "classification", "input": "vector"},
)
def iris() -> RawData:
    """Fisher's iris flowers: 4 measurements, 3 species, 150 samples.

    Returns:
        RawData without a test split.
    """
    from sklearn.datasets import load_iris

    return _from_bunch(load_iris)


@DATASETS.register(
    "wine",
    reference=f"Forina et al., Wine recognition data, UCI 1991; {SKLEARN_TOY_DATASETS}",
    flags={"task": "classification", "input": "vector"},
)
def wine() -> RawData:
    """Wine recognition: 13 chemical measurements, 3 cultivars, 178 samples.

    Returns:
        RawData without a test split.
    """
    from sklearn.datasets import load_wine

    return _from_bunch(load_wine)


@DATASETS.register(
    "breast_cancer",
    reference=(
        "Street, Wolberg & Mangasarian, Nuclear feature extraction for breast tumor diagnosis, 1993 "
        f"(Wisconsin diagnostic); {SKLEARN_TOY_DATASETS}"
    ),
    flags={"task": "classification", "input": "vector"},
)
def breast_cancer() -> RawData:
    """Wisconsin breast cancer diagnosis: 30 features of cell nuclei, malignant or benign, 569 samples.

    Returns:
        RawData without a test split.
    """
    from sklearn.datasets import load_breast_cancer

    return _from_bunch(load_breast_cancer)
