"""Knowledge distillation (Hinton et al. 2015): temperature-scaled KL to a teacher plus hard-label CE."""

from __future__ import annotations

from typing import Annotated

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from trainlab.registry import LOSSES


def distillation_loss(
    student_logits: torch.Tensor,
    targets: torch.Tensor,
    teacher_logits: torch.Tensor,
    temperature: float = 4.0,
    alpha: float = 0.9,
) -> torch.Tensor:
    """``alpha * T^2 * KL(softmax(t/T) || softmax(s/T)) + (1 - alpha) * CE(s, y)``.

    The T^2 factor keeps the soft term's gradients on the scale of the hard term's (Hinton et al., Sec. 2).
    """
    soft = F.kl_div(
        F.log_softmax(student_logits / temperature, dim=1),
        F.softmax(teacher_logits / temperature, dim=1),
        reduction="batchmean",
    )
    return alpha * temperature**2 * soft + (1 - alpha) * F.cross_entropy(student_logits, targets)


class DistillationLoss(nn.Module):
    """Distillation from a frozen teacher run on the student's own inputs.

    ``attach(student)`` registers a forward pre-hook that keeps the student's latest input, so
    the loss can be called as ``loss(student_logits, targets)`` like any other.
    """

    def __init__(self, teacher: nn.Module, temperature: float = 4.0, alpha: float = 0.9):
        super().__init__()
        self.teacher = teacher.eval().requires_grad_(False)
        self.temperature = temperature
        self.alpha = alpha
        self._inputs: torch.Tensor | None = None

    def attach(self, student: nn.Module) -> None:
        def keep_inputs(module: nn.Module, args: tuple[torch.Tensor, ...]) -> None:
            self._inputs = args[0]

        student.register_forward_pre_hook(keep_inputs)

    def forward(self, student_logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if self._inputs is None:
            raise RuntimeError("DistillationLoss.attach(student) must be called before the loss is used")
        self.teacher.to(student_logits.device).eval()
        with torch.no_grad():
            teacher_logits = self.teacher(self._inputs).float()
        return distillation_loss(student_logits, targets, teacher_logits, self.temperature, self.alpha)


@LOSSES.register(
    "kd",
    aliases=("distillation",),
    reference="Hinton, Vinyals & Dean 2015, Distilling the Knowledge in a Neural Network, arXiv:1503.02531",
    flags={"task": "classification", "target": "class_index"},
)
def kd(
    teacher: str,
    temperature: Annotated[float, Field(gt=0.0)] = 4.0,
    alpha: Annotated[float, Field(ge=0.0, le=1.0)] = 0.9,
) -> nn.Module:
    """Distillation: temperature-scaled KL to a teacher's soft labels plus hard-label cross-entropy.

    Args:
        teacher: A run directory written by ``trainlab fit`` whose model is the teacher.
        temperature: Softmax temperature T of both teacher and student in the soft term.
        alpha: Weight of the soft term; 1 - alpha weights the hard-label cross-entropy.

    Returns:
        A :class:`DistillationLoss`.
    """
    from trainlab.run_dir import load_model  # loading a run builds models and data: only when asked

    return DistillationLoss(load_model(teacher), temperature, alpha)
