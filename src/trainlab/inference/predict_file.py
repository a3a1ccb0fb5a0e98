"""``trainlab predict``: a file of new inputs through one run (or an ensemble), to a prediction file."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import IO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from trainlab._io import atomic_open
from trainlab.errors import TrainlabError
from trainlab.inference.augmented import Augmented, run_augmentations
from trainlab.inference.ensemble import Ensemble
from trainlab.inference.inputs import DEFAULT_CHUNK_ROWS, open_inputs
from trainlab.inference.output import FORMATS, PredictionWriter
from trainlab.inference.predictor import DEFAULT_BATCH_SIZE, load

# Below this many samples (or bytes of CSV, whose rows are not counted ahead) a prediction is
# over before a bar would be read.
PROGRESS_MIN_ROWS = 10_000
PROGRESS_MIN_CSV_BYTES = 1 << 20


def predict_file(
    run_dirs: Sequence[str | os.PathLike[str]],
    input_path: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    fmt: str | None = None,
    top_k: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    tta: bool = False,
    weights: str = "last",
    trust_code: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: bool = True,
) -> int:
    """Predict every sample of ``input_path`` with the runs in ``run_dirs`` (averaged when several).

    The input is read in chunks of ``chunk_rows`` samples and scored in batches of ``batch_size``;
    the output goes to a temporary file that replaces ``output`` only when every row is written, so
    a mistake found half-way (a NaN on line 90,000) leaves no partial file. Without ``output`` the
    rows go to stdout.

    Args:
        run_dirs: One run directory, or several for an ensemble (same task, classes and layout).
        input_path: A .csv, .npy, .npz or .pt file of samples in the runs' layout.
        output: The prediction file; its suffix ``.jsonl`` chooses JSON lines unless ``fmt`` is given.
        fmt: ``csv`` or ``jsonl``.
        top_k: Write only the ``k`` most probable classes per sample.
        batch_size: Samples per forward pass.
        tta: Average each run over its own training augmentations.
        weights: ``last`` or ``best`` (see :func:`trainlab.load`).
        trust_code: Consent to run the code the runs' recipes reference.
        chunk_rows: Samples read from the input at a time.
        progress: Show a bar on stderr for a large input on a terminal.

    Returns:
        The number of samples predicted.

    Raises:
        TrainlabError: bad options, runs that cannot be loaded or combined, or an input not in the layout.
    """
    fmt = fmt or (
        "jsonl" if output is not None and Path(output).suffix.lower() in (".jsonl", ".json") else "csv"
    )
    problems = [
        message
        for bad, message in (
            (fmt not in FORMATS, f"--format {fmt!r}: use csv or jsonl"),
            (top_k is not None and top_k < 1, f"--top-k {top_k}: give a positive number of classes"),
            (batch_size < 1, f"--batch-size {batch_size}: give a positive number of samples"),
            (chunk_rows < 1, f"--chunk-rows {chunk_rows}: give a positive number of rows"),
        )
        if bad
    ]
    if problems:
        raise TrainlabError("; ".join(problems))
    predictors = [load(run_dir, weights=weights, trust_code=trust_code) for run_dir in run_dirs]
    for predictor in predictors:
        predictor.batch_size = batch_size
    scorers = [Augmented(p, run_augmentations(p)) for p in predictors] if tta else None
    ensemble = Ensemble(predictors, scorers)
    if top_k is not None and ensemble.lead.task != "classification":
        raise TrainlabError("--top-k: the run is a regression, which has values, not classes; drop --top-k")
    inputs = open_inputs(input_path, ensemble.lead.preprocessing, chunk_rows=chunk_rows)
    with ExitStack() as stack:
        stream: IO[str] = stack.enter_context(atomic_open(output, "w")) if output is not None else sys.stdout
        writer = PredictionWriter(stream, fmt, ensemble.lead.classes, top_k)
        large = (
            inputs.rows >= PROGRESS_MIN_ROWS
            if inputs.rows is not None
            else inputs.path.stat().st_size >= PROGRESS_MIN_CSV_BYTES
        )
        shown = stack.enter_context(_Progress(inputs.rows, enabled=progress and large))
        done = 0
        for first_row, chunk in inputs.chunks:
            writer.write(
                first_row, ensemble.scores(chunk, first_row=first_row, source=f"--input {inputs.path}")
            )
            done += len(chunk)
            shown.update(done)
    return done


class _Progress:
    """Samples predicted so far, on stderr: a bar on a terminal, else a plain line per chunk (as
    ``trainlab fit`` prints a line per log interval in a pipe); nothing when disabled."""

    def __init__(self, total: int | None, *, enabled: bool):
        self.total = total
        console = Console(stderr=True)
        self.console = console if enabled else None
        self.bar = None
        if enabled and console.is_terminal:
            columns = (
                TextColumn("predict"),
                BarColumn(bar_width=None),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
            )
            self.bar = Progress(*columns, console=console, transient=True)
            self.task = self.bar.add_task("predict", total=total)

    def __enter__(self) -> _Progress:
        if self.bar is not None:
            self.bar.start()
        return self

    def update(self, done: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done)
        elif self.console is not None:
            of = f" of {self.total}" if self.total is not None else ""
            self.console.print(f"predict: {done}{of} samples", highlight=False)

    def __exit__(self, *_: object) -> None:
        if self.bar is not None:
            self.bar.stop()
