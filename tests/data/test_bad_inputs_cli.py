"""Bad data inputs through the CLI, as a new user makes them: one message naming the file or key,
exit code 2, no traceback, and no run directory left behind."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from trainlab.cli import main

QUICK = ["--model", "mlp", "--steps", "2", "--set", "train.progress=false"]


def fit(capsys, tmp_path, data: str, path: Path, *extra: str) -> tuple[int, str, Path]:
    run = tmp_path / "run"
    code = main(["fit", "--data", data, "--set", f"data.path={path}", *QUICK, "--out", str(run), *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err, run


def assert_refused(code: int, output: str, run: Path, *named: str) -> None:
    assert code == 2, output
    assert "Traceback" not in output
    for text in named:
        assert text in output, (text, output)
    assert not run.exists(), "a refused run must leave no run directory"


def table(path: Path, labels, delimiter: str = ",") -> Path:
    rows = [delimiter.join(["a", "b", "y"])]
    rows += [delimiter.join([str(i), str(2 * i), str(label)]) for i, label in enumerate(labels)]
    path.write_text("\n".join(rows) + "\n")
    return path


def png(path: Path) -> Path:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    return path


def safetensors_file(path: Path) -> Path:
    import safetensors.torch

    safetensors.torch.save_file({"weight": torch.zeros(4, 4)}, path)
    return path


def gzip_csv(path: Path) -> Path:
    path.write_bytes(gzip.compress(b"a,b,y\n1,2,0\n3,4,1\n"))
    return path


@pytest.mark.parametrize(
    ("name", "make", "kind"),
    [
        ("model.safetensors", safetensors_file, "a safetensors weights file"),
        ("photo.png", png, "a PNG image"),
        ("data.csv.gz", gzip_csv, "a gzip-compressed file"),
    ],
)
def test_a_binary_file_given_as_csv(capsys, tmp_path, name, make, kind):
    path = make(tmp_path / name)
    code, output, run = fit(capsys, tmp_path, "csv", path)
    assert_refused(code, output, run, f"{path} is not a text CSV file", kind, "data.path")


def test_a_semicolon_csv_trains_and_a_wrong_delimiter_gets_the_right_one(capsys, tmp_path):
    path = table(tmp_path / "semi.csv", [0, 1] * 20, delimiter=";")
    code, output, run = fit(capsys, tmp_path, "csv", path)
    assert code == 0, output
    assert json.loads((run / "summary.json").read_text())["data"]["sizes"]["train"] > 0
    code, output, run = fit(capsys, tmp_path / "again", "csv", path, "--set", "data.delimiter=','")
    assert_refused(code, output, run, str(path), "set data.delimiter: ';'")


def test_a_three_row_csv_refuses_an_empty_validation_split(capsys, tmp_path):
    code, output, run = fit(capsys, tmp_path, "csv", table(tmp_path / "three.csv", [0, 1, 0]))
    assert_refused(code, output, run, "data.val_fraction", "holds out no sample", "three.csv")
    assert "0.0000" not in output


def test_one_class_is_refused_naming_the_label_column(capsys, tmp_path):
    path = table(tmp_path / "one.csv", [1] * 40)
    code, output, run = fit(capsys, tmp_path, "csv", path)
    assert_refused(code, output, run, f"data.target (column 'y' of {path})", "a single class")


def test_sparse_labels_train_three_outputs_and_the_run_records_the_classes(capsys, tmp_path):
    path = table(tmp_path / "sparse.csv", [0, 5, 1000] * 20)
    code, output, run = fit(capsys, tmp_path, "csv", path)
    assert code == 0, output
    data = json.loads((run / "summary.json").read_text())["data"]
    assert data["num_outputs"] == 3 and data["classes"] == [0, 5, 1000]


def npz(path: Path, **arrays) -> Path:
    with path.open("wb") as handle:
        np.savez(handle, **arrays)
    return path


def written(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


BAD_FILES = {
    "header only": ("csv", lambda d: written(d / "h.csv", "a,b,y\n"), "has a header but no data rows"),
    "empty cells": ("csv", lambda d: written(d / "n.csv", "a,b,y\n1,,0\n2,3,1\n"), "non-finite value"),
    "missing label": ("csv", lambda d: written(d / "l.csv", "a,y\n1,cat\n2,\n3,dog\n"), "has no target"),
    "latin-1 text": ("csv", lambda d: written(d / "t.csv", b"a,y\n1,caf\xe9\n"), "is not UTF-8 text"),
    "a directory": ("csv", lambda d: d, "is a directory"),
    "no such file": ("csv", lambda d: d / "nowhere.csv", "does not exist"),
    "npz without x": (
        "npz",
        lambda d: npz(d / "a.npz", inputs=np.zeros((4, 2)), y=np.zeros(4)),
        "data.x_key",
    ),
    "x and y lengths": (
        "npz",
        lambda d: npz(d / "b.npz", x=np.zeros((10, 2)), y=np.zeros(8)),
        "'x' has 10 rows but 'y' has 8",
    ),
    "csv given as npz": ("npz", lambda d: table(d / "c.csv", [0, 1]), "is not a .npz file"),
    "png given as pt": ("pt", lambda d: png(d / "p.pt"), "is not a file written by torch.save"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_files_get_one_message_naming_the_file(capsys, tmp_path, case):
    data, make, expected = BAD_FILES[case]
    folder = tmp_path / "files"
    folder.mkdir()
    path = make(folder)
    code, output, run = fit(capsys, tmp_path, data, path)
    assert_refused(code, output, run, expected, str(path))


def test_an_unreadable_file(capsys, tmp_path, deny_reading):
    path = table(tmp_path / "secret.csv", [0, 1] * 10)
    deny_reading(path)
    code, output, run = fit(capsys, tmp_path, "csv", path)
    assert_refused(code, output, run, f"{path} cannot be read: permission denied")


def test_a_path_too_long_for_the_file_system(capsys, tmp_path):
    path = tmp_path / ("a" * 300 + ".csv")
    code, output, run = fit(capsys, tmp_path, "csv", path)
    assert_refused(code, output, run, "data.path: the path is too long for the file system", str(path)[:60])
