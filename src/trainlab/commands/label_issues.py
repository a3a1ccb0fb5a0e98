"""``trainlab label-issues RECIPE``: likely mislabelled training samples, by out-of-fold confident learning."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from trainlab.commands.support import console, reports_user_errors, trust_code_option
from trainlab.commands.support import option as _opt
from trainlab.errors import TrainlabError

SUSPECTS_CSV = "label_issues.csv"
SCORES_JSON = "label_issues.json"


def register(app: typer.Typer) -> None:
    app.command("label-issues")(reports_user_errors(label_issues))


def label_issues(
    recipe: Annotated[
        Path, typer.Argument(help="Recipe YAML file (its model and training judge the labels).")
    ],
    set_: Annotated[
        list[str],
        typer.Option("--set", help="Override a recipe key: --set data.label_noise.rate=0.2 (repeatable)."),
    ] = [],  # noqa: B006 (typer copies list defaults per call)
    folds: Annotated[
        int,
        _opt(
            "Folds of the training split; each is predicted by a model of the others (default 5).", "--folds"
        ),
    ] = 5,
    top: Annotated[int, _opt("Suspects to print (default 15).", "--top")] = 15,
    out: Annotated[
        Path | None, _opt(f"Directory for {SUSPECTS_CSV} (every suspect) and {SCORES_JSON}.", "--out")
    ] = None,
    trust_code: Annotated[bool, trust_code_option()] = False,
) -> None:
    """List the training samples whose label the recipe's model, trained on the other folds, confidently disputes."""
    if folds < 2:
        raise TrainlabError(f"--folds {folds}: out-of-fold predictions need at least 2 folds")
    if top < 0:
        raise TrainlabError(f"--top {top}: give 0 or more")
    from trainlab._io import write_json_atomic, write_text_atomic
    from trainlab.api import resolve_recipe
    from trainlab.diagnose.label_issues import find_label_issues
    from trainlab.references import trusting_code

    with trusting_code(trust_code):
        issues, bundle = find_label_issues(resolve_recipe(recipe, set_), folds=folds, trust_code=trust_code)
    classes = bundle.info.get("classes") or list(range(bundle.num_outputs))
    size = bundle.size("train")
    table = Table(
        title=f"{len(issues.indices)} of {size} training samples look mislabelled ({folds}-fold confident learning)"
    )
    for column in ("index", "given", "likely", "p(given)"):
        table.add_column(column, justify="right")
    for index, given, likely, confidence in list(
        zip(issues.indices, issues.given, issues.suggested, issues.self_confidence, strict=True)
    )[:top]:
        table.add_row(str(index), str(classes[given]), str(classes[likely]), f"{confidence:.3f}")
    console.print(table)
    noise = bundle.info.get("label_noise")
    scores: dict[str, Any] = {"folds": folds, "train_samples": size, "suspects": len(issues.indices)}
    if noise is not None:
        scores |= issues.scores_against(noise["flipped"]) | {
            "injected_rate": noise["rate"],
            "kind": noise["kind"],
        }
        console.print(
            f"Against the {scores['flipped']} labels the recipe flipped ({noise['kind']}, rate {noise['rate']:g}): "
            f"precision {scores['precision']:.3f}, recall {scores['recall']:.3f}."
        )
    if out is not None:
        rows = io.StringIO()
        writer = csv.writer(rows)
        writer.writerow(["index", "given", "likely", "p_given"])
        for index, given, likely, confidence in zip(
            issues.indices, issues.given, issues.suggested, issues.self_confidence, strict=True
        ):
            writer.writerow([int(index), classes[given], classes[likely], f"{confidence:.6g}"])
        out.mkdir(parents=True, exist_ok=True)
        write_text_atomic(out / SUSPECTS_CSV, rows.getvalue())
        write_json_atomic(out / SCORES_JSON, scores)
        console.print(f"Wrote {out / SUSPECTS_CSV} and {out / SCORES_JSON}.")
