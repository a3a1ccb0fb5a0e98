"""The playground's figures: matplotlib without a display, and files written whole in a format their suffix names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trainlab._io import write_with_atomic
from trainlab.errors import TrainlabError

FORMATS = (".png", ".svg", ".pdf")


def pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend (no display needed); imported on first use, it is slow to load."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def check_figure_path(out: str | Path) -> Path:
    """``out`` as a path, if its suffix names a format we can write.

    Raises:
        TrainlabError: another suffix (``--out s.txt``), before any work is done.
    """
    path = Path(out)
    if path.suffix.lower() not in FORMATS:
        raise TrainlabError(f"--out '{path}': write a {', '.join(FORMATS[:-1])} or {FORMATS[-1]} file")
    return path


def save_figure(figure: Any, out: str | Path, **savefig: Any) -> Path:
    """Write ``figure`` to ``out`` atomically (at 120 dpi unless ``savefig`` says otherwise) and close it.

    Raises:
        TrainlabError: an unsupported suffix, or a file that cannot be written there.
    """
    path = check_figure_path(out)
    try:
        options = {"dpi": 120, **savefig, "format": path.suffix[1:].lower()}
        write_with_atomic(path, lambda tmp: figure.savefig(tmp, **options))
    except OSError as exc:
        raise TrainlabError(
            f"--out '{path}': cannot write it ({exc.strerror or exc}); choose another path"
        ) from None
    finally:
        pyplot().close(figure)
    return path
