"""Data checks: non-finite values, constant features, unscaled inputs, labels, imbalance, input shape."""

from __future__ import annotations

from typing import Annotated

import torch
from pydantic import Field

from trainlab.diagnose.preflight._base import CheckResult, PreflightContext
from trainlab.models._shapes import input_kind
from trainlab.registry import PREFLIGHT_CHECKS

SPLITS = ("train", "val", "test")


@PREFLIGHT_CHECKS.register(
    "data",
    reference="LeCun, Bottou, Orr & Müller 1998, Efficient BackProp (inputs centred, on one scale); "
    "Karpathy 2019, A Recipe for Training Neural Networks (become one with the data)",
)
class DataCheck:
    """The data a run trains on: NaN/Inf, constant features, unscaled inputs, labels, imbalance, input shape.

    Args:
        max_offset: Largest |mean| of a feature, in units of the inputs' typical std, before the
            inputs count as not centred (standardized inputs have 0).
        max_scale_spread: Largest ratio of one feature's std to the median feature's before the
            features count as on different scales (standardized inputs have 1).
        max_imbalance: Largest ratio of the most to the least frequent training class before the
            classes count as imbalanced (Buda, Maki & Mazurowski 2018 study 10 to 5000).
    """

    def __init__(
        self,
        max_offset: Annotated[float, Field(gt=0)] = 1.0,
        max_scale_spread: Annotated[float, Field(gt=1)] = 10.0,
        max_imbalance: Annotated[float, Field(ge=1)] = 10.0,
    ):
        self.max_offset = max_offset
        self.max_scale_spread = max_scale_spread
        self.max_imbalance = max_imbalance

    def run(self, context: PreflightContext) -> list[CheckResult]:
        rows = [finite_values(context), constant_features(context), self.scaling(context)]
        if context.classification:
            rows += [labels(context), self.imbalance(context)]
        else:
            rows.append(regression_targets(context))
        rows.append(input_shape(context))
        return rows

    def scaling(self, context: PreflightContext) -> CheckResult:
        inputs = _features(context)
        mean, std = inputs.mean(0), inputs.std(0)
        varying = std > 0
        if not bool(varying.any()):
            return CheckResult("data.scaling", "skip", "no feature varies")
        typical = float(std[varying].pow(2).mean().sqrt())
        offset = float(mean[varying].abs().max()) / typical
        spread = float(std[varying].max() / std[varying].median())
        measured = f"largest |mean| {offset:.2g} typical std; feature std spread {spread:.3g}×"
        if offset <= self.max_offset and spread <= self.max_scale_spread:
            return CheckResult(
                "data.scaling", "pass", measured + f" (data.scaling: {context.recipe.data.scaling})"
            )
        return CheckResult(
            "data.scaling",
            "warn",
            measured + f" (limits {self.max_offset:g} and {self.max_scale_spread:g}×)",
            fix="--set data.scaling=standardize",
            meaning="inputs off centre or on different scales slow gradient descent: the loss surface is "
            "stretched along the large features",
        )

    def imbalance(self, context: PreflightContext) -> CheckResult:
        counts = _class_counts(context)
        present = [c for c in counts if c > 0]
        ratio = max(present) / min(present)
        measured = f"most/least frequent class {ratio:.3g}× ({max(present)} vs {min(present)} samples)"
        if ratio <= self.max_imbalance:
            return CheckResult("data.imbalance", "pass", measured)
        remedies = imbalance_remedies(context)
        if remedies:
            return CheckResult(
                "data.imbalance", "pass", measured + f"; the recipe handles it ({', '.join(remedies)})"
            )
        return CheckResult(
            "data.imbalance",
            "warn",
            measured + f" (limit {self.max_imbalance:g}×)",
            fix="--set loss.name=class_balanced (or ldam, focal), or --set sampler.name=class_balanced; "
            "watch a per-class metric (f1_macro, recall_macro), not accuracy",
            meaning="the rare classes give few gradients, so the model can ignore them and still score high accuracy",
        )


# Losses that reweight or re-margin the classes by their frequency (trainlab catalog losses).
CLASS_AWARE_LOSSES = ("class_balanced", "ldam", "focal", "sigmoid_focal")


def imbalance_remedies(context: PreflightContext) -> list[str]:
    """What in the recipe already counters class imbalance: a class sampler, a class-aware loss, class weights."""
    recipe = context.recipe
    remedies = [f"sampler {recipe.sampler.name}"] if recipe.sampler is not None else []
    if recipe.loss is not None:
        if recipe.loss.name in CLASS_AWARE_LOSSES:
            remedies.append(f"loss {recipe.loss.name}")
        elif recipe.loss.options.get("class_weights", "none") != "none":
            remedies.append(f"loss.class_weights {recipe.loss.options['class_weights']}")
    return remedies


