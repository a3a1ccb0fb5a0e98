"""``trainlab.compress.distill``: train any recipe's model as a student of a trained teacher run (Hinton et al. 2015)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from trainlab.errors import TrainlabError


def distill(
    teacher: str | os.PathLike[str],
    recipe: Mapping[str, Any] | str | os.PathLike[str],
    *,
    temperature: float = 4.0,
    alpha: float = 0.9,
    hint: str | None = None,
    hint_weight: float = 1.0,
    overrides: Sequence[str] = (),
    trust_code: bool = False,
    verbose: int = 1,
    **fields: Any,
) -> Any:
    """Train ``recipe``'s model against the soft labels of ``teacher``'s model (the ``kd`` loss).

    The recipe's loss is replaced by ``kd`` (``alpha * T^2 * KL(teacher/T || student/T) + (1 -
    alpha) * CE``); the teacher's logits are computed on each training batch from the teacher
    run's weights (loaded with safetensors). The teacher sees the student's model inputs, so the
    two runs must share the input shape, the classes and the scaling: each mismatch is refused
    before training, naming both sides.

    Args:
        teacher: A finished classification run directory (``trainlab fit``).
        recipe: The student's recipe (file or mapping); any model.
        temperature: Softmax temperature T of the soft term.
        alpha: Weight of the soft term.
        hint: ``"STUDENT_LAYER:TEACHER_LAYER"``: also regress that student layer's output, through a
            learned linear projection, onto that teacher layer's (FitNets hints; see
            :class:`~trainlab.compress.distill_hint.HintDistillation`).
        hint_weight: Weight of the hint term (mean squared error).
        overrides: ``--set`` keys on the student's recipe.
        trust_code: Consent to run the code either recipe references.
        verbose: As :func:`trainlab.fit`.
        **fields: Quick fields of :func:`trainlab.fit` (``out``, ``seed``, ``steps``, ...).

    Returns:
        The student's :class:`trainlab.FitResult`.

    Raises:
        TrainlabError: the teacher is no finished classification run, or its inputs, classes or
            scaling differ from the student's data.
    """
    from trainlab.api import fit, resolve_recipe
    from trainlab.build import build_data
    from trainlab.references import trusting_code
    from trainlab.run_dir import RunDirectory

    teacher_run = RunDirectory(teacher)
    teacher_data = _teacher_data(teacher_run)
    with trusting_code(trust_code):
        student = resolve_recipe(recipe, overrides, **fields)
        bundle = build_data(student)
    check_teacher_fits(teacher_data, bundle, str(teacher_run.path))
    callbacks = []
    if hint is not None:
        from trainlab.build import build_network
        from trainlab.compress.distill_hint import HintDistillation, parse_hint

        student_layer, teacher_layer = parse_hint(hint)
        hinting = HintDistillation(
            str(teacher_run.path), student_layer, teacher_layer, hint_weight, tuple(bundle.input_shape)
        )
        with trusting_code(trust_code):
            hinting.check_student(build_network(student, bundle))
        callbacks.append(hinting)
    loss = {
        "name": "kd",
        "teacher": str(teacher_run.path.resolve()),
        "temperature": temperature,
        "alpha": alpha,
    }
    raw = {**student.to_dict(), "loss": loss}
    return fit(raw, callbacks=callbacks, trust_code=trust_code, verbose=verbose)


def _teacher_data(run: Any) -> dict[str, Any]:
    """The teacher run's data facts (summary.json), checked to be a finished classification run."""
    summary_path = run.path / "summary.json"
    if not summary_path.is_file():
        raise TrainlabError(
            f"--teacher '{run.path}' holds no finished run (no summary.json); give a directory `trainlab fit` wrote"
        )
    summary = run.read_summary()
    data = summary.get("data") or {}
    if summary.get("status", "finished") != "finished" or not data:
        raise TrainlabError(
            f"--teacher '{run.path}' did not finish ({summary.get('status')}); finish or resume it first"
        )
    if data.get("task") != "classification":
        raise TrainlabError(
            f"--teacher '{run.path}' is a {data.get('task')} run; distillation needs a classifier's logits"
        )
    return data


def check_teacher_fits(teacher: Mapping[str, Any], bundle: Any, teacher_path: str) -> None:
    """Refuse a teacher whose inputs, classes or scaling are not the student's data's.

    Raises:
        TrainlabError: naming what differs, both values and the fix.
    """
    where = f"--teacher '{teacher_path}'"
    if bundle.task != "classification":
        raise TrainlabError(
            f"the student's data '{bundle.name}' is a {bundle.task} task; distillation needs classes"
        )
    student_classes = bundle.info.get("classes")
    teacher_classes = teacher.get("classes")
    if teacher.get("num_outputs", teacher.get("num_classes")) != bundle.num_outputs or (
        teacher_classes is not None
        and student_classes is not None
        and list(teacher_classes) != list(student_classes)
    ):
        raise TrainlabError(
            f"{where} predicts {teacher.get('num_classes')} classes {_shown(teacher_classes)} but the student's data "
            f"'{bundle.name}' has {bundle.num_outputs} {_shown(student_classes)}; distill from a teacher trained on the "
            "same classes"
        )
    if list(teacher.get("input_shape") or []) != list(bundle.input_shape):
        raise TrainlabError(
            f"{where} takes inputs of shape {tuple(teacher.get('input_shape') or ())} but the student's data "
            f"'{bundle.name}' has {tuple(bundle.input_shape)}; the teacher sees the student's inputs"
        )
    teacher_scaling = teacher.get("scaling", "none")
    student_scaling = bundle.info.get("scaling", "none")
    if teacher_scaling != student_scaling:
        raise TrainlabError(
            f"{where} was trained on data scaled '{teacher_scaling}' but the student's data is scaled "
            f"'{student_scaling}'; the teacher sees the student's inputs, so set data.scaling: {teacher_scaling}"
        )


def _shown(classes: Any) -> str:
    if classes is None:
        return ""
    shown = list(classes)
    return f"({', '.join(map(str, shown[:5]))}{', ...' if len(shown) > 5 else ''})"
