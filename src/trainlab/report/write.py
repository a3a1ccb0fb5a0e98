"""``write_report``: a run directory's or an experiment directory's report.html, written atomically."""

from __future__ import annotations

import os
from pathlib import Path

from trainlab._io import write_text_atomic
from trainlab.errors import TrainlabError

REPORT_FILE = "report.html"
EXPERIMENT_SPEC = "experiment.yaml"


def write_report(
    path: str | os.PathLike[str], *, out: str | os.PathLike[str] | None = None, split: str | None = None
) -> Path:
    """Write the report of the run or experiment in ``path``; returns the file written.

    Args:
        path: A run directory (``trainlab fit``) or an experiment directory (``trainlab experiment run``).
        out: The HTML file; default ``<path>/report.html``.
        split: The split an experiment's statistics compare (default test, val when runs were not tested).

    Raises:
        TrainlabError: ``path`` is neither a run nor an experiment directory, or ``split`` is unknown.
    """
    from trainlab.report.run_data import is_run_dir

    directory = Path(path)
    if split is not None and split not in ("train", "val", "test"):
        raise TrainlabError(f"--split {split!r}: use train, val or test")
    if (directory / EXPERIMENT_SPEC).is_file():
        from trainlab.experiment.results import load_results
        from trainlab.report.experiment_report import render_experiment_report

        html = render_experiment_report(load_results(directory), split)
    elif is_run_dir(directory):
        from trainlab.report.run_data import read_run
        from trainlab.report.run_report import render_run_report

        html = render_run_report(read_run(directory))
    else:
        what = (
            "does not exist"
            if not directory.exists()
            else "is neither a run directory nor an experiment directory"
        )
        raise TrainlabError(
            f"'{directory}' {what}; give a folder written by `trainlab fit` (with recipe.yaml and summary.json) "
            f"or by `trainlab experiment run` (with {EXPERIMENT_SPEC})"
        )
    target = Path(out) if out is not None else directory / REPORT_FILE
    write_text_atomic(target, html)
    return target
