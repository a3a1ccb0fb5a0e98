"""Data checks: non-finite values and invalid labels are found before training, with the fix."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import TensorDataset

from trainlab.data import DataBundle, check_bundle, check_finite, check_labels
from trainlab.errors import DataError


def assert_one_paragraph(message: str) -> None:
    assert "\n" not in message and "Traceback" not in message


def test_finite_values_pass():
    check_finite(torch.randn(10, 3), split="train")
    check_finite(np.arange(10).reshape(5, 2), split="train")  # integers cannot be NaN


def test_nan_names_split_count_row_column_and_fix():
    x = np.zeros((6, 4), dtype=np.float32)
    x[2, 3] = np.nan
    x[5, 0] = np.inf
    with pytest.raises(DataError) as caught:
        check_finite(x, split="val", dataset="iris")
    message = str(caught.value)
    assert "Data 'iris', val split" in message
    assert "2 non-finite values" in message
    assert "row 2, column 3" in message
    assert "Fix" in message
    assert_one_paragraph(message)


def test_nan_in_an_image_names_the_position():
    x = torch.zeros(3, 1, 4, 4)
    x[1, 0, 2, 3] = float("nan")
    with pytest.raises(DataError, match=r"row 1, position \(0, 2, 3\)"):
        check_finite(x, split="train")


def test_nan_in_scalar_targets():
    with pytest.raises(DataError, match="in the targets; the first is nan at row 1"):
        check_finite(torch.tensor([0.0, float("nan")]), split="test", what="targets")


def test_bfloat16_is_checked():
    with pytest.raises(DataError):
        check_finite(torch.tensor([[1.0, float("inf")]], dtype=torch.bfloat16), split="train")


def test_valid_labels_pass():
    check_labels(torch.tensor([0, 1, 2, 1]), 3, split="train")
    check_labels(np.array([0.0, 2.0]), 3, split="train")  # whole floats are fine


@pytest.mark.parametrize(
    ("labels", "num_classes", "expected"),
    [
        (
            np.array([0, 1, 0.5, 2.25]),
            3,
            r"2 classification labels are fractional \(values 0\.5, 2\.25; the first at row 2\)",
        ),
        (
            np.array([0, -1, 1, -1]),
            2,
            r"2 classification labels are negative \(value -1; the first at row 1\)",
        ),
        (
            torch.tensor([0, 3, 1, 7]),
            3,
            r"are not below num_classes=3 \(values 3, 7; .*Class labels must be 0\.\.2",
        ),
    ],
)
def test_invalid_labels_name_the_values_and_the_fix(labels, num_classes, expected):
    with pytest.raises(DataError, match=expected) as caught:
        check_labels(labels, num_classes, split="train", dataset="npz")
    assert_one_paragraph(str(caught.value))


def test_many_bad_labels_are_summarised():
    with pytest.raises(DataError, match=r"values 2, 3, 4, 5, 6 and 3 more"):
        check_labels(np.arange(10), 2, split="train")


def test_one_hot_labels_get_a_hint():
    with pytest.raises(DataError, match=r"argmax\(1\)"):
        check_labels(torch.eye(3), 3, split="train")


def bundle(train_x, train_y, task="classification", num_classes=3):
    return DataBundle(
        name="toy",
        task=task,
        train=TensorDataset(train_x, train_y),
        val=None,
        test=TensorDataset(torch.zeros(2, 2), torch.zeros(2, dtype=torch.long)),
        input_shape=(2,),
        num_classes=num_classes,
    )


def test_check_bundle_checks_every_tensor_split():
    check_bundle(bundle(torch.zeros(4, 2), torch.tensor([0, 1, 2, 0])))
    with pytest.raises(DataError, match="Data 'toy', train split"):
        check_bundle(bundle(torch.zeros(4, 2), torch.tensor([0, 1, 5, 0])))
    with pytest.raises(DataError, match="in the targets"):
        check_bundle(
            bundle(torch.zeros(2, 2), torch.tensor([0.5, float("nan")]), task="regression", num_classes=None)
        )
