"""Bounding-box regression losses: IoU, GIoU, DIoU and CIoU on ``(x1, y1, x2, y2)`` boxes."""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import nn

from trainlab.registry import LOSSES

_EPS = 1e-7


def box_iou_loss(predicted: torch.Tensor, target: torch.Tensor, kind: str = "iou") -> torch.Tensor:
    """Mean of ``1 - IoU`` plus the kind's penalty, for boxes in the last dimension as (x1, y1, x2, y2).

    Predicted corners are sorted, so any network output is a valid box.
    """
    predicted = predicted.reshape(-1, 4)
    target = target.reshape(-1, 4)
    px1, px2 = (
        torch.minimum(predicted[:, 0], predicted[:, 2]),
        torch.maximum(predicted[:, 0], predicted[:, 2]),
    )
    py1, py2 = (
        torch.minimum(predicted[:, 1], predicted[:, 3]),
        torch.maximum(predicted[:, 1], predicted[:, 3]),
    )
    tx1, ty1, tx2, ty2 = target.unbind(1)
    inter_w = (torch.minimum(px2, tx2) - torch.maximum(px1, tx1)).clamp_min(0)
    inter_h = (torch.minimum(py2, ty2) - torch.maximum(py1, ty1)).clamp_min(0)
    intersection = inter_w * inter_h
    pw, ph, tw, th = px2 - px1, py2 - py1, tx2 - tx1, ty2 - ty1
    union = pw * ph + tw * th - intersection
    iou = intersection / (union + _EPS)
    loss = 1 - iou
    if kind == "iou":
        return loss.mean()
    # The smallest box enclosing both.
    cw = torch.maximum(px2, tx2) - torch.minimum(px1, tx1)
    ch = torch.maximum(py2, ty2) - torch.minimum(py1, ty1)
    if kind == "giou":
        hull = cw * ch
        return (loss + (hull - union) / (hull + _EPS)).mean()
    center_distance = ((px1 + px2 - tx1 - tx2) ** 2 + (py1 + py2 - ty1 - ty2) ** 2) / 4
    diagonal = cw**2 + ch**2 + _EPS
    loss = loss + center_distance / diagonal
    if kind == "diou":
        return loss.mean()
    v = (4 / math.pi**2) * (torch.atan(tw / (th + _EPS)) - torch.atan(pw / (ph + _EPS))) ** 2
    with torch.no_grad():
        alpha = v / (1 - iou + v + _EPS)
    return (loss + alpha * v).mean()


class BoxIoULoss(nn.Module):
    """One of the IoU-family losses; see :func:`box_iou_loss`."""

    def __init__(self, kind: Literal["iou", "giou", "diou", "ciou"]):
        super().__init__()
        self.kind = kind

    def forward(self, predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return box_iou_loss(predicted, target, self.kind)


_FLAGS = {"task": "regression", "target": "dense", "target_size": 4}


@LOSSES.register(
    "iou", reference="Yu, Jiang, Wang, Cao & Huang 2016, UnitBox, arXiv:1608.01471", flags=_FLAGS
)
def iou() -> nn.Module:
    """IoU loss 1 - |A ∩ B| / |A ∪ B| on (x1, y1, x2, y2) boxes."""
    return BoxIoULoss("iou")


@LOSSES.register(
    "giou",
    reference="Rezatofighi et al. 2019, Generalized Intersection over Union, arXiv:1902.09630",
    flags=_FLAGS,
)
def giou() -> nn.Module:
    """Generalized IoU loss: IoU loss plus the empty share of the smallest enclosing box."""
    return BoxIoULoss("giou")


@LOSSES.register("diou", reference="Zheng et al. 2020, Distance-IoU Loss, arXiv:1911.08287", flags=_FLAGS)
def diou() -> nn.Module:
    """Distance-IoU loss: IoU loss plus squared centre distance over the enclosing box's squared diagonal."""
    return BoxIoULoss("diou")


@LOSSES.register(
    "ciou", reference="Zheng et al. 2020, Distance-IoU Loss, arXiv:1911.08287 (complete IoU)", flags=_FLAGS
)
def ciou() -> nn.Module:
    """Complete-IoU loss: DIoU plus an aspect-ratio consistency term alpha * v."""
    return BoxIoULoss("ciou")
