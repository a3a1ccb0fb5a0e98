"""Every built-in model, layer and loss passes the gradient check in float64; so does every custom
autograd Function in trainlab. A fast subset runs by default; the rest is marked slow."""

import math
import re
from pathlib import Path

import pytest
import torch
from torch import nn

import trainlab
from trainlab.diagnose import gradcheck
from trainlab.diagnose.gradcheck import relative_error
from trainlab.losses import adapt_loss
from trainlab.losses.boxes import _EPS as BOX_EPS
from trainlab.losses.boxes import box_iou_loss
from trainlab.models import build_model
from trainlab.nn import DROPOUTS, POOLINGS
from trainlab.registry import ACTIVATIONS, LOSSES, MODELS, NORMS

# Small versions of the models (same layers, fewer units), on inputs of their kind.
MODEL_CASES = {
    "mlp": ((5,), {"width": 8, "depth": 2}),
    "cnn1d": ((1, 12), {"channels": 4}),
    "gru": ((1, 6), {"hidden_size": 3}),
    "rnn": ((1, 6), {"hidden_size": 3}),
    "lstm": ((1, 6), {"hidden_size": 3}),
    "multitask": (
        (5,),
        {"trunk": {"name": "mlp", "width": 8}, "features": 4, "auxiliary": ["reconstruction", "parity"]},
    ),
    "cnn2d": ((1, 8, 8), {"channels": (4, 4)}),
    "resnet": ((1, 8, 8), {"width": 4, "depth": 1}),
}
# Options a layer needs at this size (group norm's default 32 groups do not divide 4 channels).
LAYER_OPTIONS = {("norm", "group"): {"num_groups": 2}}
# Run by default; everything else is marked slow.
FAST = {
    ("model", "mlp"),
    ("model", "gru"),
    ("activation", "relu"),
    ("activation", "maxout"),
    ("activation", "sigmoid"),
    ("norm", "batch"),
    ("norm", "weight"),
    ("pooling", "max"),
    ("pooling", "stochastic"),
    ("dropout", "dropconnect"),
    ("loss", "cross_entropy"),
    ("loss", "focal"),
    ("loss", "ldam"),
    ("loss", "giou"),
    ("loss", "ciou"),
}
# Losses that need more than outputs and targets.
NEEDS_A_TEACHER = {"kd"}
# CIoU's backward treats its trade-off weight alpha as a constant (Zheng et al. 2020, as torchvision
# does), so it is not the gradient of the loss's value: checked below against that convention.
SURROGATE_GRADIENT = {"ciou"}
# The objective a representation model's output defines; its models are checked in tests/representation.
OWN_OBJECTIVE = {"model_objective"}
CLASS_COUNTS = [5, 3, 2]


def _cases(kind, names):
    return [pytest.param(n, marks=() if (kind, n) in FAST else pytest.mark.slow, id=n) for n in names]


def _check(model, loss_fn, inputs, targets):
    report = gradcheck(model, loss_fn, (inputs, targets), entries_per_tensor=3)
    failing = {t.name: t.max_relative_error for t in report.tensors if t.verdict == "wrong"}
    assert report.passed, f"wrong gradients: {failing}"
    return report


def _classify(model, input_shape):
    torch.manual_seed(0)
    inputs = torch.randn(3, *input_shape)
    return _check(model, nn.CrossEntropyLoss(), inputs, torch.tensor([0, 1, 2]))


def _data_models():
    # Models built from a finished run (from_run) need that run; they are checked as the model they load.
    # Representation models (an objective of their own, not class scores) are checked in tests/representation.
    return [
        e.name
        for e in MODELS.list()
        if not _required_options(e) - {"input_shape", "num_outputs"} and not e.flags.get("objective")
    ]


def _required_options(entry):
    return {name for name, p in entry.parameters().items() if p.default is p.empty}


@pytest.mark.parametrize("name", _cases("model", _data_models()))
def test_every_built_in_model(name):
    input_shape, options = MODEL_CASES.get(name, ((1, 8, 8), {}))
    torch.manual_seed(0)
    _classify(build_model(name, input_shape, 3, **options), input_shape)


