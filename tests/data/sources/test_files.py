"""File loaders: csv, npz and pt round trips, and errors that name the key, the path and the fix."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trainlab.data import load_data
from trainlab.errors import ConfigError, DataError
from trainlab.registry import DATASETS


def write(path, text: str):
    path.write_text(text)
    return path


def raw(name: str, **options):
    return DATASETS.get(name).build(**options)


# ---------------------------------------------------------------------------------------------
# csv


def test_csv_with_header_and_text_labels(tmp_path):
    path = write(tmp_path / "pets.csv", "weight,height,kind\n1.5,2,dog\n0.5,1,cat\n2.5,3,dog\n0.7,1.1,bird\n")
    data = raw("csv", path=path)
    assert data.task == "classification"
    assert data.class_names == ["bird", "cat", "dog"]
    np.testing.assert_array_equal(data.y_train, [2, 1, 2, 0])
    np.testing.assert_array_equal(
        data.x_train, np.array([[1.5, 2], [0.5, 1], [2.5, 3], [0.7, 1.1]], dtype=np.float32)
    )
    assert data.info["header"] is True and data.info["feature_columns"] == ["weight", "height"]


def test_csv_without_header_integer_target_is_classification(tmp_path):
    data = raw("csv", path=write(tmp_path / "a.csv", "0.1,0.2,1\n0.3,0.4,0\n0.5,0.6,2\n"))
    assert data.info["header"] is False and data.task == "classification"
    np.testing.assert_array_equal(data.y_train, [1, 0, 2])


def test_csv_float_target_is_regression_and_task_can_be_forced(tmp_path):
    path = write(tmp_path / "r.csv", "x,y\n1,0.5\n2,1.5\n3,2.0\n")
    assert raw("csv", path=path).task == "regression"
    integer_path = write(tmp_path / "counts.csv", "x,count\n1,3\n2,5\n3,8\n")
    forced = raw("csv", path=integer_path, task="regression")
    assert forced.task == "regression" and forced.y_train.dtype == np.float32


def test_csv_target_by_name_and_by_index(tmp_path):
    path = write(tmp_path / "t.csv", "label,a,b\n1,0.1,0.2\n0,0.3,0.4\n")
    by_name, by_index = raw("csv", path=path, target="label"), raw("csv", path=path, target=0)
    np.testing.assert_array_equal(by_name.x_train, by_index.x_train)
    np.testing.assert_array_equal(by_name.y_train, [1, 0])
    with pytest.raises(ConfigError, match=r"data\.target: 'lable' is not a column; did you mean 'label'\?"):
        raw("csv", path=path, target="lable")
    with pytest.raises(ConfigError, match=r"data\.target: column 5 does not exist"):
        raw("csv", path=path, target=5)


def test_csv_header_can_be_given_explicitly(tmp_path):
    # Numeric column names cannot be told apart from data; header=True says so.
    path = write(tmp_path / "n.csv", "1,2,3\n0.1,0.2,1\n0.3,0.4,0\n")
    assert len(raw("csv", path=path).x_train) == 3
    assert len(raw("csv", path=path, header=True).x_train) == 2


def test_csv_round_trip_through_load_data(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    y = np.arange(60) % 3
    rows = "\n".join(
        ",".join([*(f"{v:.17g}" for v in row), str(label)]) for row, label in zip(x, y, strict=True)
    )
    path = write(tmp_path / "data.csv", "a,b,c,target\n" + rows + "\n")
    bundle = load_data("csv", path=str(path), scaling="none", val_fraction=0.0, test_fraction=0.25)
    assert bundle.num_classes == 3 and bundle.input_shape == (3,)
    inputs = torch.cat([bundle.train.tensors[0], bundle.test.tensors[0]])
    assert torch.allclose(inputs.sort(0).values, torch.tensor(x, dtype=torch.float32).sort(0).values)
    assert bundle.info["path"] == str(path) and bundle.info["options"]["path"] == str(path)


def test_nan_in_a_csv_is_reported_by_row_and_column(tmp_path):
    path = write(tmp_path / "gaps.csv", "a,b,y\n1,2,0\n3,,1\n5,nan,0\n7,8,1\n")
    with pytest.raises(DataError) as caught:
        load_data("csv", path=path)
    message = str(caught.value)
    assert "train split" in message and "2 non-finite values" in message
    assert "row 1, column 1" in message and str(path) in message and "Fix" in message


def test_csv_text_in_a_feature_column_names_the_line(tmp_path):
    path = write(tmp_path / "bad.csv", "a,b,y\n1,2,0\n3,oops,1\n")
    with pytest.raises(DataError, match=r"line 3 .* column 'b' holds 'oops'"):
        raw("csv", path=path)


def test_ragged_csv(tmp_path):
    with pytest.raises(DataError, match="line 2"):
        raw("csv", path=write(tmp_path / "ragged.csv", "1,2,0\n3,1\n"))


# ---------------------------------------------------------------------------------------------
# npz and pt


def arrays(with_test: bool = True):
    rng = np.random.default_rng(1)
    result = {"x": rng.normal(size=(40, 2, 3)).astype(np.float32), "y": np.arange(40) % 4}
    if with_test:
        result |= {"x_test": rng.normal(size=(10, 2, 3)).astype(np.float32), "y_test": np.arange(10) % 4}
    return result


def test_npz_round_trip_uses_the_files_test_split(tmp_path):
    saved = arrays()
    np.savez(tmp_path / "d.npz", **saved)
    bundle = load_data("npz", path=tmp_path / "d.npz", scaling="none", val_fraction=0.0)
    assert bundle.info["test_split"] == "dataset" and bundle.input_shape == (2, 3)
    assert torch.equal(bundle.train.tensors[0], torch.from_numpy(saved["x"]))
    assert torch.equal(bundle.test.tensors[1], torch.from_numpy(saved["y_test"]))
    assert bundle.test.tensors[1].dtype == torch.int64 and bundle.num_classes == 4


def test_npz_custom_keys_and_missing_key(tmp_path):
    saved = arrays(with_test=False)
    np.savez(tmp_path / "d.npz", inputs=saved["x"], labels=saved["y"])
    data = raw("npz", path=tmp_path / "d.npz", x_key="inputs", y_key="labels")
    assert data.x_test is None and len(data.x_train) == 40
    with pytest.raises(DataError, match=r"data\.y_key: .* no array 'label'; did you mean 'labels'\?"):
        raw("npz", path=tmp_path / "d.npz", x_key="inputs", y_key="label")


def test_npz_with_objects_is_refused(tmp_path):
    np.savez(tmp_path / "o.npz", x=np.array([{"a": 1}], dtype=object), y=np.array([0]))
    with pytest.raises(DataError, match="Python objects"):
        raw("npz", path=tmp_path / "o.npz")


def test_pt_round_trip(tmp_path):
    saved = {name: torch.from_numpy(value) for name, value in arrays().items()}
    torch.save(saved, tmp_path / "d.pt")
    bundle = load_data("pt", path=tmp_path / "d.pt", scaling="none", val_fraction=0.0)
    assert torch.equal(bundle.train.tensors[0], saved["x"]) and torch.equal(
        bundle.test.tensors[0], saved["x_test"]
    )


class NotATensor:
    pass


def test_pt_is_loaded_with_weights_only(tmp_path):
    torch.save({"x": torch.zeros(2, 2), "y": NotATensor()}, tmp_path / "evil.pt")
    with pytest.raises(DataError, match="weights_only=True"):
        raw("pt", path=tmp_path / "evil.pt")
    torch.save({"x": torch.zeros(2, 2), "y": [0, 1]}, tmp_path / "list.pt")
    with pytest.raises(DataError, match="'y' .* is a list, not a tensor"):
        raw("pt", path=tmp_path / "list.pt")


def test_regression_targets_from_a_file(tmp_path):
    torch.save({"x": torch.randn(30, 4), "y": torch.randn(30, 2)}, tmp_path / "r.pt")
    bundle = load_data("pt", path=tmp_path / "r.pt")
    assert bundle.task == "regression" and bundle.target_shape == (2,) and bundle.num_classes is None


def test_labels_out_of_range_for_num_classes(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((6, 2)), y=np.array([0, 1, 2, 5, 1, 0]))
    with pytest.raises(DataError, match=r"not below num_classes=3 \(value 5; the first at row 3\)"):
        load_data("npz", path=tmp_path / "d.npz", num_classes=3)


# ---------------------------------------------------------------------------------------------
# missing files


@pytest.mark.parametrize("name", ["csv", "npz", "pt"])
def test_missing_file_names_the_key_the_absolute_path_and_the_fix(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as caught:
        load_data(name, path=f"nowhere/train.{name}")
    message = str(caught.value)
    assert message.startswith("data.path: the file ") and "does not exist" in message
    assert str(tmp_path / "nowhere" / f"train.{name}") in message
    assert "Fix the path" in message and "\n" not in message


def test_path_is_required():
    with pytest.raises(ConfigError, match=r"data\.path: is required"):
        load_data("csv")
