"""The LR range test (Smith 2017): train briefly while the learning rate grows exponentially, and
read a good learning rate off the loss curve; the model, optimizer and data order are put back after.

:func:`lr_range_test` runs on torch objects (a hand-written loop's model, loss, optimizer and
batches); :func:`lr_find` builds them from a recipe, once per seed, and reports how far the seeds'
suggestions agree.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import statistics
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from trainlab.diagnose.lr_suggestions import SMOOTHING_BETA, LossSmoother, Suggestion, suggest
from trainlab.errors import ConfigError, Problem, TrainlabError

DEFAULT_RULE = "minimum/10"
"""The rule whose suggestion ``lr-find`` recommends and ``--apply`` writes. In benchmarks/lr_finder.py
(RESULTS.md) it is the only rule whose suggestion trained well on all three tasks, and the one the
seeds agree on best; steepest was closer on two tasks but picked a diverging lr for SGD with momentum."""
DIVERGENCE_FACTOR = 4.0
"""Stop once the smoothed loss exceeds this multiple of its best so far (fastai: 4; torch-lr-finder: 5)."""


@dataclass
class LRSweep:
    """One range test: the learning rate and loss of every step, and each rule's suggestion.

    Attributes:
        lrs: The learning rate of each step taken (of the first param group; the others keep
            their ratio to it).
        losses: Each step's training loss (the objective the optimizer minimised, penalties included).
        smoothed: ``losses`` as a bias-corrected moving average, which the rules read.
        planned_steps: The steps asked for; fewer were taken when the loss diverged.
        diverged_at: The learning rate at which the sweep stopped on divergence, or None.
        suggestions: Each rule's suggestion, None where the curve left too few points to read.
        seed: The seed the recipe's model and data order were built with, when built from a recipe.
    """

    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    planned_steps: int
    diverged_at: float | None
    suggestions: dict[str, Suggestion | None]
    seed: int | None = None

    def suggested_lr(self, rule: str) -> float | None:
        suggestion = self.suggestions[rule]
        return None if suggestion is None else suggestion.lr

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "planned_steps": self.planned_steps,
            "steps": len(self.lrs),
            "diverged_at": self.diverged_at,
            "suggestions": {rule: self.suggested_lr(rule) for rule in self.suggestions},
            "lrs": self.lrs,
            # JSON has no NaN or Infinity: a diverged step's loss is written as null.
            "losses": [loss if math.isfinite(loss) else None for loss in self.losses],
            "smoothed": [loss if math.isfinite(loss) else None for loss in self.smoothed],
        }


@dataclass
class LRFindReport:
    """The range tests of one recipe over one or more seeds, and what they suggest together.

    Attributes:
        sweeps: One :class:`LRSweep` per seed.
        notes: What the user should know about how the sweep ran (an ignored schedule, say).
        recipe: The resolved recipe the sweeps were built from.
    """

    sweeps: list[LRSweep]
    notes: list[str] = field(default_factory=list)
    recipe: Any = None

    @property
    def suggestions(self) -> dict[str, float | None]:
        """Each rule's suggestion: its geometric mean over the seeds that gave one."""
        combined: dict[str, float | None] = {}
        for rule in self.sweeps[0].suggestions:
            values = self._values(rule)
            combined[rule] = math.exp(statistics.fmean(map(math.log, values))) if values else None
        return combined

    @property
    def spread(self) -> dict[str, float | None]:
        """How far the seeds agree: each rule's largest suggestion over its smallest (1.0 = identical)."""
        return {
            rule: max(values) / min(values) if len(values) > 1 else None
            for rule in self.sweeps[0].suggestions
            for values in [self._values(rule)]
        }

    def recommended(self, rule: str = DEFAULT_RULE) -> float:
        """The learning rate ``rule`` suggests.

        Raises:
            TrainlabError: no seed's curve could be read by that rule.
        """
        lr = self.suggestions[rule]
        if lr is None:
            raise TrainlabError(
                f"the '{rule}' rule found no learning rate: the loss diverged within the first steps of "
                "the sweep; lower --start (or check the recipe trains at all with `trainlab preflight`)"
            )
        return lr

    def to_dict(self) -> dict[str, Any]:
        return {
            "default_rule": DEFAULT_RULE,
            "suggestions": self.suggestions,
            "spread": self.spread,
            "notes": self.notes,
            "sweeps": [sweep.to_dict() for sweep in self.sweeps],
        }

    def _values(self, rule: str) -> list[float]:
        return [lr for sweep in self.sweeps if (lr := sweep.suggested_lr(rule)) is not None]


