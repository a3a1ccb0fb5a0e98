"""IoU-family box losses against hand-computed values and the papers' formulas."""

import math

import pytest
import torch

import trainlab


def test_iou_of_two_offset_unit_squares():
    predicted = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    target = torch.tensor([[1.0, 1.0, 3.0, 3.0]])
    iou = 1 / 7  # intersection 1, union 4 + 4 - 1
    torch.testing.assert_close(
        trainlab.create("loss", "iou")(predicted, target), torch.tensor(1 - iou), atol=1e-6, rtol=0
    )
    hull = 9.0
    giou = iou - (hull - 7) / hull
    torch.testing.assert_close(
        trainlab.create("loss", "giou")(predicted, target), torch.tensor(1 - giou), atol=1e-6, rtol=0
    )
    diou_penalty = 2.0 / 18.0  # centre distance^2 = 2, enclosing diagonal^2 = 18
    torch.testing.assert_close(
        trainlab.create("loss", "diou")(predicted, target),
        torch.tensor(1 - iou + diou_penalty),
        atol=1e-6,
        rtol=0,
    )
    # Same aspect ratio: CIoU's v is 0, so it equals DIoU.
    torch.testing.assert_close(
        trainlab.create("loss", "ciou")(predicted, target),
        torch.tensor(1 - iou + diou_penalty),
        atol=1e-6,
        rtol=0,
    )


def test_ciou_adds_the_aspect_ratio_term():
    predicted = torch.tensor([[0.0, 0.0, 4.0, 1.0]], dtype=torch.float64)
    target = torch.tensor([[0.0, 0.0, 2.0, 2.0]], dtype=torch.float64)
    iou = 2 / 6
    v = 4 / math.pi**2 * (math.atan(1.0) - math.atan(4.0)) ** 2
    alpha = v / (1 - iou + v)
    diou = 1 - iou + (1.0**2 + 0.5**2) / (4**2 + 2**2)
    assert trainlab.create("loss", "ciou")(predicted, target).item() == pytest.approx(
        diou + alpha * v, rel=1e-6
    )


def test_identical_boxes_cost_nothing():
    boxes = torch.tensor([[0.0, 0.0, 1.0, 2.0], [1.0, 1.0, 3.0, 4.0]])
    for name in ("iou", "giou", "diou", "ciou"):
        assert trainlab.create("loss", name)(boxes, boxes).item() == pytest.approx(0.0, abs=1e-6)
