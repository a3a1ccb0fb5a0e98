"""MNIST-1D: the 1-D digit benchmark, generated offline with the mnist1d package and cached on disk."""

from __future__ import annotations

import json
import random
from importlib import metadata
from typing import Any

import numpy as np

from trainlab.data.sources._cache import cached_arrays
from trainlab.data.sources.raw import RawData
from trainlab.registry import DATASETS

REFERENCE = (
    "Greydanus & Kobak, Scaling Down Deep Learning with MNIST-1D, ICML 2024 (arXiv:2011.14439); "
    "https://github.com/greydanus/mnist1d"
)
SEQUENCE_LENGTH = 40
NUM_CLASSES = 10


def generator_args(shuffle_seq: bool = False) -> dict[str, Any]:
    """The arguments passed to ``mnist1d.data.make_dataset``: the package defaults.

    ``get_dataset_args()`` gives the standard benchmark (5000 samples, 80 % train, seed 42), so the
    arrays match the published dataset's construction. The ``url`` entry is dropped: trainlab
    never downloads, and the url does not change the generated arrays.
    """
    from mnist1d.data import get_dataset_args

    args = get_dataset_args(as_dict=True)
    args.pop("url", None)
    args["shuffle_seq"] = bool(shuffle_seq)
    return args


def cache_key(shuffle_seq: bool = False) -> dict[str, Any]:
    """What the cached arrays depend on: the package's version (its defaults are the arguments) and ``shuffle_seq``.

    The arguments themselves are not in the key: reading them means importing ``mnist1d``, which pulls in
    matplotlib and scipy (over a second of start-up for every run that finds its data in the cache).
    """
    return {
        "generator": "get_dataset_args",
        "mnist1d_version": _package_version(),
        "shuffle_seq": bool(shuffle_seq),
    }


def generate(shuffle_seq: bool = False) -> dict[str, np.ndarray]:
    """Run ``mnist1d.data.make_dataset`` once: ``x`` ``(N, 1, 40)`` float32, ``y`` int64, and the test pair.

    ``generator_args`` holds the arguments it was called with, as JSON text (kept in the cache beside
    the arrays, so that a cached load does not import the package to read them). ``make_dataset``
    reseeds Python's and NumPy's global generators; their state is restored afterwards so that loading
    data never changes the random stream of the caller's run.
    """
    # Imported here: mnist1d pulls in matplotlib and requests, which `import trainlab` should not pay for.
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.shuffle_seq = bool(shuffle_seq)
    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        dataset = make_dataset(args)
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
    return {
        "x": _as_signal(dataset["x"]),
        "y": np.asarray(dataset["y"], dtype=np.int64),
        "x_test": _as_signal(dataset["x_test"]),
        "y_test": np.asarray(dataset["y_test"], dtype=np.int64),
        "generator_args": np.array(json.dumps(generator_args(shuffle_seq), sort_keys=True)),
    }


def _as_signal(x: np.ndarray) -> np.ndarray:
    # One channel of length 40, channels first, so 1-D convolutions take it as is.
    return np.asarray(x, dtype=np.float32).reshape(len(x), 1, SEQUENCE_LENGTH)


@DATASETS.register("mnist1d", reference=REFERENCE, flags={"task": "classification", "input": "signal"})
def mnist1d(shuffle_seq: bool = False) -> RawData:
    """MNIST-1D: 10 digit templates as 40-step signals (4000 train / 1000 test), generated offline.

    The arrays come from ``mnist1d.data.make_dataset(get_dataset_args())``, the construction of
    the paper, cast to float32 and shaped ``(N, 1, 40)``. Generation takes a few seconds, so the
    arrays are cached in ``$TRAINLAB_CACHE`` (default ``~/.cache/trainlab``) under a hash of the
    generator arguments and package version, and memoised in the process.

    Args:
        shuffle_seq: Apply one fixed random permutation to the 40 time steps of every signal.
            This removes spatial structure while keeping the information, the paper's test of
            whether a model relies on locality (CNNs suffer, MLPs do not).

    Returns:
        RawData with the dataset's own test split.
    """
    arrays = cached_arrays("mnist1d", cache_key(shuffle_seq), lambda: generate(shuffle_seq))
    return RawData(
        x_train=arrays["x"],
        y_train=arrays["y"],
        x_test=arrays["x_test"],
        y_test=arrays["y_test"],
        task="classification",
        input_shape=(1, SEQUENCE_LENGTH),
        num_classes=NUM_CLASSES,
        class_names=[str(digit) for digit in range(NUM_CLASSES)],
        info={
            "generator": "mnist1d.data.make_dataset",
            "generator_args": json.loads(arrays["generator_args"].item()),
        },
    )


@DATASETS.register(
    "mnist1d_shuffled", reference=REFERENCE, flags={"task": "classification", "input": "signal"}
)
def mnist1d_shuffled() -> RawData:
    """MNIST-1D with its 40 time steps in one fixed random order (``mnist1d`` with ``shuffle_seq=True``).

    Returns:
        RawData with the dataset's own test split.
    """
    return mnist1d(shuffle_seq=True)


def _package_version() -> str:
    try:
        return metadata.version("mnist1d")
    except metadata.PackageNotFoundError:
        return "unknown"
