"""Shared fixtures for the data tests: a per-session dataset cache (mnist1d is generated once), unreadable files."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from trainlab.data.sources import _cache


@pytest.fixture(scope="session", autouse=True)
def trainlab_cache(tmp_path_factory: pytest.TempPathFactory):
    """Point TRAINLAB_CACHE at a directory shared by this session; never the user's ~/.cache."""
    directory = tmp_path_factory.mktemp("trainlab-cache")
    patch = pytest.MonkeyPatch()
    patch.setenv("TRAINLAB_CACHE", str(directory))
    _cache.clear_memo()
    yield directory
    patch.undo()
    _cache.clear_memo()


@pytest.fixture(scope="session")
def mnist1d_reference():
    """A fresh ``make_dataset(get_dataset_args())``: the independent reference for the mnist1d loader."""
    from mnist1d.data import get_dataset_args, make_dataset

    return make_dataset(get_dataset_args())


@pytest.fixture
def inputs() -> torch.Tensor:
    """Samples of shape (3, 5) with offsets and spreads that differ by position, one position constant."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(200, 3, 5, generator=generator) * torch.linspace(0.1, 10, 5) + 50.0
    x[:, 1, 2] = 7.0  # a constant position must not produce NaN
    return x


@pytest.fixture
def deny_reading(monkeypatch: pytest.MonkeyPatch):
    """``deny_reading(path)`` makes opening ``path`` fail as chmod 000 does, also when tests run as root."""

    def deny(target: Path) -> None:
        real_open = Path.open

        def guarded_open(self: Path, *args, **kwargs):
            if self == target:
                raise PermissionError(13, "Permission denied", str(self))
            return real_open(self, *args, **kwargs)

        monkeypatch.setattr(Path, "open", guarded_open)

    return deny