def finite_values(context: PreflightContext) -> CheckResult:
    found = []
    for name in SPLITS:
        split = context.split(name)
        if split is None:
            continue
        for part, tensor in zip(("inputs", "targets"), split, strict=True):
            if tensor.is_floating_point():
                bad_rows = int((~torch.isfinite(tensor.reshape(len(tensor), -1))).any(1).sum())
                if bad_rows:
                    found.append(f"{bad_rows} {name} rows with NaN/Inf {part}")
    if not found:
        return CheckResult("data.finite", "pass", "no NaN or Inf in any split")
    return CheckResult(
        "data.finite",
        "fail",
        "; ".join(found),
        fix="remove or impute those rows before training (one NaN input makes the loss NaN)",
        meaning="a NaN or Inf input propagates to the loss and every weight it touches",
    )


def constant_features(context: PreflightContext) -> CheckResult:
    inputs = _features(context)
    constant = int((inputs.std(0) == 0).sum())
    measured = f"{constant} of {inputs.shape[1]} features constant in train"
    if constant == 0:
        return CheckResult("data.constant_features", "pass", measured)
    if input_kind(context.bundle.input_shape) != "features":
        # Pixels at an image's border or samples at a signal's ends are often constant; harmless.
        return CheckResult("data.constant_features", "pass", measured + " (positions of a signal or image)")
    return CheckResult(
        "data.constant_features",
        "warn",
        measured,
        fix="drop the constant columns from the data file",
        meaning="a constant feature carries no information; standardizing it divides by zero",
    )


def labels(context: PreflightContext) -> CheckResult:
    classes = context.bundle.num_outputs
    problems = []
    for name in SPLITS:
        split = context.split(name)
        if split is None:
            continue
        targets = split[1]
        if targets.is_floating_point() or targets.dim() != 1:
            problems.append(
                f"{name} labels are {targets.dtype} of shape {tuple(targets.shape[1:])}, not class indices"
            )
            continue
        outside = int(((targets < 0) | (targets >= classes)).sum())
        if outside:
            problems.append(f"{outside} {name} labels outside [0, {classes})")
    counts = _class_counts(context) if not problems else []
    missing = [c for c, n in enumerate(counts) if n == 0]
    distribution = ", ".join(str(n) for n in counts)
    if problems:
        return CheckResult(
            "data.labels",
            "fail",
            "; ".join(problems),
            fix="labels must be integers 0..C-1; remap them (the csv dataset does this for you)",
            meaning="a label outside the output range breaks the loss (an index error, or silently wrong targets)",
        )
    if missing:
        return CheckResult(
            "data.labels",
            "warn",
            f"classes {missing} have no training sample (counts {distribution})",
            fix="add samples of those classes, or lower data.val_fraction / data.test_fraction",
            meaning="the model cannot learn a class it never sees",
        )
    return CheckResult(
        "data.labels", "pass", f"{classes} classes in [0, {classes}); train counts {distribution}"
    )


def regression_targets(context: PreflightContext) -> CheckResult:
    train = context.split("train")
    assert train is not None
    targets = train[1].double()
    mean, std = float(targets.mean()), float(targets.std())
    measured = f"targets mean {mean:.3g}, std {std:.3g}"
    if abs(mean) <= 10 * max(std, 1e-12) and 1e-3 <= std <= 1e3:
        return CheckResult("data.labels", "pass", measured)
    return CheckResult(
        "data.labels",
        "warn",
        measured,
        fix="standardize the targets in the data file (and undo it on predictions)",
        meaning="targets far from unit scale make the initial loss huge and the output layer's gradients dominate",
    )


def input_shape(context: PreflightContext) -> CheckResult:
    shape = tuple(context.bundle.input_shape)
    if context.model_problem is None:
        return CheckResult(
            "data.input_shape", "pass", f"the model maps {shape} to {context.bundle.num_outputs} outputs"
        )
    return CheckResult(
        "data.input_shape",
        "fail",
        context.model_problem,
        fix="choose a model for this input (`trainlab catalog models`) or fix the model's output size",
        meaning="the model cannot take the data as it is shaped",
    )


def _features(context: PreflightContext) -> torch.Tensor:
    train = context.split("train")
    assert train is not None
    inputs = train[0].reshape(len(train[0]), -1).double()
    return inputs[torch.isfinite(inputs).all(1)]


def _class_counts(context: PreflightContext) -> list[int]:
    train = context.split("train")
    assert train is not None
    return torch.bincount(train[1].long(), minlength=context.bundle.num_outputs).tolist()