# ---------------------------------------------------------------------------------------------
# The range test on torch objects.


def lr_range_test(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    *,
    start: float = 1e-7,
    end: float = 10.0,
    steps: int = 100,
    diverge_factor: float = DIVERGENCE_FACTOR,
    smoothing: float = SMOOTHING_BETA,
    batch_transform: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]] | None = None,
    penalties: Mapping[str, Callable[[nn.Module], torch.Tensor]] | None = None,
    grad_accum_steps: int = 1,
    grad_clip_norm: float | None = None,
    grad_clip_value: float | None = None,
    precision: str = "fp32",
) -> LRSweep:
    """Smith's exponential LR range test on your own model, loss, optimizer and batches.

    Step ``i`` of ``steps`` trains one batch at lr = start · (end/start)^(i/(steps−1)). The sweep
    stops early when the smoothed loss exceeds ``diverge_factor`` times its best, or is not finite.
    Afterwards the model's parameters and buffers, their gradients, the optimizer's state and
    hyperparameters, the RNG states and the batch iterator's position are exactly as before.

    Args:
        model: The model to train during the sweep.
        loss_fn: Called as ``loss_fn(outputs, targets)``; returns a scalar.
        optimizer: A first-order optimizer over the model's parameters (no closure).
        batches: Yields ``(inputs, targets)``; iterated again when an epoch runs out.
        start: The first learning rate.
        end: The learning rate the last step would use.
        steps: Steps of the sweep (one batch each, times ``grad_accum_steps``).
        diverge_factor: Stop when the smoothed loss exceeds this multiple of its best.
        smoothing: β of the loss's moving average (0.98, as fastai).
        batch_transform: Applied to every batch before the forward pass (augmentation).
        penalties: Terms ``f(model)`` added to the loss (regularizers).
        grad_accum_steps: Micro-batches per step, their gradients summed.
        grad_clip_norm: Clip the gradient norm before each step.
        grad_clip_value: Clip each gradient value before each step.
        precision: fp32, bf16 or fp16 autocast, as the trainer runs.

    Returns:
        The recorded :class:`LRSweep` with each rule's suggestion.

    Raises:
        TrainlabError: a bad range, or an optimizer that needs a closure (L-BFGS, SAM, line searches).

    Reference:
        Smith 2017, Cyclical Learning Rates for Training Neural Networks (section 3.3).
    """
    from trainlab.train.precision import autocast_factory, grad_scaler

    check_range(start, end, steps)
    refuse_closure_optimizer(optimizer)
    device = next(model.parameters()).device
    autocast, scaler = autocast_factory(precision, device), grad_scaler(precision, device)
    clip_params = [p for p in model.parameters() if p.requires_grad]
    # Param groups keep their lrs' ratios to the first group's (discriminative lrs, Muon's AdamW part).
    first_lr = group_lr(optimizer.param_groups[0])
    ratios = [group_lr(group) / first_lr if first_lr else 1.0 for group in optimizer.param_groups]
    lrs: list[float] = []
    losses: list[float] = []
    smoothed: list[float] = []
    smoother = LossSmoother(smoothing)
    diverged_at = None
    with restored(model, optimizer, batches):
        model.train()
        switch_to_train = getattr(optimizer, "train", None)
        if callable(switch_to_train):
            switch_to_train()  # schedule-free: step at the gradient point
        stream = _endless(batches, device)
        for index in range(steps):
            lr = start * (end / start) ** (index / max(steps - 1, 1))
            for group, ratio in zip(optimizer.param_groups, ratios, strict=True):
                set_group_lr(group, lr * ratio)
            optimizer.zero_grad(set_to_none=True)
            total = torch.zeros((), device=device)
            for _ in range(grad_accum_steps):
                inputs, targets = next(stream)
                if batch_transform is not None:
                    inputs, targets = batch_transform(inputs, targets)
                with autocast():
                    objective = loss_fn(model(inputs), targets)
                for penalty in (penalties or {}).values():
                    objective = objective + penalty(model)
                scaler.scale(objective / grad_accum_steps).backward()
                total = total + objective.detach().float() / grad_accum_steps
            if grad_clip_norm is not None or grad_clip_value is not None:
                scaler.unscale_(optimizer)
            if grad_clip_norm is not None:
                torch.nn.utils.clip_grad_norm_(clip_params, grad_clip_norm)
            elif grad_clip_value is not None:
                torch.nn.utils.clip_grad_value_(clip_params, grad_clip_value)
            scaler.step(optimizer)
            scaler.update()
            # The test reads every step's loss to stop on divergence: one host sync per step, by design.
            loss = float(total)
            lrs.append(lr)
            losses.append(loss)
            smoothed.append(smoother.add(loss) if math.isfinite(loss) else math.inf)
            if _diverged(smoothed, diverge_factor):
                diverged_at = lr
                break
    return LRSweep(lrs, losses, smoothed, steps, diverged_at, suggest(lrs, smoothed, steps))


