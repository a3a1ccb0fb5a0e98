"""An ensemble of finished runs scored on held-out data against its mean member and its best member.

The members are the runs of several seeds or variants; each scales the raw samples with its own saved
preprocessing (:class:`trainlab.inference.ensemble.Ensemble`). ``soft`` averages their probabilities
(Lakshminarayanan, Pritzel & Blundell 2017), ``hard`` takes the majority of their predicted classes
(Breiman 1996, bagging's vote), ties going to the class with the larger mean probability.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trainlab.errors import TrainlabError

if TYPE_CHECKING:
    import torch

    from trainlab.inference.predictor import Predictor

VOTES = ("soft", "hard")
# Probabilities are clipped here before the log: one confident mistake must not make the NLL infinite.
PROBABILITY_FLOOR = 1e-12
# Data keys that may differ between members: scaling is undone and redone by each member's preprocessing.
PER_MEMBER_DATA_KEYS = ("scaling",)


@dataclass
class EnsembleReport:
    """Scores of each member, their mean, the best member (chosen on this same data) and the ensemble."""

    task: str
    vote: str
    split: str
    data: str
    samples: int
    members: dict[str, dict[str, float]]
    ensemble: dict[str, float]
    primary: str
    higher_is_better: bool

    @property
    def mean_member(self) -> dict[str, float]:
        names = next(iter(self.members.values()))
        return {name: float(np.mean([m[name] for m in self.members.values()])) for name in names}

    @property
    def best_member(self) -> tuple[str, dict[str, float]]:
        pick = max if self.higher_is_better else min
        label = pick(self.members, key=lambda member: self.members[member][self.primary])
        return label, self.members[label]


def majority_vote(probabilities: Sequence[np.ndarray]) -> np.ndarray:
    """The class most members predict, per sample; a tie goes to the tied class with the larger mean probability.

    Args:
        probabilities: One ``(N, K)`` array of class probabilities per member.
    """
    stacked = np.stack(probabilities)  # (members, N, K)
    classes = stacked.shape[2]
    votes = np.eye(classes)[stacked.argmax(axis=2)].sum(axis=0)  # (N, K) vote counts
    # Mean probabilities are below 1, so scaled by 1e-3 they order ties without overturning a vote.
    return (votes + 1e-3 * stacked.mean(axis=0)).argmax(axis=1)


def classification_scores(
    probabilities: np.ndarray | None, predicted: np.ndarray, labels: np.ndarray
) -> dict[str, float]:
    scores = {"accuracy": float(np.mean(predicted == labels))}
    if probabilities is not None:
        picked = np.clip(probabilities[np.arange(len(labels)), labels], PROBABILITY_FLOOR, 1.0)
        scores["nll"] = float(-np.mean(np.log(picked)))
    return scores


def regression_scores(values: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    error = values.reshape(len(values), -1) - targets.reshape(len(targets), -1)
    return {"mse": float(np.mean(error**2)), "mae": float(np.mean(np.abs(error)))}


def _data_identity(raw: dict[str, Any]) -> str:
    data = raw.get("data")
    section = {"name": data} if isinstance(data, str) else dict(data or {})
    # A null key is the default: a run recorded before that key existed says the same by leaving it out.
    kept = {k: v for k, v in section.items() if k not in PER_MEMBER_DATA_KEYS and v is not None}
    return json.dumps(kept, sort_keys=True, default=str)


def _held_out_samples(
    run_dirs: Sequence[Path], lead: Predictor, split: str, data: str | None, trust_code: bool
) -> tuple[torch.Tensor, torch.Tensor, str]:
    """The raw (unscaled) samples and labels of the lead run's ``split`` (of ``data`` when given).

    Raises:
        TrainlabError: the members were split differently (the ensemble would be scored on data some
            member trained on), or the data has no such split.
    """
    from trainlab.build import build_data
    from trainlab.recipe import DataSpec, validate_recipe
    from trainlab.recipe_yaml import read_recipe_file
    from trainlab.references import trusting_code

    raws = [read_recipe_file(path / "recipe.yaml") for path in run_dirs]
    if data is None:
        identities = [_data_identity(raw) for raw in raws]
        for path, identity in zip(run_dirs[1:], identities[1:], strict=True):
            if identity != identities[0]:
                raise TrainlabError(
                    f"'{path}' was trained on other data or another split than '{run_dirs[0]}' "
                    f"(data: {identity} vs {identities[0]}); on one held-out split, some member would be scored "
                    "on samples it trained on. Ensemble runs of one data split, or pass --data for new data"
                )
    raw = raws[0]
    if data is not None:
        # Keep the run's split options; the old dataset's own options may not apply to the new one.
        split_options = {k: v for k, v in (raw.get("data") or {}).items() if k in DataSpec.model_fields}
        raw["data"] = {**split_options, "name": data}
    raw_data = raw["data"] if isinstance(raw["data"], dict) else {"name": raw["data"]}
    raw["data"] = {**raw_data, "scaling": "none"}  # each member scales with its own saved statistics
    with trusting_code(trust_code):
        recipe = validate_recipe(raw, source=str(run_dirs[0] / "recipe.yaml"))
        known = lead.task == "classification" and recipe.data.subset is None
        bundle = build_data(recipe, classes=lead.classes if known else None)
    dataset = bundle.split(split)
    if dataset is None:
        raise TrainlabError(f"--split {split}: the data '{recipe.data.name}' has no {split} split here")
    inputs, targets = dataset.tensors  # type: ignore[attr-defined]  # built-in data is a TensorDataset
    return inputs, targets, recipe.data.name


def evaluate_ensemble(
    run_dirs: Sequence[str | os.PathLike[str]],
    *,
    vote: str = "soft",
    split: str = "test",
    data: str | None = None,
    weights: str = "last",
    trust_code: bool = False,
) -> EnsembleReport:
    """Score the runs in ``run_dirs`` one by one and as an ensemble on held-out data.

    Args:
        run_dirs: Finished runs of one task, classes and input layout (two or more).
        vote: ``soft`` (mean probabilities; mean values for a regression) or ``hard`` (majority class).
        split: The split scored: ``test`` (default) or ``val``.
        data: A registered dataset to score on instead of the runs' own (split as the first run's).
        weights: ``last`` or ``best`` (see :func:`trainlab.load`).
        trust_code: Consent to run the code the runs' recipes reference.

    Raises:
        TrainlabError: fewer than two runs, runs of different tasks, classes or layouts, runs split
            differently, a hard vote over regressions, or an unknown vote or split.
    """
    from trainlab.inference.ensemble import Ensemble
    from trainlab.inference.predictor import as_batch, load

    if vote not in VOTES:
        raise TrainlabError(f"--vote {vote!r}: use soft (average the probabilities) or hard (majority vote)")
    if split not in ("val", "test"):
        raise TrainlabError(f"--split {split!r}: use test or val (the members trained on train)")
    paths = [Path(path) for path in run_dirs]
    if len(paths) < 2:
        raise TrainlabError("an ensemble needs two or more run directories")
    predictors = [load(path, weights=weights, trust_code=trust_code) for path in paths]
    ensemble = Ensemble(predictors)  # refuses runs of different tasks, classes or input layouts
    lead = ensemble.lead
    if vote == "hard" and lead.task != "classification":
        raise TrainlabError(
            "--vote hard: the runs are regressions, which have no classes to vote for; use --vote soft"
        )
    inputs, targets, data_name = _held_out_samples(paths, lead, split, data, trust_code)
    labels = targets.numpy()
    member_scores = {
        label: p.scores(p.preprocessing(as_batch(inputs, p.preprocessing))).numpy()
        for label, p in zip(_labels(paths), predictors, strict=True)
    }
    combined = ensemble.scores(inputs.numpy()).numpy()
    if lead.task == "classification":
        members = {
            label: classification_scores(s, s.argmax(axis=1), labels) for label, s in member_scores.items()
        }
        if vote == "soft":
            result = classification_scores(combined, combined.argmax(axis=1), labels)
        else:
            result = classification_scores(None, majority_vote(list(member_scores.values())), labels)
        primary, higher = "accuracy", True
    else:
        members = {label: regression_scores(s, labels) for label, s in member_scores.items()}
        result, primary, higher = regression_scores(combined, labels), "mse", False
    return EnsembleReport(lead.task, vote, split, data_name, len(labels), members, result, primary, higher)


def _labels(paths: Sequence[Path]) -> list[str]:
    from trainlab.report.compare import run_labels

    return run_labels([path.resolve() for path in paths])