def test_the_model_cases_cover_the_registry():
    assert set(_data_models()) <= set(MODEL_CASES)


@pytest.mark.parametrize("name", _cases("activation", ACTIVATIONS.names()))
def test_every_activation(name):
    torch.manual_seed(0)
    _classify(build_model("mlp", (5,), 3, width=8, depth=2, activation=name), (5,))


def _cnn2d_with(slot, name):
    spec = {"name": name, **LAYER_OPTIONS.get((slot, name), {})}
    if slot == "dropout":
        spec["p"] = 0.5
    torch.manual_seed(0)
    return build_model("cnn2d", (1, 8, 8), 3, channels=(4, 4), **{slot: spec})


@pytest.mark.parametrize("name", _cases("norm", NORMS.names()))
def test_every_norm(name):
    _classify(_cnn2d_with("norm", name), (1, 8, 8))


@pytest.mark.parametrize("name", _cases("pooling", POOLINGS.names()))
def test_every_pooling_in_eval(name):
    _classify(_cnn2d_with("pool", name), (1, 8, 8))


@pytest.mark.parametrize("name", _cases("dropout", DROPOUTS.names()))
def test_every_dropout_in_eval(name):
    _classify(_cnn2d_with("dropout", name), (1, 8, 8))


class Boxes(nn.Module):
    """Predicted (x1, y1, x2, y2) boxes as parameters, valid and overlapping their targets."""

    def __init__(self):
        super().__init__()
        self.boxes = nn.Parameter(
            torch.tensor([[0.1, 0.2, 1.3, 1.1], [2.0, 1.0, 3.5, 2.2], [0.0, 0.0, 0.8, 0.9]])
        )

    def forward(self, x):
        return self.boxes + 0 * x.sum()


# Losses that read a model's parts (its head's input, its heads' outputs) are checked on a built-in
# model they attach to: the margin losses on a cosine head, multitask on its own model.
ATTACHED_MODELS = {"multitask": ("multitask", {"trunk": {"name": "mlp", "width": 6}, "features": 4})}


def _loss_case(entry):
    facts = {"class_counts": CLASS_COUNTS, "num_classes": 3}
    loss = entry.build(**{name: value for name, value in facts.items() if name in entry.parameters()})
    torch.manual_seed(0)
    if hasattr(loss, "attach"):
        cosine = {"head": "cosine"} if entry.flags.get("needs") == "cosine_head" else {}
        name, options = ATTACHED_MODELS.get(entry.name, ("mlp", {"width": 6, "depth": 1, **cosine}))
        model = build_model(name, (4,), 3, **options)
        loss.attach(model)
        targets = torch.tensor([0, 0, 1])
        return model, adapt_loss(entry, loss, task="classification", num_classes=3, target_shape=()), targets
    if entry.flags.get("target_size") == 4:
        targets = torch.tensor([[0.0, 0.0, 1.0, 1.0], [2.2, 1.1, 3.0, 2.5], [0.1, 0.1, 1.0, 1.0]])
        return (
            Boxes(),
            adapt_loss(entry, loss, task="regression", num_classes=None, target_shape=(4,)),
            targets,
        )
    if entry.flags.get("task") == "regression" or entry.flags.get("task") == "any":
        model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2))
        return (
            model,
            adapt_loss(entry, loss, task="regression", num_classes=None, target_shape=(2,)),
            torch.randn(3, 2),
        )
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3))
    # Metric-learning losses need a positive and a negative pair; labels 0, 0, 1 give both.
    targets = torch.tensor([0, 0, 1]) if entry.flags.get("soft_targets") is False else torch.tensor([0, 1, 2])
    return model, adapt_loss(entry, loss, task="classification", num_classes=3, target_shape=()), targets


@pytest.mark.parametrize(
    "name", _cases("loss", sorted(set(LOSSES.names()) - NEEDS_A_TEACHER - SURROGATE_GRADIENT - OWN_OBJECTIVE))
)
def test_every_loss(name):
    model, loss_fn, targets = _loss_case(LOSSES.get(name))
    _check(model, loss_fn, torch.randn(3, 4), targets)