def _diverged(smoothed: list[float], factor: float) -> bool:
    """Not finite, or above ``factor`` times the best so far; a multiple of a best at or below zero
    says nothing (a loss that can be negative), so there only a non-finite loss stops the sweep."""
    best = min(smoothed)
    return not math.isfinite(smoothed[-1]) or (best > 0 and smoothed[-1] > factor * best)


def check_range(start: float, end: float, steps: int) -> None:
    """Raises TrainlabError unless 0 < start < end, both finite, and steps ≥ 5."""
    if not (math.isfinite(start) and start > 0):
        raise TrainlabError(f"--start {start}: the first learning rate must be a positive number, e.g. 1e-7")
    if not (math.isfinite(end) and end > start):
        raise TrainlabError(
            f"--end {end}: the last learning rate must be a finite number above --start {start}, e.g. 10"
        )
    if steps < 5:
        raise TrainlabError(f"--steps {steps}: the sweep needs at least 5 steps (100 is usual)")


def refuse_closure_optimizer(optimizer: torch.optim.Optimizer, name: str | None = None) -> None:
    """Raises TrainlabError for an optimizer that re-evaluates the loss through a closure."""
    if isinstance(optimizer, torch.optim.LBFGS) or getattr(optimizer, "needs_closure", False):
        raise closure_refusal(name or type(optimizer).__name__)


def closure_refusal(name: str) -> TrainlabError:
    return ConfigError(
        [
            Problem(
                "optimizer.name",
                f"'{name}' re-evaluates the loss through a closure (a line search, SAM's second pass), so "
                "it takes no plain step at a set learning rate and the LR range test does not apply; "
                "run lr-find with a first-order optimizer (--set optimizer.name=adam or sgd)",
            )
        ]
    )


def group_lr(group: Mapping[str, Any]) -> float:
    lr = group["lr"]
    return float(lr.item() if isinstance(lr, torch.Tensor) else lr)


def set_group_lr(group: dict[str, Any], lr: float) -> None:
    # A tensor lr (fused or capturable optimizers) is updated in place: a captured graph reads it there.
    if isinstance(group["lr"], torch.Tensor):
        group["lr"].fill_(lr)
    else:
        group["lr"] = lr


