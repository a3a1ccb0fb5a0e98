"""The csv dataset: headers, targets, text labels, delimiters, encodings, and files that are not CSV at all."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch

from trainlab.data import load_data
from trainlab.errors import ConfigError, DataError
from trainlab.registry import DATASETS


def write(path, text: str):
    path.write_text(text)
    return path


def raw(**options):
    return DATASETS.get("csv").build(**options)


def test_csv_with_header_and_text_labels(tmp_path):
    path = write(tmp_path / "pets.csv", "weight,height,kind\n1.5,2,dog\n0.5,1,cat\n2.5,3,dog\n0.7,1.1,bird\n")
    data = raw(path=path)
    assert data.task == "classification"
    assert data.class_names == ["bird", "cat", "dog"]
    np.testing.assert_array_equal(data.y_train, [2, 1, 2, 0])
    np.testing.assert_array_equal(
        data.x_train, np.array([[1.5, 2], [0.5, 1], [2.5, 3], [0.7, 1.1]], dtype=np.float32)
    )
    assert data.info["header"] is True and data.info["feature_columns"] == ["weight", "height"]


def test_csv_without_header_integer_target_is_classification(tmp_path):
    data = raw(path=write(tmp_path / "a.csv", "0.1,0.2,1\n0.3,0.4,0\n0.5,0.6,2\n"))
    assert data.info["header"] is False and data.task == "classification"
    np.testing.assert_array_equal(data.y_train, [1, 0, 2])


def test_csv_float_target_is_regression_and_task_can_be_forced(tmp_path):
    path = write(tmp_path / "r.csv", "x,y\n1,0.5\n2,1.5\n3,2.0\n")
    assert raw(path=path).task == "regression"
    integer_path = write(tmp_path / "counts.csv", "x,count\n1,3\n2,5\n3,8\n")
    forced = raw(path=integer_path, task="regression")
    assert forced.task == "regression" and forced.y_train.dtype == np.float32


def test_csv_target_by_name_and_by_index(tmp_path):
    path = write(tmp_path / "t.csv", "label,a,b\n1,0.1,0.2\n0,0.3,0.4\n")
    by_name, by_index = raw(path=path, target="label"), raw(path=path, target=0)
    np.testing.assert_array_equal(by_name.x_train, by_index.x_train)
    np.testing.assert_array_equal(by_name.y_train, [1, 0])
    with pytest.raises(ConfigError, match=r"data\.target: 'lable' is not a column; did you mean 'label'\?"):
        raw(path=path, target="lable")
    with pytest.raises(ConfigError, match=r"data\.target: column 5 does not exist"):
        raw(path=path, target=5)


def test_csv_header_can_be_given_explicitly(tmp_path):
    # Numeric column names cannot be told apart from data; header=True says so.
    path = write(tmp_path / "n.csv", "1,2,3\n0.1,0.2,1\n0.3,0.4,0\n")
    assert len(raw(path=path).x_train) == 3
    assert len(raw(path=path, header=True).x_train) == 2


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
        raw(path=path)


def test_ragged_csv(tmp_path):
    with pytest.raises(DataError, match="line 2"):
        raw(path=write(tmp_path / "ragged.csv", "1,2,0\n3,1\n"))


# ---------------------------------------------------------------------------------------------
# delimiters

TABLE = [[1.5, 2.0, 0], [0.5, 1.0, 1], [2.5, 3.0, 0], [0.75, 1.25, 1]]


def table_text(delimiter: str, header: bool = True) -> str:
    lines = [delimiter.join(["a", "b", "y"])] if header else []
    lines += [delimiter.join(f"{value:g}" for value in row) for row in TABLE]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|", " "])
@pytest.mark.parametrize("header", [True, False])
def test_the_delimiter_is_detected(tmp_path, delimiter, header):
    data = raw(path=write(tmp_path / "t.csv", table_text(delimiter, header)))
    np.testing.assert_array_equal(data.x_train, np.array(TABLE, dtype=np.float32)[:, :2])
    np.testing.assert_array_equal(data.y_train, [0, 1, 0, 1])
    assert data.info["delimiter"] == delimiter and data.info["header"] is header


def test_semicolons_win_over_decimal_commas_which_get_a_hint(tmp_path):
    # Commas split every line of this file into two cells too, but only semicolons leave numbers
    # in them; then "1,5" is a number with a decimal comma, which the message points out.
    path = write(tmp_path / "eu.csv", "1,5;2;0\n0,5;1;1\n2,5;3;0\n")
    with pytest.raises(DataError) as caught:
        raw(path=path)
    message = str(caught.value)
    assert "line 1 of" in message and "column '0' holds '1,5', which is not a number" in message
    assert "It looks like a decimal comma: export the file with decimal points." in message


def test_quoted_delimiters_stay_inside_their_cell(tmp_path):
    data = raw(path=write(tmp_path / "q.csv", 'a,b,kind\n1,2,"cat, small"\n3,4,dog\n'))
    assert data.info["delimiter"] == "," and data.class_names == ["cat, small", "dog"]


def test_a_given_delimiter_is_used_and_a_wrong_one_gets_the_right_one_suggested(tmp_path):
    path = write(tmp_path / "semi.csv", table_text(";"))
    assert raw(path=path, delimiter=";").info["delimiter"] == ";"
    with pytest.raises(DataError) as caught:
        raw(path=path, delimiter=",")
    message = str(caught.value)
    assert message.startswith(f"data.path: {path} has a single column when split at commas")
    assert "split evenly at semicolons: set data.delimiter: ';'" in message


def test_a_single_column_file_says_what_it_needs(tmp_path):
    with pytest.raises(DataError, match=r"has a single column; it needs feature columns and a target column"):
        raw(path=write(tmp_path / "one.csv", "1\n2\n3\n"))


# ---------------------------------------------------------------------------------------------
# encodings and files that are not text


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_column_name(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_text("first,second,label\n1,2,0\n3,4,1\n", encoding="utf-8-sig")
    data = raw(path=path, target="first")
    assert data.info["feature_columns"] == ["second", "label"] and data.info["target_column"] == "first"


def test_text_that_is_not_utf8_names_the_byte_the_line_and_the_fix(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("a,b,kind\n1,2,tea\n3,4,caf\u00e9\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"is not UTF-8 text \(byte 0xe9 on line 3\)\. Save it as UTF-8"):
        raw(path=path)


BINARY_FILES = {
    "model.safetensors": (
        "a safetensors weights file",
        lambda: (8).to_bytes(8, "little") + b'{"w": {}}' + bytes(64),
    ),
    "photo.png": ("a PNG image", lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256))),
    "data.csv.gz": ("a gzip-compressed file (decompress it first", lambda: gzip.compress(b"a,b\n1,0\n2,1\n")),
    "weights.bin": ("binary data", lambda: bytes(range(256)) * 4),
}


@pytest.mark.parametrize("name", BINARY_FILES)
def test_a_binary_file_is_not_a_text_csv_file(tmp_path, name):
    kind, content = BINARY_FILES[name]
    path = tmp_path / name
    path.write_bytes(content())
    with pytest.raises(DataError) as caught:
        raw(path=path)
    message = str(caught.value)
    assert message.startswith(f"data.path: {path} is not a text CSV file: it looks like {kind}")
    assert "\n" not in message


def test_a_cell_too_large_for_the_csv_module_is_named_by_line(tmp_path):
    # The csv module refuses cells over its field size limit (128 KiB) with csv.Error.
    path = write(tmp_path / "huge.csv", "a,b\n1,0\n2," + "x" * 200_000 + "\n")
    with pytest.raises(DataError, match=r"line 3 of .* cannot be read as CSV: field larger than field limit"):
        raw(path=path)
