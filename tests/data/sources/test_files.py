"""What the file datasets share: the path checked, the file read safely, and binary files told apart from text."""

from __future__ import annotations

import gzip
import io
import zipfile

import numpy as np
import pytest
import safetensors.numpy
import torch

from trainlab.data import load_data
from trainlab.data.sources._files import binary_kind, read_file
from trainlab.errors import ConfigError, DataError

FILE_DATASETS = ["csv", "npz", "pt"]


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


@pytest.mark.parametrize("name", FILE_DATASETS)
def test_a_directory_is_named_as_one(name, tmp_path):
    with pytest.raises(DataError, match=r"data\.path: .* is a directory; name the data file inside it"):
        load_data(name, path=tmp_path)


def test_a_device_is_not_a_data_file():
    with pytest.raises(
        DataError, match=r"data\.path: /dev/null is not a regular file \(a device, pipe or socket\)"
    ):
        load_data("csv", path="/dev/null")


def test_a_dangling_link_names_its_target(tmp_path):
    (tmp_path / "data.csv").symlink_to(tmp_path / "moved.csv")
    with pytest.raises(
        DataError, match=r"data\.csv is a link to .*moved\.csv, which does not exist\. Fix the path"
    ):
        load_data("csv", path=tmp_path / "data.csv")


def test_a_path_too_long_for_the_file_system_is_one_message(tmp_path):
    with pytest.raises(
        DataError, match=r"data\.path: the path is too long for the file system \(\d+ characters"
    ):
        load_data("npz", path=tmp_path / ("a" * 300 + ".npz"))


@pytest.mark.parametrize("name", FILE_DATASETS)
def test_an_unreadable_file_is_named_with_the_fix(name, tmp_path, deny_reading):
    path = tmp_path / f"secret.{name}"
    path.write_bytes(b"1,2,0\n3,4,1\n")
    deny_reading(path)
    with pytest.raises(
        DataError, match=r"cannot be read: permission denied\. Check its permissions"
    ) as caught:
        load_data(name, path=path)
    assert str(caught.value).startswith(f"data.path: {path}")


def test_read_file_reads_all_or_the_head(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(bytes(range(256)))
    assert read_file(path) == bytes(range(256))
    assert read_file(path, 10) == bytes(range(10))


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("sheet.xml", "<xml/>")
    return buffer.getvalue()


def npy_bytes() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(3))
    return buffer.getvalue()


def torch_bytes() -> bytes:
    buffer = io.BytesIO()
    torch.save({"x": torch.zeros(2)}, buffer)
    return buffer.getvalue()


# Each format written by its own library where one is at hand, so the signatures are checked
# against real files rather than against the table they came from.
REAL_FILES = {
    "a gzip-compressed file": lambda: gzip.compress(b"a,b\n1,2\n"),
    "a zip archive": zip_bytes,
    "a NumPy .npy array": npy_bytes,
    "a safetensors weights file": lambda: safetensors.numpy.save({"w": np.zeros(3, dtype=np.float32)}),
    "a PNG image": lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "a PDF document": lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
    "UTF-16 text": lambda: "a,b\n1,2\n".encode("utf-16"),
    "binary data": lambda: bytes(range(256)),
}


@pytest.mark.parametrize("kind", REAL_FILES)
def test_binary_formats_are_recognised_by_their_first_bytes(kind):
    assert (binary_kind(REAL_FILES[kind]()) or "").startswith(kind)


def test_a_torch_file_is_binary():
    assert binary_kind(torch_bytes()) is not None


@pytest.mark.parametrize(
    "text", ["a,b,y\n1,2,0\n", "\ufeffa;b\n1;2\n", "x\ty\n0.5\t1\n", "caf\u00e9,th\u00e9\n1,2\n", "1,2\f\n"]
)
def test_text_is_not_binary(text):
    assert binary_kind(text.encode("utf-8")) is None
