"""A tiny trained MNIST-1D MLP run, shared by the pruning tests (trains in about a second)."""

import pytest

import trainlab

TINY = [
    "model.width=32",
    "model.depth=2",
    "train.steps=30",
    "train.batch_size=64",
    "train.progress=false",
    "train.deterministic=true",
]


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("prune") / "base"
    trainlab.fit(data="mnist1d", model="mlp", out=str(out), overrides=TINY, verbose=0)
    return out
