"""Runs the inference tests share: an mlp trained on a CSV table with text labels."""

import pytest
from inference_tables import table, write_csv

import trainlab


@pytest.fixture(scope="session")
def csv_run(tmp_path_factory):
    """A finished mlp run on a 3-feature CSV with labels cat/dog/fox, standardized, with checkpoints."""
    root = tmp_path_factory.mktemp("csv_run")
    x, y = table(seed=0)
    data = write_csv(root / "train.csv", x, y)
    run = root / "run"
    trainlab.fit(
        data="csv",
        model="mlp",
        steps=60,
        eval_every=20,
        out=str(run),
        verbose=0,
        overrides=[f"data.path={data}", "data.target=species", "train.checkpoint_every=20", "model.width=16"],
    )
    return run
