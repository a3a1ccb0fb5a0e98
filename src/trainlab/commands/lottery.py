"""``trainlab lottery RECIPE``: the lottery-ticket procedure (prune, rewind, retrain) against a random re-init of its mask."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from trainlab.commands.support import console, option, reports_user_errors, trust_code_option

RESULT_JSON = "lottery.json"


def register(app: typer.Typer) -> None:
    app.command(name="lottery")(lottery)


@reports_user_errors
def lottery(
    recipe: Annotated[Path, typer.Argument(help="Recipe YAML file; its model must be a registered one.")],
    sparsity: Annotated[
        float, option("Final fraction of prunable weights removed, in (0, 1).", "--sparsity")
    ] = 0.8,
    rounds: Annotated[int, option("Prune-rewind-retrain rounds to reach it (default 2).", "--rounds")] = 2,
    rewind_step: Annotated[
        int,
        option("The dense run's step whose weights the survivors return to (0: the init).", "--rewind-step"),
    ] = 0,
    out: Annotated[
        Path | None, option(f"Directory for {RESULT_JSON} (metrics of each model and round).", "--out")
    ] = None,
    overrides: Annotated[
        list[str],
        option("Override a recipe key for every training: --set train.seed=1 (repeatable).", "--set"),
    ] = [],  # noqa: B006 (typer reads the default; it is never mutated)
    trust_code: Annotated[bool, trust_code_option()] = False,
) -> None:
    """Train the recipe, prune it by global magnitude in rounds, rewind the survivors and retrain (Frankle & Carbin
    2019); then train the same mask from a fresh initialization, and compare the three."""
    from trainlab._io import write_json_atomic
    from trainlab.compress.prune import lottery_ticket

    result = lottery_ticket(
        recipe,
        sparsity=sparsity,
        rounds=rounds,
        rewind_step=rewind_step,
        overrides=overrides,
        trust_code=trust_code,
    )
    for name, splits in (
        ("dense", result.dense),
        ("winning ticket", result.ticket),
        ("random re-init", result.random_reinit),
    ):
        scores = ", ".join(
            f"{split} {metric} {value:.4f}"
            for split, metrics in splits.items()
            for metric, value in metrics.items()
            if isinstance(value, float)
        )
        console.print(f"{name:>15}: {scores}", highlight=False)
    console.print(f"sparsity {result.sparsity:.3f} after {rounds} round(s), rewound to step {rewind_step}")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        fields = {key: value for key, value in dataclasses.asdict(result).items() if key != "masks"}
        write_json_atomic(out / RESULT_JSON, fields)
        console.print(f"wrote {out / RESULT_JSON}")
