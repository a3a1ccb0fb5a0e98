"""``trainlab prune RUN_DIR``: prune a trained run (magnitude, random, structured), fine-tune it, or sweep sparsities."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from trainlab.commands.support import console, option, reports_user_errors, trust_code_option


def register(app: typer.Typer) -> None:
    app.command(name="prune")(prune)


@reports_user_errors
def prune(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `trainlab fit`.")],
    method: Annotated[
        str,
        option(
            "Pruner (`trainlab catalog pruners`): global_magnitude, layer_magnitude, random, structured; "
            "with --sweep, several separated by commas.",
            "--method",
        ),
    ] = "global_magnitude",
    sparsity: Annotated[
        float | None,
        option(
            "Fraction of weights (structured: of each hidden layer's units) removed, in [0, 1).", "--sparsity"
        ),
    ] = None,
    finetune_steps: Annotated[
        int, option("Steps of training after pruning, with the run's recipe (0: none).", "--finetune-steps")
    ] = 0,
    out: Annotated[
        str | None, option("The new run directory (with --sweep: the sweep's directory).", "--out")
    ] = None,
    sweep: Annotated[
        str | None,
        option(
            "Sparsities to sweep, e.g. 0.5,0.7,0.9,0.95: writes sweep.csv, sweep.md and sweep.png.", "--sweep"
        ),
    ] = None,
    pruner_options: Annotated[
        list[str], option("A pruner option, e.g. --option norm=2 (repeatable).", "--option")
    ] = [],  # noqa: B006 (typer reads the default; it is never mutated)
    overrides: Annotated[
        list[str],
        option("Override a recipe key for the fine-tune: --set optimizer.lr=1e-4 (repeatable).", "--set"),
    ] = [],  # noqa: B006
    trust_code: Annotated[bool, trust_code_option()] = False,
) -> None:
    """Prune a trained run into a new run directory (per-layer sparsity in its summary.json), or sweep sparsities.

    The new run evaluates, predicts and loads like any other: unstructured pruning keeps the
    architecture with zeroed weights; structured pruning records the new widths in recipe.yaml.
    """
    from trainlab.errors import TrainlabError

    options = _parse_options(pruner_options)
    if sweep is not None:
        import datetime as dt

        from trainlab.compress.prune.sweep import parse_sparsities
        from trainlab.compress.prune.sweep import sweep as run_sweep

        sparsities = parse_sparsities(sweep)
        target = out or f"runs/{run_dir.name}-sweep/{dt.datetime.now():%Y%m%d-%H%M%S}"
        rows = run_sweep(
            run_dir,
            [name.strip() for name in method.split(",") if name.strip()],
            sparsities,
            out=target,
            finetune_steps=finetune_steps,
            options=options,
            overrides=overrides,
            trust_code=trust_code,
        )
        console.print((Path(target) / "sweep.md").read_text(), highlight=False)
        console.print(
            f"wrote {target}/sweep.csv, sweep.md, sweep.png and {len(rows) - 1} pruned runs", highlight=False
        )
        return
    if sparsity is None:
        raise TrainlabError(
            "--sparsity: give the fraction to remove, e.g. --sparsity 0.9 (or --sweep 0.5,0.9)"
        )
    from trainlab.compress.prune.run import prune as prune_run

    result = prune_run(
        run_dir,
        method,
        sparsity,
        finetune_steps=finetune_steps,
        out=out,
        options=options,
        overrides=overrides,
        trust_code=trust_code,
    )
    summary, pruning = result.summary, result.summary["pruning"]
    split = "test" if "test" in summary else "val"
    before, after = pruning["source_metrics"].get(split, {}), summary[split]
    metric = "accuracy" if "accuracy" in after else "loss"
    console.print(
        f"{pruning['method']} at {sparsity:g}: {split} {metric} {before.get(metric, float('nan')):.4f} -> "
        f"{after[metric]:.4f}; parameters {pruning['source_model']['nonzero_parameters']:,} -> "
        f"{summary['model']['nonzero_parameters']:,} non-zero ({summary['model']['parameters']:,} stored), "
        f"weights file {pruning['source_model']['weights_bytes']:,} -> {summary['model']['weights_bytes']:,} bytes",
        highlight=False,
    )
    console.print(f"wrote {result.run_dir}", highlight=False)


def _parse_options(pairs: list[str]) -> dict[str, Any]:
    """``["norm=2"]`` as ``{"norm": 2}``, each value read as YAML (numbers, booleans, strings)."""
    from trainlab.errors import TrainlabError
    from trainlab.recipe_yaml import parse_yaml

    options: dict[str, Any] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key.strip():
            raise TrainlabError(f"--option {pair!r}: write KEY=VALUE, e.g. --option norm=2")
        options[key.strip()] = parse_yaml(value, source=f"--option {pair}")
    return options
