"""Class labels as the model sees them: sparse labels indexed 0..K-1 and recorded, one class or a quantity refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.preprocessing import LabelEncoder

from trainlab.data import bundle_from_python, load_data
from trainlab.data.classes import check_classes, index_classes
from trainlab.errors import DataError


def test_index_classes_matches_scikit_learns_label_encoder():
    rng = np.random.default_rng(0)
    train, test = rng.choice([-7, 0, 5, 1000, 31], size=50), rng.choice([5, 31, 2000], size=20)
    encoder = LabelEncoder().fit(np.concatenate([train, test]))
    classes, indexed = index_classes({"train": train, "test": test}, declared=None)
    assert classes == encoder.classes_.tolist() and all(type(label) is int for label in classes)
    np.testing.assert_array_equal(indexed["train"], encoder.transform(train))
    np.testing.assert_array_equal(indexed["test"], encoder.transform(test))
    assert indexed["train"].dtype == np.int64


def test_declared_classes_keep_the_labels_as_they_are():
    labels = np.array([0, 2, 2, 0])
    classes, indexed = index_classes({"train": labels}, declared=4)
    assert classes == [0, 1, 2, 3]
    np.testing.assert_array_equal(indexed["train"], labels)


def test_a_single_class_is_refused_naming_where_the_labels_come_from():
    with pytest.raises(DataError) as caught:
        check_classes(np.zeros(30, dtype=np.int64), [7], origin="data.target (column 'y')", inferred=True)
    message = str(caught.value)
    assert message.startswith(
        "data.target (column 'y'): every one of the 30 training samples has the label 7"
    )
    assert "accuracy is 1.0" in message and "data.task: regression" in message


def test_mostly_unique_whole_numbers_are_refused_only_when_the_task_was_inferred():
    prices = np.arange(40)  # every sample its own "class"
    classes = list(range(40))
    with pytest.raises(
        DataError, match=r"40 distinct values in 40 training samples .* data\.task: regression"
    ):
        check_classes(prices, classes, origin="data.target (column 'price')", inferred=True)
    check_classes(prices, classes, origin="data.target (column 'price')", inferred=False)
    check_classes(np.arange(10), list(range(10)), origin="small", inferred=True)  # too few to tell


# ---------------------------------------------------------------------------------------------
# through load_data and bundle_from_python


def sparse_file(tmp_path, labels):
    # The feature is the row number, so every sample can be traced to its source label.
    x = np.arange(len(labels), dtype=np.float32).reshape(-1, 1)
    np.savez(tmp_path / "sparse.npz", x=x, y=np.asarray(labels))
    return tmp_path / "sparse.npz"


def source_labels(bundle, labels):
    """Every split's (row, class) pairs mapped back through info["classes"] to source labels."""
    for split in ("train", "val", "test"):
        rows, indices = bundle.split(split).tensors
        recovered = [bundle.info["classes"][int(i)] for i in indices]
        assert recovered == [labels[int(r)] for r in rows.flatten()], split


def test_sparse_labels_train_one_output_per_class_and_record_the_mapping(tmp_path):
    labels = [0, 5, 1000] * 20
    bundle = load_data("npz", path=sparse_file(tmp_path, labels), scaling="none")
    assert bundle.num_classes == 3 and bundle.num_outputs == 3
    assert bundle.info["classes"] == [0, 5, 1000]
    source_labels(bundle, labels)


def test_minus_one_and_one_labels_become_two_classes(tmp_path):
    labels = [-1, 1] * 15
    bundle = load_data("npz", path=sparse_file(tmp_path, labels), scaling="none")
    assert bundle.num_classes == 2 and bundle.info["classes"] == [-1, 1]
    source_labels(bundle, labels)


def test_a_declared_num_classes_keeps_the_labels_and_refuses_those_beyond(tmp_path):
    path = sparse_file(tmp_path, [0, 2] * 10)
    bundle = load_data("npz", path=path, num_classes=4)
    assert bundle.num_classes == 4 and bundle.info["classes"] == [0, 1, 2, 3]
    with pytest.raises(DataError, match=r"not below num_classes=2 .* or leave num_classes unset"):
        load_data("npz", path=path, num_classes=2)


def test_text_labels_are_recorded_by_name(tmp_path):
    path = tmp_path / "pets.csv"
    path.write_text("w,kind\n" + "".join(f"{i},{['cat', 'dog'][i % 2]}\n" for i in range(20)))
    assert load_data("csv", path=path).info["classes"] == ["cat", "dog"]
    assert load_data("iris").info["classes"] == ["setosa", "versicolor", "virginica"]


def test_one_class_in_a_csv_names_the_label_column(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("a,b,label\n" + "".join(f"{i},{2 * i},1\n" for i in range(30)))
    with pytest.raises(DataError) as caught:
        load_data("csv", path=path)
    assert str(caught.value).startswith(f"data.target (column 'label' of {path}): every one of the 30")


def test_python_pairs_index_sparse_labels_and_refuse_one_class():
    x, y = torch.randn(30, 2), torch.tensor([3, 10, 42] * 10)
    bundle = bundle_from_python((x, y), val_fraction=0.2)
    assert bundle.num_classes == 3 and bundle.info["classes"] == [3, 10, 42]
    assert torch.equal(bundle.train.tensors[1].unique(), torch.tensor([0, 1, 2]))
    with pytest.raises(DataError, match="a single class"):
        bundle_from_python((x, torch.zeros(30, dtype=torch.long)))


# ---------------------------------------------------------------------------------------------
# new data for a trained model: labels indexed against the classes it was trained on


def test_new_data_with_fewer_classes_keeps_each_label_on_its_trained_output(tmp_path):
    trained = load_data("npz", path=sparse_file(tmp_path, [0, 5, 1000] * 20)).info["classes"]
    labels = [1000, 5] * 10  # indexed among themselves, these would become 0 and 1
    (tmp_path / "new").mkdir()
    bundle = load_data("npz", path=sparse_file(tmp_path / "new", labels), scaling="none", classes=trained)
    assert bundle.num_classes == 3 and bundle.info["classes"] == [0, 5, 1000]
    source_labels(bundle, labels)


def test_new_text_labels_are_matched_by_name_and_one_class_is_fine(tmp_path):
    path = tmp_path / "cats.csv"
    path.write_text("w,kind\n" + "".join(f"{i},cat\n" for i in range(20)))
    bundle = load_data("csv", path=path, classes=["bird", "cat", "dog"])
    assert bundle.num_classes == 3
    assert set(bundle.train.tensors[1].tolist()) == {1}


def test_a_label_the_model_was_not_trained_on_is_named(tmp_path):
    with pytest.raises(
        DataError,
        match=r"the train labels 7 are not among the classes the model was trained on \(0, 5, 1000\)",
    ):
        load_data("npz", path=sparse_file(tmp_path, [0, 5, 7] * 10), classes=[0, 5, 1000])
