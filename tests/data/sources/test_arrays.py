"""The npz and pt datasets: round trips, safe loading, and files or arrays that do not fit, named by key."""

from __future__ import annotations

import io

import numpy as np
import pytest
import safetensors.torch
import torch

from trainlab.data import load_data
from trainlab.errors import DataError
from trainlab.registry import DATASETS


def raw(name: str, **options):
    return DATASETS.get(name).build(**options)


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


def test_bfloat16_tensors_are_widened(tmp_path):
    x = torch.randn(20, 3).to(torch.bfloat16)
    torch.save({"x": x, "y": torch.arange(20) % 2}, tmp_path / "b.pt")
    data = raw("pt", path=tmp_path / "b.pt")
    assert data.x_train.dtype == np.float32 and torch.equal(torch.from_numpy(data.x_train), x.float())


def test_pt_reads_a_safetensors_file_as_torch_load_does(tmp_path):
    tensors = {"x": torch.randn(20, 3), "y": torch.arange(20) % 2}
    safetensors.torch.save_file(tensors, tmp_path / "d.safetensors")
    data = raw("pt", path=tmp_path / "d.safetensors")
    np.testing.assert_array_equal(data.x_train, tensors["x"].numpy())


def test_text_labels_in_an_npz_become_classes_of_both_splits(tmp_path):
    np.savez(
        tmp_path / "t.npz",
        x=np.zeros((4, 2)),
        y=np.array(["dog", "cat", "dog", "cat"]),
        x_test=np.zeros((2, 2)),
        y_test=np.array(["bird", "cat"]),
    )
    data = raw("npz", path=tmp_path / "t.npz")
    assert data.task == "classification" and data.class_names == ["bird", "cat", "dog"]
    np.testing.assert_array_equal(data.y_train, [2, 1, 2, 1])
    np.testing.assert_array_equal(data.y_test, [0, 1])
    with pytest.raises(DataError, match=r"data\.task: is 'regression' but 'y' .* holds text"):
        raw("npz", path=tmp_path / "t.npz", task="regression")


# ---------------------------------------------------------------------------------------------
# files that are not what the dataset reads


def save_npy(path):
    with path.open("wb") as handle:  # a handle, or numpy would add its own extension to the name
        np.save(handle, np.zeros((4, 3)))


def save_torch(path):
    torch.save({"x": torch.zeros(4, 3), "y": torch.zeros(4)}, path)


def save_npz(path):
    with path.open("wb") as handle:
        np.savez(handle, x=np.zeros((4, 3)), y=np.zeros(4))


def save_png(path):
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))


def save_csv(path):
    path.write_text("a,b,y\n1,2,0\n3,4,1\n")


WRONG_FILES = [
    ("npz", save_npy, "is not a .npz file: it holds a single array saved with numpy.save"),
    (
        "npz",
        save_torch,
        r"is a zip archive without NumPy arrays \(a file written by torch.save is one; for it use data.name: pt\)",
    ),
    ("npz", save_png, "is not a .npz file: it looks like a PNG image"),
    ("npz", save_csv, r"is not a .npz file: it looks like text \(for a CSV file use data.name: csv\)"),
    (
        "pt",
        save_npz,
        "is a .npz archive of NumPy arrays, not a file written by torch.save; use data.name: npz",
    ),
    ("pt", save_png, "is not a file written by torch.save: it looks like a PNG image"),
    ("pt", save_csv, "is not a file written by torch.save: it looks like text"),
]


@pytest.mark.parametrize(
    ("name", "save", "expected"),
    WRONG_FILES,
    ids=[f"{name}-{save.__name__}" for name, save, _ in WRONG_FILES],
)
def test_a_file_of_another_kind_is_named_with_what_it_is(tmp_path, name, save, expected):
    path = tmp_path / f"data.{name}"
    save(path)
    with pytest.raises(DataError, match=expected) as caught:
        raw(name, path=path)
    assert str(caught.value).startswith(f"data.path: {path} ")


def test_a_truncated_pt_file_says_it_may_be_damaged(tmp_path):
    buffer = io.BytesIO()
    torch.save({"x": torch.zeros(100, 3), "y": torch.zeros(100)}, buffer)
    (tmp_path / "cut.pt").write_bytes(buffer.getvalue()[:300])
    with pytest.raises(
        DataError, match=r"could not be loaded with weights_only=True \(.*\); it may be truncated"
    ):
        raw("pt", path=tmp_path / "cut.pt")


# ---------------------------------------------------------------------------------------------
# arrays that do not fit together


ARRAY_PROBLEMS = [
    (
        {"x": np.zeros((10, 2)), "y": np.zeros(8)},
        r"'x' has 10 rows but 'y' has 8; every sample needs exactly one target",
    ),
    ({"x": np.zeros((0, 2)), "y": np.zeros(0)}, r"'x' has no rows"),
    (
        {"x": np.zeros((4, 2)), "y": np.array(3)},
        r"'y' is a single value of dtype int64; targets must be an array",
    ),
    (
        {"x": np.array(["a", "b"]), "y": np.zeros(2)},
        r"'x' is an array of dtype <U1; inputs must be an array of numbers",
    ),
    (
        {"x": np.zeros((4, 2)), "y": np.arange(4) % 2, "x_test": np.zeros((2, 3)), "y_test": np.zeros(2)},
        r"the samples of 'x_test' have shape \(3,\) but those of 'x' have \(2,\)",
    ),
    (
        {"x": np.zeros((4, 2)), "y": np.arange(4) % 2, "x_test": np.zeros((2, 2)), "y_test": np.zeros(3)},
        r"'x_test' has 2 rows but 'y_test' has 3",
    ),
]


@pytest.mark.parametrize(("saved", "expected"), ARRAY_PROBLEMS)
def test_arrays_that_do_not_fit_are_named_in_the_file(tmp_path, saved, expected):
    np.savez(tmp_path / "d.npz", **saved)
    with pytest.raises(DataError, match=expected) as caught:
        raw("npz", path=tmp_path / "d.npz")
    assert str(caught.value).startswith(f"data.path: in {tmp_path / 'd.npz'},")


def test_one_hot_targets_are_refused_with_the_argmax_fix(tmp_path):
    labels = np.arange(12) % 3
    np.savez(tmp_path / "d.npz", x=np.zeros((12, 2)), y=np.eye(3)[labels])
    with pytest.raises(DataError, match=r"data\.y_key: 'y' of .* looks one-hot .*y\.argmax\(1\)"):
        raw("npz", path=tmp_path / "d.npz")
    assert raw("npz", path=tmp_path / "d.npz", task="regression").task == "regression"
