"""Suite-wide settings: generated datasets are cached in one temporary directory per session."""

import os
import tempfile

import pytest

# Set before trainlab reads it, so tests never write to the user's ~/.cache.
os.environ.setdefault("TRAINLAB_CACHE", tempfile.mkdtemp(prefix="trainlab-test-cache-"))


@pytest.fixture
def cli(capsys):
    """Run ``trainlab ARGS...`` in this process; returns ``(exit code, stdout + stderr)``."""
    from trainlab.cli import main

    def run(*args: object) -> tuple[int, str]:
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    return run


@pytest.fixture
def one_message():
    """The check for a user's mistake: exit code 2, one ``error:`` message, no traceback, each text named."""

    def check(code: int, output: str, *named: str) -> None:
        assert code == 2, output
        assert "Traceback" not in output
        assert output.count("error:") == 1, output
        for text in named:
            assert text in output, output

    return check
