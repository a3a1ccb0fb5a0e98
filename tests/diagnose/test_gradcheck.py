"""The gradient check: the canon's reading, a wrong backward caught, kinks explained, the model left alone."""

import math

import pytest
import torch
from torch import nn

from trainlab.diagnose import gradcheck
from trainlab.diagnose.gradcheck import RIGHT_BELOW, WRONG_ABOVE, float64_copy, relative_error, verdict


class Cube(torch.autograd.Function):
    """x³ with its true derivative 3x²."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x**2


class WrongCube(Cube):
    """x³ with a deliberately wrong derivative (2x² instead of 3x²)."""

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x**2


class CubeNet(nn.Module):
    def __init__(self, function):
        super().__init__()
        self.function = function
        self.hidden = nn.Linear(4, 6)
        self.head = nn.Linear(6, 3)

    def forward(self, x):
        return self.head(self.function.apply(self.hidden(x)))


def _batch(samples=4, features=4):
    generator = torch.Generator().manual_seed(0)
    return torch.randn(samples, features, generator=generator), torch.tensor([0, 1, 2, 1][:samples])


def test_relative_error_is_the_canons_formula():
    assert relative_error(1.0, 1.0) == 0.0
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(2.0, 1.0) == pytest.approx(0.5)  # |2-1| / max(2, 1)
    assert relative_error(-1e-3, 1e-3) == pytest.approx(2.0)
    assert verdict(1e-9) == "right" and verdict(RIGHT_BELOW) == "right"
    assert verdict(1e-6) == "look at kinks" and verdict(WRONG_ABOVE) == "look at kinks"
    assert verdict(1e-3) == "wrong"


def test_a_correct_custom_function_passes_here_and_in_torch():
    torch.manual_seed(0)
    report = gradcheck(CubeNet(Cube), nn.CrossEntropyLoss(), _batch())
    assert report.passed
    assert all(t.verdict == "right" for t in report.tensors)
    x = torch.randn(5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(Cube.apply, (x,))


def test_a_wrong_backward_is_caught_here_and_by_torch():
    torch.manual_seed(0)
    report = gradcheck(CubeNet(WrongCube), nn.CrossEntropyLoss(), _batch())
    assert not report.passed
    by_name = {t.name: t for t in report.tensors}
    # Everything before the wrong Function gets a wrong gradient; the head after it is right.
    assert by_name["hidden.weight"].verdict == "wrong"
    assert by_name["input"].verdict == "wrong"
    assert by_name["head.weight"].verdict == "right"
    worst = by_name["hidden.weight"].worst_entry
    # The reported error is the formula on the reported derivatives; 2x² against 3x² is off by a third.
    assert worst["relative_error"] == pytest.approx(relative_error(worst["analytic"], worst["numeric"]))
    assert by_name["hidden.weight"].max_relative_error > 0.1
    x = torch.randn(5, dtype=torch.float64, requires_grad=True)
    assert not torch.autograd.gradcheck(WrongCube.apply, (x,), raise_exception=False)


def test_numeric_derivative_matches_an_independent_central_difference():
    torch.manual_seed(0)
    model = CubeNet(Cube)
    inputs, targets = _batch()
    report = gradcheck(model, nn.CrossEntropyLoss(), (inputs, targets), entries_per_tensor=1)
    row = next(t for t in report.tensors if t.name == "head.bias")
    (index,) = row.worst_entry["index"]
    network = float64_copy(model)

    def loss_with(delta):
        with torch.no_grad():
            network.head.bias[index] += delta
            value = nn.functional.cross_entropy(network(inputs.double()), targets).item()
            network.head.bias[index] -= delta
        return value

    expected = (loss_with(1e-6) - loss_with(-1e-6)) / 2e-6
    assert row.worst_entry["numeric"] == pytest.approx(expected, rel=1e-6)


def test_the_callers_model_is_untouched_and_train_only_randomness_is_off():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 3))
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    report = gradcheck(model, nn.CrossEntropyLoss(), _batch())
    assert report.passed  # dropout's masks would differ between the perturbed evaluations
    assert all(t.verdict == "right" for t in report.tensors)
    assert model.training and next(model.parameters()).dtype == torch.float32
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_a_perturbation_across_a_relu_kink_is_named_and_not_counted():
    # Zero inputs and zero biases put every hidden pre-activation exactly on ReLU's kink at 0.
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))
    with torch.no_grad():
        model[0].bias.zero_()
    inputs, targets = torch.zeros(4, 4), torch.tensor([0, 1, 2, 1])
    report = gradcheck(model, nn.CrossEntropyLoss(), (inputs, targets), entries_per_tensor=6)
    bias = next(t for t in report.tensors if t.name == "0.bias")
    assert bias.kinks, "moving a bias off 0 crosses the ReLU's kink"
    assert all(k["kink"] == "1 (ReLU)" for k in bias.kinks)
    assert report.passed


def test_a_kink_no_module_names_is_found_by_the_one_sided_slopes():
    class ClampNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(torch.tensor([0.0, 1.0, -2.0]))

        def forward(self, x):
            # max(s, 0) at s = 0: autograd takes one side's slope, the central difference averages both.
            return x * self.scale.clamp(min=0)

    report = gradcheck(ClampNet(), nn.CrossEntropyLoss(), (torch.ones(2, 3), torch.tensor([0, 1])))
    scale = next(t for t in report.tensors if t.name == "scale")
    assert [k["index"] for k in scale.kinks] == [[0]]
    assert scale.kinks[0]["kink"] == "the loss's slope jumps within ±eps"
    assert scale.verdict == "right"  # the other two entries


def test_report_rows_are_a_tidy_table():
    torch.manual_seed(0)
    report = gradcheck(CubeNet(Cube), nn.CrossEntropyLoss(), _batch(), check_input=False)
    rows = report.rows()
    assert [r["tensor"] for r in rows] == ["hidden.weight", "hidden.bias", "head.weight", "head.bias"]
    assert rows[0]["shape"] == [6, 4] and rows[0]["entries"] == 8
    assert rows[1]["entries"] == 6  # a tensor smaller than entries_per_tensor is checked whole
    assert math.isfinite(report.loss)
