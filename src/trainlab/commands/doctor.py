"""``trainlab doctor RUN_DIR``: what went wrong in a run, why, and the recipe edit that fixes it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trainlab.commands.support import console, option, reports_user_errors
from trainlab.errors import TrainlabError

if TYPE_CHECKING:
    from trainlab.api import FitResult
    from trainlab.diagnose.doctor import Diagnosis


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)


@reports_user_errors
def doctor(
    run_dir: Annotated[Path, typer.Argument(help="The run directory `trainlab fit` wrote.")],
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Tune a detector: --set dead_relu.max_dead_fraction=0.3, or <detector>.enabled=false (repeatable).",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        option("A YAML file whose doctor: section maps detectors to their options (--set wins).", "--config"),
    ] = None,
    no_write: Annotated[
        bool, typer.Option("--no-write", help="Only print: leave the run directory untouched.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print diagnosis.json instead of the table.")
    ] = False,
) -> None:
    """Diagnose a run: findings with evidence, cause and fix; writes RUN_DIR/diagnosis.json."""
    from trainlab.diagnose.diagnosis_table import print_diagnosis
    from trainlab.diagnose.doctor import doctor as run_doctor
    from trainlab.overrides import flatten

    # The config file's options go first as key=value items, so that --set (after them) wins.
    configured = flatten(_config_options(config)) if config is not None else {}
    options = [f"{key}={json.dumps(value)}" for key, value in configured.items()] + list(set_ or [])
    diagnosis = run_doctor(run_dir, options, write=not no_write)
    if as_json:
        print(json.dumps(diagnosis.to_dict(), indent=2))
        return
    print_diagnosis(diagnosis, console)


def _config_options(path: Path) -> dict[str, Any]:
    from trainlab.recipe_yaml import read_recipe_file

    raw = read_recipe_file(path)
    section = raw.get("doctor", raw) if isinstance(raw, dict) else None
    if not isinstance(section, dict):
        raise TrainlabError(f"--config: '{path}' must map detectors to options (a doctor: section)")
    return section


def diagnose_finished_run(result: FitResult) -> Diagnosis | None:
    """The end of ``fit --diagnose`` (or a recipe's ``diagnose:`` section): the doctor on the run just
    made, with diagnosis.json written into it; None for a run that measured nothing or saved nothing."""
    settings = result.recipe.diagnose
    if result.run_dir is None or settings is None or not settings.enabled:
        return None
    from trainlab.diagnose.doctor import doctor as run_doctor

    return run_doctor(result.run_dir)
