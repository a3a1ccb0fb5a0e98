"""``trainlab distill --teacher RUN_DIR RECIPE``: train a recipe's model on a trained teacher's soft labels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from trainlab.commands.support import console, option, reports_user_errors, trust_code_option


def register(app: typer.Typer) -> None:
    app.command(name="distill")(distill)


@reports_user_errors
def distill(
    recipe: Annotated[Path, typer.Argument(help="The student's recipe (any model).")],
    teacher: Annotated[
        Path, option("The teacher: a classification run directory of `trainlab fit`.", "--teacher")
    ],
    temperature: Annotated[float, option("Softmax temperature T of the soft term.", "--temperature")] = 4.0,
    alpha: Annotated[
        float, option("Weight of the soft term (1 - alpha weights the hard-label cross-entropy).", "--alpha")
    ] = 0.9,
    hint: Annotated[
        str | None,
        option(
            "Also match a student layer's output to a teacher layer's through a learned projection: "
            "STUDENT_LAYER:TEACHER_LAYER (module names), e.g. act1:conv3.",
            "--hint",
        ),
    ] = None,
    hint_weight: Annotated[
        float, option("Weight of the hint term (mean squared error).", "--hint-weight")
    ] = 1.0,
    seed: Annotated[int | None, option("The student's seed (train.seed).", "--seed")] = None,
    out: Annotated[str | None, option("The student's run directory.", "--out")] = None,
    overrides: Annotated[
        list[str], option("Override a student recipe key: --set train.steps=2000 (repeatable).", "--set")
    ] = [],  # noqa: B006 (typer reads the default; it is never mutated)
    trust_code: Annotated[bool, trust_code_option()] = False,
) -> None:
    """Distill a teacher run into the recipe's model (the kd loss: T^2-scaled KL to the teacher plus cross-entropy).

    The student's run directory evaluates and predicts like any run; its recipe.yaml records the
    kd loss with the teacher's directory.
    """
    from trainlab.compress.distill import distill as distill_run

    given: dict[str, Any] = {"seed": seed, "out": out}
    fields = {key: value for key, value in given.items() if value is not None}
    result = distill_run(
        teacher,
        recipe,
        temperature=temperature,
        alpha=alpha,
        hint=hint,
        hint_weight=hint_weight,
        overrides=overrides,
        trust_code=trust_code,
        **fields,
    )
    split = "test" if "test" in result.summary else "val"
    metrics = result.summary.get(split, {})
    shown = ", ".join(f"{key} {value:.4f}" for key, value in metrics.items() if isinstance(value, float))
    console.print(f"student {split}: {shown}", highlight=False)
    console.print(f"wrote {result.run_dir}", highlight=False)
