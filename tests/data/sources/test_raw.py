"""RawData: inconsistent arrays from a dataset are reported as data errors, not crashes later."""

from __future__ import annotations

import numpy as np
import pytest

from trainlab.data import RawData
from trainlab.errors import DataError


def test_input_shape_defaults_to_the_sample_shape():
    raw = RawData(x_train=np.zeros((5, 2, 3)), y_train=np.zeros(5), task="regression")
    assert raw.input_shape == (2, 3) and not raw.has_test
    assert [name for name, _, _ in raw.splits()] == ["train"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"x_train": np.zeros((5, 2)), "y_train": np.zeros(4)}, "5 rows but the train targets have 4"),
        ({"x_train": np.zeros(5), "y_train": np.zeros(5)}, r"reshape a single feature column to \(N, 1\)"),
        (
            {"x_train": np.zeros((5, 2)), "y_train": np.zeros(5), "x_test": np.zeros((2, 2))},
            "x_test but no y_test",
        ),
        (
            {
                "x_train": np.zeros((5, 2)),
                "y_train": np.zeros(5),
                "x_test": np.zeros((2, 3)),
                "y_test": np.zeros(2),
            },
            r"test inputs have samples of shape \(3,\)",
        ),
        ({"x_train": np.zeros((5, 2)), "y_train": np.zeros(5), "task": "ranking"}, "task must be"),
        (
            {"x_train": np.zeros((5, 2)), "y_train": np.zeros(5), "num_classes": 3, "class_names": ["a"]},
            "1 class names",
        ),
    ],
)
def test_inconsistent_arrays_are_data_errors(fields, message):
    with pytest.raises(DataError, match=message):
        RawData(**{"task": "classification", **fields})
