"""What every pre-flight check shares: its result row, the context it runs in, and the report."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import nn
from torch.utils.data import Dataset, TensorDataset

from trainlab import build
from trainlab.data import DataBundle
from trainlab.errors import ModelError
from trainlab.recipe import Recipe
from trainlab.train import seed_everything

Status = Literal["pass", "warn", "fail", "skip"]
STATUSES: tuple[Status, ...] = ("pass", "warn", "fail", "skip")

# Whole splits are read for the data checks up to this many samples (built-in data is far smaller).
MAX_SAMPLES_READ = 100_000


@dataclass
class CheckResult:
    """One row of the pre-flight table.

    Attributes:
        check: ``family.name``, e.g. ``"data.finite"``.
        status: ``pass``, ``warn``, ``fail`` or ``skip`` (the check does not apply, or could not run).
        measured: What was measured, with the numbers.
        fix: What to change (empty on a pass): a ``--set`` edit where one exists.
        meaning: What a failure or warning means, in one sentence (empty on a pass).
    """

    check: str
    status: Status
    measured: str
    fix: str = ""
    meaning: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "check": self.check,
            "status": self.status,
            "measured": self.measured,
            "meaning": self.meaning,
            "fix": self.fix,
        }


@dataclass
class PreflightReport:
    """Every check's rows, in the order they ran."""

    results: list[CheckResult]

    @property
    def passed(self) -> bool:
        """No check failed (warnings do not stop a run)."""
        return not any(r.status == "fail" for r in self.results)

    @property
    def exit_code(self) -> int:
        """1 when a check failed, else 0 (2 is kept for a usage error, as everywhere in trainlab)."""
        return 0 if self.passed else 1

    def counts(self) -> dict[str, int]:
        return {status: sum(r.status == status for r in self.results) for status in STATUSES}

    def rows(self) -> list[dict[str, str]]:
        """A tidy table: one dict per row."""
        return [r.as_dict() for r in self.results]

    def result(self, check: str) -> CheckResult:
        """The row named ``check`` (``"data.finite"``)."""
        for row in self.results:
            if row.check == check:
                return row
        raise KeyError(f"no pre-flight row {check!r}; rows: {', '.join(r.check for r in self.results)}")


@dataclass
class PreflightContext:
    """What the checks run on: the recipe's data and loss, and fresh copies of its initial model.

    Everything runs on the CPU with the recipe's seed, so the same recipe gives the same report.

    Attributes:
        recipe: The validated recipe.
        bundle: Its data, split and scaled as a run would see it.
        loss_fn: Its loss, fitted to the task.
        model: A model passed from Python, copied for each check (None: the recipe's model is built).
        model_problem: Why the model cannot run on the data (None when it can); the model checks skip then.
    """

    recipe: Recipe
    bundle: DataBundle
    loss_fn: nn.Module
    model: nn.Module | None = None
    model_problem: str | None = None
    _split_cache: dict[str, tuple[torch.Tensor, torch.Tensor] | None] = field(default_factory=dict)

    @property
    def seed(self) -> int:
        return self.recipe.train.seed

    @property
    def classification(self) -> bool:
        return self.bundle.task == "classification"

    def fresh_model(self) -> nn.Module:
        """The model as a run starts it: same seed, same initialization, every time."""
        seed_everything(self.seed)
        if self.model is not None:
            return copy.deepcopy(self.model)
        return build.build_network(self.recipe, self.bundle)

    def split(self, name: str) -> tuple[torch.Tensor, torch.Tensor] | None:
        """A split's inputs and targets as two tensors (at most ``MAX_SAMPLES_READ``), or None."""
        if name not in self._split_cache:
            dataset = self.bundle.split(name)
            self._split_cache[name] = None if dataset is None else tensors_of(dataset)
        return self._split_cache[name]

    def train_sample(self, count: int, *, stream: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """``count`` training samples drawn without replacement with the recipe's seed; each check
        passes its own ``stream``, so the checks see different samples and the same ones every run."""
        train = self.split("train")
        assert train is not None  # a bundle always has a training split
        inputs, targets = train
        generator = torch.Generator().manual_seed(self.seed * 1000 + stream)
        chosen = torch.randperm(len(inputs), generator=generator)[:count]
        return inputs[chosen], targets[chosen]

    def needs_model(self, check: str) -> CheckResult | None:
        """A ``skip`` row when the model cannot run on the data, else None."""
        if self.model_problem is None:
            return None
        return CheckResult(check, "skip", f"the model cannot run on the data ({self.model_problem})")


def tensors_of(dataset: Dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets of a map-style dataset as two tensors."""
    if isinstance(dataset, TensorDataset) and len(dataset.tensors) == 2:
        inputs, targets = dataset.tensors
        return inputs[:MAX_SAMPLES_READ], targets[:MAX_SAMPLES_READ]
    pairs = [dataset[i] for i in range(min(len(dataset), MAX_SAMPLES_READ))]  # type: ignore[arg-type]
    return (
        torch.stack([torch.as_tensor(x) for x, _ in pairs]),
        torch.stack([torch.as_tensor(y) for _, y in pairs]),
    )


def build_context(recipe: Recipe, *, model: nn.Module | None = None, data: Any = None) -> PreflightContext:
    """The data, loss and model of ``recipe`` (or the given model and data), checked to fit together.

    Raises:
        TrainlabError: a mistake in the recipe (an unknown name, a bad option): a usage error.
    """
    seed_everything(recipe.train.seed)
    bundle = build.build_data(recipe, data)
    context = PreflightContext(
        recipe=recipe, bundle=bundle, loss_fn=build.build_loss(recipe, bundle), model=model
    )
    try:
        build.check_model_fits_data(context.fresh_model(), bundle, torch.device("cpu"))
    except ModelError as exc:
        context.model_problem = str(exc)
    return context


def batch_loss(
    context: PreflightContext, model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor
) -> torch.Tensor:
    """The recipe's data loss of ``model`` on one batch."""
    return context.loss_fn(model(inputs), targets)