def test_ciou_gradient_is_that_of_the_loss_with_alpha_held_constant():
    model, loss_fn, targets = _loss_case(LOSSES.get("ciou"))
    report = gradcheck(model, loss_fn, (torch.randn(3, 4), targets), entries_per_tensor=12)
    assert not report.passed, "the gradient check sees that alpha gets no gradient"

    boxes, targets = model.boxes.detach().double(), targets.double()
    alpha = _ciou_alpha(boxes, targets)  # at the unperturbed point, then held constant

    def alpha_constant_ciou(predicted):
        return box_iou_loss(predicted, targets, "diou") + (alpha * _aspect_term(predicted, targets)).mean()

    predicted = boxes.clone().requires_grad_(True)
    (analytic,) = torch.autograd.grad(box_iou_loss(predicted, targets, "ciou"), predicted)
    numeric = torch.zeros_like(boxes)
    for index in range(boxes.numel()):
        step = torch.zeros_like(boxes).view(-1)
        step[index] = 1e-6
        step = step.view_as(boxes)
        numeric.view(-1)[index] = (
            alpha_constant_ciou(boxes + step) - alpha_constant_ciou(boxes - step)
        ) / 2e-6
    errors = [
        relative_error(a, n)
        for a, n in zip(analytic.view(-1).tolist(), numeric.view(-1).tolist(), strict=True)
    ]
    assert max(errors) < 1e-6


def _aspect_term(predicted, target):
    # v = 4/π² (atan(w_t/h_t) − atan(w_p/h_p))², Zheng et al. 2020 eq. 9 (the corners here are in order).
    pw, ph = predicted[:, 2] - predicted[:, 0], predicted[:, 3] - predicted[:, 1]
    tw, th = target[:, 2] - target[:, 0], target[:, 3] - target[:, 1]
    return (4 / math.pi**2) * (torch.atan(tw / (th + BOX_EPS)) - torch.atan(pw / (ph + BOX_EPS))) ** 2


def _ciou_alpha(predicted, target):
    # alpha = v / ((1 − IoU) + v), Zheng et al. 2020 eq. 11.
    inter_w = (
        torch.minimum(predicted[:, 2], target[:, 2]) - torch.maximum(predicted[:, 0], target[:, 0])
    ).clamp_min(0)
    inter_h = (
        torch.minimum(predicted[:, 3], target[:, 3]) - torch.maximum(predicted[:, 1], target[:, 1])
    ).clamp_min(0)
    area = (predicted[:, 2] - predicted[:, 0]) * (predicted[:, 3] - predicted[:, 1])
    target_area = (target[:, 2] - target[:, 0]) * (target[:, 3] - target[:, 1])
    iou = inter_w * inter_h / (area + target_area - inter_w * inter_h + BOX_EPS)
    v = _aspect_term(predicted, target)
    return v / (1 - iou + v + BOX_EPS)


# Custom autograd Functions in trainlab, found as the brief asks (grep), each with example inputs.
FUNCTION_CASES: dict[str, tuple] = {}
_FUNCTION_CLASS = re.compile(r"^class (\w+)\((?:torch\.)?(?:autograd\.)?Function\)", re.MULTILINE)


def _custom_functions():
    source = Path(trainlab.__file__).parent
    return sorted(name for path in source.rglob("*.py") for name in _FUNCTION_CLASS.findall(path.read_text()))


def test_every_custom_function_has_a_gradcheck_case():
    assert set(_custom_functions()) <= set(FUNCTION_CASES), "add example inputs to FUNCTION_CASES"


@pytest.mark.parametrize("name", sorted(FUNCTION_CASES))
def test_every_custom_function_passes_torch_gradcheck(name):
    function, inputs = FUNCTION_CASES[name]
    assert torch.autograd.gradcheck(function.apply, inputs)


def test_the_function_finder_finds_a_function_class(tmp_path):
    found = _FUNCTION_CLASS.findall(
        "class Clip(torch.autograd.Function):\n    pass\nclass Other(Function):\n"
    )
    assert found == ["Clip", "Other"]
