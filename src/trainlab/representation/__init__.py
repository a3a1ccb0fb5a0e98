"""Representation learning as a task: the model's own objective, the task checks, the evaluation and its pictures."""

# Registrations: the model_objective loss, and mlp_from_rbm (here, not in trainlab.models: it reads
# run directories, whose loader builds models).
from trainlab.models import rbm_mlp  # noqa: F401
from trainlab.representation import objective  # noqa: F401
from trainlab.representation.task import REPRESENTATION_TASKS, training_task

__all__ = ["REPRESENTATION_TASKS", "training_task"]
