"""Adam exactly as Algorithm 1 of Kingma & Ba, with a switch for its bias correction (study 16 only)."""

from __future__ import annotations

from typing import Any

import torch

from trainlab.optim._catalog import Beta, PositiveFloat, registered
from trainlab.optim._param_groups import Params


@registered(
    "textbook_adam",
    reference="Kingma & Ba 2015, Adam: A Method for Stochastic Optimization, arXiv:1412.6980 (Algorithm 1; "
    "sec. 3 on initialization bias correction)",
    flags={"family": "adam", "has_betas": True, "ours": True, "study_only": True},
    docs={"bias_correction": "Divide m and v by 1 - beta^t (the paper); false: use them as they are."},
)
class TextbookAdam(torch.optim.Optimizer):
    """Adam as Algorithm 1 of Kingma & Ba 2015, one tensor at a time, with bias correction switchable.

    Written for the study of bias correction (``studies/adam_bias_correction.yaml``); train with
    ``adam`` otherwise (torch's fused kernel). Without bias correction the first moments start at
    zero and stay biased towards it for about 1 / (1 - beta) steps.

    Args:
        params: Parameters or parameter groups.
        lr: Step size alpha.
        betas: (beta1, beta2): decay of the first and second moment averages.
        eps: Added to sqrt(v) in the denominator.
        bias_correction: Divide m and v by 1 - beta^t (the paper); False leaves them biased to zero.
        maximize: Ascend instead of descend.
    """

    def __init__(
        self,
        params: Params,
        lr: PositiveFloat = 1e-3,
        betas: tuple[Beta, Beta] = (0.9, 0.999),
        eps: PositiveFloat = 1e-8,
        bias_correction: bool = True,
        maximize: bool = False,
    ):
        if lr <= 0 or eps <= 0 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"invalid Adam options: lr={lr}, betas={betas}, eps={eps}")
        defaults = dict(lr=lr, betas=betas, eps=eps, bias_correction=bias_correction, maximize=maximize)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                grad = -param.grad if group["maximize"] else param.grad
                state = self.state[param]
                if not state:
                    state["step"] = torch.zeros((), dtype=torch.float64)
                    state["exp_avg"] = torch.zeros_like(param)
                    state["exp_avg_sq"] = torch.zeros_like(param)
                state["step"] += 1
                t = int(state["step"])
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                exp_avg.lerp_(grad, 1.0 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
                if group["bias_correction"]:
                    step_size = group["lr"] / (1.0 - beta1**t)
                    denominator = (exp_avg_sq / (1.0 - beta2**t)).sqrt_().add_(group["eps"])
                else:
                    step_size = group["lr"]
                    denominator = exp_avg_sq.sqrt().add_(group["eps"])
                param.addcdiv_(exp_avg, denominator, value=-step_size)
        return loss
