"""Loss functions by name; each is an nn.Module usable in any training loop."""

from trainlab.losses import (  # noqa: F401  (registrations)
    boxes,
    center,
    class_balanced,
    classification,
    deep_metric,
    distillation,
    focal,
    hinge,
    ldam,
    likelihood,
    margin_softmax,
    margins,
    metric_learning,
    multitask,
    ohem,
    pairwise,
    regression,
    robust,
)
from trainlab.losses.boxes import BoxIoULoss, box_iou_loss
from trainlab.losses.class_balanced import ClassBalancedLoss
from trainlab.losses.class_weights import class_counts, effective_number_weights, inverse_frequency_weights
from trainlab.losses.classification import (
    BinaryCrossEntropy,
    CrossEntropy,
    LogSoftmaxNLL,
    SoftmaxKLDivergence,
)
from trainlab.losses.distillation import DistillationLoss, distillation_loss
from trainlab.losses.focal import FocalLoss, SigmoidFocalLoss, sigmoid_focal_loss, softmax_focal_loss
from trainlab.losses.hinge import BinaryHinge, SquaredHinge
from trainlab.losses.ldam import LDAMLoss
from trainlab.losses.metric_learning import BatchHardTripletLoss, ContrastiveLoss, PairwiseCosineEmbeddingLoss
from trainlab.losses.task_adapter import TaskLoss, adapt_loss

__all__ = [
    "BatchHardTripletLoss",
    "BinaryCrossEntropy",
    "BinaryHinge",
    "BoxIoULoss",
    "ClassBalancedLoss",
    "ContrastiveLoss",
    "CrossEntropy",
    "DistillationLoss",
    "FocalLoss",
    "LDAMLoss",
    "LogSoftmaxNLL",
    "PairwiseCosineEmbeddingLoss",
    "SigmoidFocalLoss",
    "SoftmaxKLDivergence",
    "SquaredHinge",
    "TaskLoss",
    "adapt_loss",
    "box_iou_loss",
    "class_counts",
    "distillation_loss",
    "effective_number_weights",
    "inverse_frequency_weights",
    "sigmoid_focal_loss",
    "softmax_focal_loss",
]
