"""scikit-learn's bundled datasets: the same arrays as sklearn.datasets, in trainlab's layout."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import datasets

from trainlab.registry import DATASETS


@pytest.mark.parametrize(
    ("name", "loader", "classes"),
    [
        ("iris", datasets.load_iris, 3),
        ("wine", datasets.load_wine, 3),
        ("breast_cancer", datasets.load_breast_cancer, 2),
    ],
)
def test_feature_vectors_match_scikit_learn(name, loader, classes):
    raw, reference = DATASETS.get(name).factory(), loader()
    np.testing.assert_array_equal(raw.x_train, reference.data.astype(np.float32))
    np.testing.assert_array_equal(raw.y_train, reference.target)
    assert raw.input_shape == (reference.data.shape[1],) and raw.num_classes == classes
    assert raw.class_names == [str(n) for n in reference.target_names]
    assert raw.x_test is None, "no test split: load_data carves one"


def test_digits_are_single_channel_images():
    raw, reference = DATASETS.get("digits").factory(), datasets.load_digits()
    assert raw.x_train.shape == (1797, 1, 8, 8) and raw.input_shape == (1, 8, 8)
    np.testing.assert_array_equal(raw.x_train[:, 0], reference.images.astype(np.float32))
    np.testing.assert_array_equal(raw.x_train.reshape(1797, -1), reference.data.astype(np.float32))
    assert raw.num_classes == 10 and raw.class_names == [str(d) for d in range(10)]
