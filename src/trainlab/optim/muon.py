"""Muon for 2-D weights, with every other parameter routed to AdamW automatically."""

from __future__ import annotations

from typing import Any

import torch

from trainlab.optim._catalog import Beta, NonNegativeFloat, Params, PositiveFloat, registered
from trainlab.optim._implementation import fused_supported
from trainlab.optim._wrapper import OptimizerShell


@registered(
    "muon",
    reference="Jordan et al. 2024, Muon: An optimizer for hidden layers in neural networks "
    "(https://kellerjordan.github.io/posts/muon/)",
    flags={"family": "orthogonal", "routes_to": "adamw"},
)
class MuonWithAdamW(OptimizerShell):
    """Muon: orthogonalized momentum for 2-D weights; every other parameter goes to AdamW.

    torch's Muon on the 2-D weight matrices and AdamW on the rest (biases, norms, convolutions).
    Muon orthogonalizes the momentum of each weight matrix with Newton–Schulz iterations, so it is
    defined for 2-D tensors only. ``routing`` records which optimizer got how many tensors and
    parameters; the run summary shows it.

    Args:
        params: Parameters or parameter groups; each group is split by tensor rank.
        lr: Muon's learning rate.
        momentum: Muon's Nesterov momentum.
        weight_decay: Decoupled decay rate for both parts (groups may override it).
        adamw_lr: Learning rate for the parameters routed to AdamW.
        adamw_betas: AdamW's betas.
    """

    def __init__(
        self,
        params: Params,
        lr: PositiveFloat = 0.02,
        momentum: Beta = 0.95,
        weight_decay: NonNegativeFloat = 0.0,
        adamw_lr: PositiveFloat = 1e-3,
        adamw_betas: tuple[Beta, Beta] = (0.9, 0.999),
    ):
        groups: list[dict[str, Any]] = [g if isinstance(g, dict) else {"params": [g]} for g in params]
        muon_groups: list[dict[str, Any]] = []
        adamw_groups: list[dict[str, Any]] = []
        for group in groups:
            options = {k: v for k, v in group.items() if k != "params"}
            matrices = [p for p in group["params"] if p.ndim == 2]
            others = [p for p in group["params"] if p.ndim != 2]
            if matrices:
                muon_groups.append({**options, "params": matrices})
            if others:
                adamw_groups.append(
                    {**options, "params": others, "lr": adamw_lr * options.get("lr", lr) / lr}
                )
        inner: list[torch.optim.Optimizer] = []
        self.routing: dict[str, dict[str, int]] = {}
        if muon_groups:
            inner.append(torch.optim.Muon(muon_groups, lr=lr, momentum=momentum, weight_decay=weight_decay))
            self.routing["muon"] = _count(muon_groups)
        if adamw_groups:
            inner.append(
                torch.optim.AdamW(
                    adamw_groups,
                    lr=adamw_lr,
                    betas=adamw_betas,
                    weight_decay=weight_decay,
                    fused=fused_supported(torch.optim.AdamW, [p for g in adamw_groups for p in g["params"]]),
                )
            )
            self.routing["adamw"] = _count(adamw_groups)
        super().__init__(
            inner, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay, "adamw_lr": adamw_lr}
        )

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for optimizer in self.inner:
            optimizer.step()
        return loss


def _count(groups: list[dict[str, Any]]) -> dict[str, int]:
    params = [p for g in groups for p in g["params"]]
    return {"tensors": len(params), "parameters": sum(p.numel() for p in params)}
