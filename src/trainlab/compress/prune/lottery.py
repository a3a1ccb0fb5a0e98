"""The lottery-ticket procedure: iterative magnitude pruning with weight rewinding, against a random re-init."""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from trainlab.compress.prune.magnitude import magnitude_masks
from trainlab.compress.prune.masks import MaskedTraining, apply_masks, prunable_weights, weight_sparsity
from trainlab.compress.prune.run import check_sparsity


class RememberWeights:
    """A callback that keeps a copy of the model's weights as they are after ``step`` updates (0: the init)."""

    def __init__(self, step: int):
        self.step = step
        self.weights: dict[str, torch.Tensor] | None = None

    def on_fit_start(self, trainer: Any) -> None:
        if self.step == 0:
            self.weights = _copy_state(trainer.model)

    def on_step_end(self, trainer: Any) -> None:
        if trainer.step == self.step:
            self.weights = _copy_state(trainer.model)


@dataclass
class LotteryResult:
    """What ``lottery_ticket`` returns.

    Attributes:
        dense: The unpruned run's final metrics per split.
        ticket: The winning ticket's (rewound, masked, retrained) final metrics per split.
        random_reinit: The same mask on freshly initialized weights, retrained the same way.
        sparsity: The fraction of prunable weights the mask removes.
        rounds: Each round's target sparsity and the ticket's metrics after it.
        masks: The final mask, ``{weight name: bool tensor}``.
    """

    dense: dict[str, Any]
    ticket: dict[str, Any]
    random_reinit: dict[str, Any]
    sparsity: float
    rounds: list[dict[str, Any]] = field(default_factory=list)
    masks: dict[str, torch.Tensor] = field(default_factory=dict)


def lottery_ticket(
    recipe: str | os.PathLike[str] | Mapping[str, Any],
    *,
    sparsity: float = 0.8,
    rounds: int = 2,
    rewind_step: int = 0,
    reinit_seed: int = 1_000_003,
    overrides: Sequence[str] = (),
    trust_code: bool = False,
) -> LotteryResult:
    """Train, prune by global magnitude, rewind the survivors, retrain; repeat; then compare with a random re-init.

    Each of ``rounds`` rounds prunes the same fraction of the surviving weights, so that after
    the last one ``sparsity`` of the prunable (Linear and Conv) weights are gone:
    s_r = 1 - (1 - s)^(r / rounds). The surviving weights are rewound to their values after
    ``rewind_step`` updates of the dense run (0 rewinds to the initialization, as in Frankle &
    Carbin 2019; a few hundred steps is the "late rewinding" of Frankle et al. 2020) and
    retrained for the recipe's whole schedule, with pruned weights held at zero. The control
    trains the final mask from a fresh initialization (``reinit_seed``), the same way.

    Args:
        recipe: A recipe file or mapping; its model must be a registered one (not from Python).
        sparsity: The final fraction of prunable weights removed.
        rounds: Prune-rewind-retrain rounds to reach it.
        rewind_step: The dense run's step whose weights the survivors return to.
        reinit_seed: Seed of the control's fresh initialization.
        overrides: ``--set`` keys for every training, e.g. ``["train.seed=1"]``.
        trust_code: Consent to run the code the recipe references (``module:factory``).

    Returns:
        A :class:`LotteryResult`.

    Raises:
        TrainlabError: a sparsity outside (0, 1), fewer than one round, or a rewind step the
            dense run does not reach.
    """
    from trainlab.api import fit
    from trainlab.errors import TrainlabError
    from trainlab.recipe_yaml import read_recipe_file

    check_sparsity(sparsity, key="sparsity")
    if rounds < 1 or rewind_step < 0:
        raise TrainlabError(
            f"rounds ({rounds}) must be at least 1 and rewind_step ({rewind_step}) at least 0"
        )

    raw = dict(recipe) if isinstance(recipe, Mapping) else read_recipe_file(recipe)
    remember = RememberWeights(rewind_step)
    dense = fit(raw, overrides=overrides, callbacks=[remember], save=False, trust_code=trust_code, verbose=0)
    if remember.weights is None:
        raise TrainlabError(
            f"rewind_step {rewind_step}: the dense run stopped at step {dense.summary['run']['steps']}; "
            "rewind to an earlier step"
        )
    # The retrained models come from Python, so the recipe's model (and any init it names) is left out,
    # and so are overrides of it: they shaped the dense model, which the retrained ones copy.
    without_model = {key: value for key, value in raw.items() if key not in ("model", "out")}
    training_overrides = [item for item in overrides if not item.strip().startswith("model.")]

    def retrain(model: nn.Module, masks: dict[str, torch.Tensor]) -> Any:
        return fit(
            without_model,
            model=model,
            callbacks=[MaskedTraining(masks)],
            overrides=training_overrides,
            save=False,
            trust_code=trust_code,
            verbose=0,
        )

    trained, history = dense.model, []
    masks: dict[str, torch.Tensor] = {}
    ticket = dense
    for round_index in range(1, rounds + 1):
        target = 1.0 - (1.0 - sparsity) ** (round_index / rounds)
        # Pruned weights are zero after masked training, so they stay pruned: the masks only grow.
        masks = magnitude_masks(prunable_weights(trained), target, "global")
        rewound = copy.deepcopy(trained)
        rewound.load_state_dict(remember.weights)
        apply_masks(rewound, masks)
        ticket = retrain(rewound, masks)
        trained = ticket.model
        history.append({"round": round_index, "target_sparsity": target, **_splits(ticket.summary)})

    fresh = copy.deepcopy(trained)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(reinit_seed)
        for module in fresh.modules():
            reset = getattr(module, "reset_parameters", None)
            if module is not fresh and callable(reset):
                reset()
    apply_masks(fresh, masks)
    control = retrain(fresh, masks)
    return LotteryResult(
        dense=_splits(dense.summary),
        ticket=_splits(ticket.summary),
        random_reinit=_splits(control.summary),
        sparsity=weight_sparsity(trained),
        rounds=history,
        masks=masks,
    )


def _copy_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}


def _splits(summary: Mapping[str, Any]) -> dict[str, Any]:
    return {split: summary[split] for split in ("train", "val", "test") if split in summary}
