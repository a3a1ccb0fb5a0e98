"""A small pretrained run (digits 0-4, an MLP with batch norm) that the fine-tuning tests start from."""

from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file

import trainlab

PRETRAIN: dict[str, Any] = {
    "data": {"name": "digits", "subset": {"classes": [0, 1, 2, 3, 4]}},
    "model": {"name": "mlp", "norm": "batch", "width": 32},
    "optimizer": {"name": "adam", "lr": 1e-2},
    "train": {"steps": 30, "batch_size": 32, "threads": 1, "progress": False},
}


@pytest.fixture(scope="session")
def pretrained(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pretrained") / "run"
    trainlab.fit({**PRETRAIN, "out": str(out)}, verbose=0)
    return out


def _finetune_recipe(run: Path, **changes: Any) -> dict[str, Any]:
    """Digits 5-9 from the pretrained run, 20 steps; ``changes`` replace top-level keys."""
    recipe: dict[str, Any] = {
        "data": {"name": "digits", "subset": {"classes": [5, 6, 7, 8, 9]}},
        "model": {"name": "from_run", "run": str(run)},
        "optimizer": {"name": "adamw", "lr": 1e-2, "weight_decay": 0.1},
        "train": {"steps": 20, "batch_size": 32, "threads": 1, "progress": False},
    }
    return {**recipe, **changes}


def _weights(run: Path) -> dict[str, torch.Tensor]:
    return load_file(str(run / "model.safetensors"))


@pytest.fixture
def finetune_recipe():
    return _finetune_recipe


@pytest.fixture
def weights():
    return _weights
