"""Running a playground arm: one optimizer from a seeded start on a 2-D function, saved as playground.json."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from trainlab._io import write_json_atomic
from trainlab.studies.measures.playground import PLAYGROUND_FILE
from trainlab.studies.spec import PlaygroundSettings


def run_playground_arm(settings: PlaygroundSettings, seed: int, run_dir: Path) -> dict[str, Any]:
    """Run the arm at ``seed`` into ``run_dir`` (skipped when its playground.json exists); returns the record."""
    import json

    path = run_dir / PLAYGROUND_FILE
    if path.is_file():
        record: dict[str, Any] = json.loads(path.read_text())
        return record
    import torch

    from trainlab.playground import get_function, run_playground

    started = time.perf_counter()
    function = get_function(settings.function, key="playground.function")
    x0, y0 = settings.start or function.start
    generator = torch.Generator().manual_seed(seed)
    shift = torch.randn(2, generator=generator, dtype=torch.float64) * settings.start_jitter
    start = (x0 + float(shift[0]), y0 + float(shift[1]))
    (trajectory,) = run_playground(
        function,
        [settings.optimizer],
        steps=settings.steps,
        tolerance=settings.tolerance,
        lr=settings.lr,
        start=start,
    )
    points = trajectory.points.clone().requires_grad_(True)
    (gradients,) = torch.autograd.grad(function(points).sum(), points)
    record = {
        "status": "finished",
        "settings": settings.model_dump(mode="json"),
        "seed": seed,
        "start": list(start),
        "steps": settings.steps,
        "steps_to_tolerance": trajectory.steps_to_tolerance,
        "values": [float(v) for v in trajectory.values],
        "final_distance": function.distance_to_minimum(trajectory.points[-1]),
        "steps_taken": (trajectory.points[1:] - trajectory.points[:-1]).tolist(),
        "gradients": gradients[:-1].tolist(),
        "wall_s": time.perf_counter() - started,
    }
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, record)
    return record
