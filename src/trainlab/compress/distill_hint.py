"""Hint distillation (FitNets): a student layer's features regress, through a learned projection, onto a teacher layer's."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainlab.errors import TrainlabError
from trainlab.losses.terms import LossTerms


def parse_hint(hint: str) -> tuple[str, str]:
    """``"student_layer:teacher_layer"`` as the two layer names.

    Raises:
        TrainlabError: not two non-empty names separated by one colon.
    """
    student, sep, teacher = hint.partition(":")
    if not sep or not student or not teacher or ":" in teacher:
        raise TrainlabError(
            f"--hint {hint!r}: give STUDENT_LAYER:TEACHER_LAYER, module names as in model.named_modules(), "
            "e.g. --hint act1:conv3"
        )
    return student, teacher


class HintLoss(nn.Module):
    """The run's loss plus ``weight * MSE(projection(student features), teacher features)`` (Romero et al. 2015).

    Both feature maps are flattened per sample; the projection is a learned ``nn.Linear`` from the
    student's width to the teacher's. Returns :class:`LossTerms`, so the trainer logs
    ``loss.task`` and ``loss.hint`` apart.
    """

    def __init__(
        self, task_loss: nn.Module, projection: nn.Linear, features: dict[str, torch.Tensor], weight: float
    ):
        super().__init__()
        self.task_loss, self.projection, self.features, self.weight = task_loss, projection, features, weight

    def forward(self, outputs: torch.Tensor, targets: torch.Tensor) -> LossTerms:
        task = self.task_loss(outputs, targets)
        task = task.total if isinstance(task, LossTerms) else task
        hint = F.mse_loss(
            self.projection(self.features["student"].flatten(1)), self.features["teacher"].flatten(1)
        )
        return LossTerms(
            total=task + self.weight * hint, terms={"task": task.detach(), "hint": hint.detach()}
        )


class HintDistillation:
    """Callback: adds the hint term to the run's loss and trains the projection with the student.

    At the start of training it loads the teacher (safetensors), hooks the two layers, sizes the
    projection with one dry batch of zeros, adds the projection's weights to the optimizer as a
    parameter group of its own (at the optimizer's first group's settings; a schedule built
    before leaves that group's learning rate constant), and wraps the trainer's loss in
    :class:`HintLoss`. At the end it restores the loss and removes the hooks: the student's run
    directory holds only the student. Runs with a hint cannot be resumed from a checkpoint yet
    (the projection's parameter group is not in it).

    Args:
        teacher: The teacher run directory.
        student_layer: Name of the student's module whose output is matched.
        teacher_layer: Name of the teacher's module whose output is the target.
        weight: Weight of the hint term.
        input_shape: One sample's shape (the data's), for the dry batch.
    """

    def __init__(
        self,
        teacher: str,
        student_layer: str,
        teacher_layer: str,
        weight: float,
        input_shape: tuple[int, ...],
    ):
        from trainlab.run_dir import load_model

        self.teacher = load_model(teacher).eval().requires_grad_(False)
        self.student_layer, self.teacher_layer, self.weight = student_layer, teacher_layer, weight
        self.input_shape = input_shape
        self.features: dict[str, torch.Tensor] = {}
        self._handles: list[Any] = []
        self._task_loss: nn.Module | None = None
        _module(self.teacher, teacher_layer, "teacher")

    def check_student(self, student: nn.Module) -> None:
        """Refuse a student layer name the student does not have (before training starts)."""
        _module(student, self.student_layer, "student")

    def on_fit_start(self, trainer: Any) -> None:
        student = trainer.model
        device = next(student.parameters()).device
        self.teacher.to(device)
        self._handles = [
            _module(student, self.student_layer, "student").register_forward_hook(self._keep("student")),
            _module(self.teacher, self.teacher_layer, "teacher").register_forward_hook(self._keep("teacher")),
            # The teacher runs on the student's inputs, right after the student's forward.
            student.register_forward_hook(self._run_teacher),
        ]
        was_training = student.training
        with torch.no_grad():
            student.eval()(torch.zeros(2, *self.input_shape, device=device))
        student.train(was_training)
        projection = nn.Linear(self.features["student"][0].numel(), self.features["teacher"][0].numel()).to(
            device
        )
        first = trainer.optimizer.param_groups[0]
        trainer.optimizer.add_param_group(
            {key: value for key, value in first.items() if key != "params"}
            | {"params": list(projection.parameters())}
        )
        self._task_loss = trainer.loss_fn
        trainer.loss_fn = HintLoss(trainer.loss_fn, projection, self.features, self.weight)

    def on_fit_end(self, trainer: Any) -> None:
        self._restore(trainer)

    def on_exception(self, trainer: Any, exc: BaseException) -> None:
        self._restore(trainer)

    def _keep(self, name: str) -> Any:
        def hook(module: nn.Module, args: Any, output: Any) -> None:
            self.features[name] = output[0] if isinstance(output, tuple) else output

        return hook

    def _run_teacher(self, module: nn.Module, args: tuple[torch.Tensor, ...], output: Any) -> None:
        with torch.no_grad():
            self.teacher(args[0])

    def _restore(self, trainer: Any) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
        if self._task_loss is not None:
            trainer.loss_fn, self._task_loss = self._task_loss, None


def _module(model: nn.Module, name: str, role: str) -> nn.Module:
    modules = dict(model.named_modules())
    if name not in modules or not name:
        names = ", ".join(n for n in modules if n)
        raise TrainlabError(f"--hint: the {role} has no layer '{name}'; its layers are {names}")
    return modules[name]