@contextlib.contextmanager
def restored(model: nn.Module, optimizer: torch.optim.Optimizer, batches: Any) -> Iterator[None]:
    """Within the block, train freely; after it, everything the sweep touched is as it was."""
    from trainlab.train.seed import rng_state, set_rng_state

    model_state = {name: value.detach().clone() for name, value in model.state_dict().items()}
    grads = [None if p.grad is None else p.grad.detach().clone() for p in model.parameters()]
    modes = [module.training for module in model.modules()]
    optimizer_state = copy.deepcopy(optimizer.state_dict())
    rng = rng_state()
    position = batches.state_dict() if callable(getattr(batches, "state_dict", None)) else None
    try:
        yield
    finally:
        with torch.no_grad():
            model.load_state_dict(model_state)
            for parameter, grad in zip(model.parameters(), grads, strict=True):
                parameter.grad = grad
        for module, training in zip(model.modules(), modes, strict=True):
            module.training = training
        optimizer.load_state_dict(optimizer_state)
        set_rng_state(rng)
        if position is not None:
            batches.load_state_dict(position)


def _endless(
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]], device: torch.device
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Batches across epoch boundaries, on ``device``."""
    while True:
        produced = False
        for inputs, targets in batches:
            produced = True
            yield inputs.to(device, non_blocking=True), targets.to(device, non_blocking=True)
        if not produced:
            raise TrainlabError("the batches ran out during the LR sweep; pass a re-iterable (a DataLoader)")


# ---------------------------------------------------------------------------------------------
# From a recipe.


def lr_find(
    recipe: Any = None,
    *,
    overrides: Sequence[str] = (),
    start: float = 1e-7,
    end: float = 10.0,
    steps: int = 100,
    seeds: int = 1,
    diverge_factor: float = DIVERGENCE_FACTOR,
    trust_code: bool = False,
    **fields: Any,
) -> LRFindReport:
    """The LR range test on the model, optimizer and data a recipe describes, once per seed.

    Seed ``k`` of ``seeds`` builds the model and the batch order with ``train.seed + k``. A
    schedule in the recipe is ignored (the sweep sets the learning rate itself); the report's
    notes say so.

    Args:
        recipe: A recipe file path, a mapping in the recipe's shape, or a Recipe.
        overrides: ``["optimizer.name=sgd", ...]``, as ``--set``.
        start: The first learning rate.
        end: The last learning rate.
        steps: Steps per sweep.
        seeds: How many seeds to sweep; with more than one, the report's ``spread`` says how far
            each rule's suggestions agree.
        diverge_factor: Stop a sweep when its smoothed loss exceeds this multiple of its best.
        trust_code: Consent to run the code a ``module:factory`` reference in the recipe names.
        **fields: Quick fields, as ``trainlab.fit`` takes them (``data="digits"``, ``model="mlp"``).

    Returns:
        An :class:`LRFindReport`.

    Raises:
        TrainlabError: a bad range or seed count, a recipe error, or a closure optimizer.
    """
    from trainlab import build
    from trainlab.api import resolve_recipe
    from trainlab.references import trusting_code
    from trainlab.registry import OPTIMIZERS
    from trainlab.train import ProcessContext, seed_everything
    from trainlab.train.threads import use_threads

    check_range(start, end, steps)
    if seeds < 1:
        raise TrainlabError(f"--seeds {seeds}: sweep at least one seed")
    with trusting_code(trust_code):
        resolved = resolve_recipe(recipe, overrides, **fields)
        entry = OPTIMIZERS.get(resolved.optimizer.name, key="optimizer.name")
        if entry.flags.get("needs_closure"):
            raise closure_refusal(entry.name)
        device = build.resolve_device(resolved.train.device)
        use_threads(resolved.train.threads, ProcessContext(), deterministic=resolved.train.deterministic)
        bundle = build.build_data(resolved)
        sweeps = []
        for offset in range(seeds):
            seed = resolved.train.seed + offset
            seeded = resolved.model_copy(update={"train": resolved.train.model_copy(update={"seed": seed})})
            seed_everything(seed)
            parts = _sweep_parts(seeded, bundle, device)
            settings = seeded.train
            sweep = lr_range_test(
                parts["model"],
                parts["loss_fn"],
                parts["optimizer"],
                parts["batches"],
                start=start,
                end=end,
                steps=steps,
                diverge_factor=diverge_factor,
                batch_transform=parts["batch_transform"],
                penalties=parts["penalties"],
                grad_accum_steps=settings.grad_accum_steps,
                grad_clip_norm=settings.grad_clip_norm,
                grad_clip_value=settings.grad_clip_value,
                precision=settings.precision,
            )
            sweep.seed = seed
            sweeps.append(sweep)
    return LRFindReport(sweeps, notes=_notes(resolved), recipe=resolved)


def _sweep_parts(recipe: Any, bundle: Any, device: torch.device) -> dict[str, Any]:
    """What a sweep trains with, built as ``trainlab.build.build_parts`` builds it, less the metrics
    and evaluator a sweep never uses (torchmetrics alone takes seconds to import)."""
    from trainlab import build
    from trainlab.train import ProcessContext

    process = ProcessContext()
    model = build.build_network(recipe, bundle).to(device)
    build.check_model_fits_data(model, bundle, device)
    loss_fn = build.build_loss(recipe, bundle)
    build.attach_loss(loss_fn, model)
    penalties, _ = build.build_regularizers(recipe, model)  # before the optimizer: they may reparametrize
    batch_transform = build.build_batch_transform(recipe, bundle)
    optimizer = build.build_optimizer(recipe, model)
    batches = build.build_batches(recipe, bundle, device, process)
    build.check_batches(recipe, bundle, batches, process)
    return {
        "model": model,
        "loss_fn": loss_fn,
        "optimizer": optimizer,
        "batches": batches,
        "batch_transform": batch_transform,
        "penalties": penalties,
    }


def _notes(recipe: Any) -> list[str]:
    notes = []
    if recipe.schedule is not None:
        notes.append(
            f"schedule '{recipe.schedule.name}' is ignored during the sweep: the finder sets the lr itself"
        )
    return notes


def apply_suggestion(
    report: LRFindReport, out: str | os.PathLike, *, rule: str = DEFAULT_RULE, force: bool = False
) -> float:
    """Write the report's recipe with ``optimizer.lr`` set to ``rule``'s suggestion; returns that lr.

    Raises:
        TrainlabError: ``out`` exists and ``force`` is False, or the rule found no learning rate.
    """
    import yaml

    from trainlab._io import write_text_atomic

    path = check_apply_path(out, force=force)
    lr = float(f"{report.recommended(rule):.3g}")
    # What the user wrote (file, flags and --set), not every default: the result reads like their recipe.
    raw = report.recipe.model_dump(mode="json", exclude_unset=True)
    raw["optimizer"] = {**raw.get("optimizer", {"name": report.recipe.optimizer.name}), "lr": lr}
    type(report.recipe).model_validate(raw)
    header = f"# lr-find: optimizer.lr from the '{rule}' rule over {len(report.sweeps)} seed(s).\n"
    text = header + yaml.safe_dump(raw, sort_keys=False, default_flow_style=None)
    try:
        write_text_atomic(path, text)
    except OSError as exc:
        raise TrainlabError(
            f"--apply '{path}': cannot write it ({exc.strerror or exc}); choose another path"
        ) from None
    return lr


def check_apply_path(out: str | os.PathLike, *, force: bool) -> Path:
    """``out`` as a path ``--apply`` may write: a .yaml/.yml file that is new, or ``force`` given.

    Raises:
        TrainlabError: another suffix, or an existing file without ``force``.
    """
    path = Path(out)
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise TrainlabError(f"--apply '{path}': write the recipe to a .yaml file")
    if path.exists() and not force:
        raise TrainlabError(f"--apply '{path}' exists; choose another path or add --force to replace it")
    return path
