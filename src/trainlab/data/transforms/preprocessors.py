"""Preprocessing steps fitted on the training split: imputation, quantile and power transforms, per-sample
normalization and PCA (the ``preprocessor`` registry; a recipe lists them under ``data.preprocess``).

Each step is fitted once on the training split's inputs (scikit-learn's estimators do the fitting
where they fit) and then applied to every split, and later to new inputs, by its own torch code
from the fitted arrays: a run saves those arrays as tensors beside its weights, so predicting
needs neither scikit-learn nor unpickling. The steps run in the listed order, on each sample
flattened to a feature vector, before ``data.scaling``. A step that changes the number of features
(an imputer's indicator columns, PCA) turns the samples into feature vectors of the new size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import torch
from pydantic import Field

from trainlab.errors import ConfigError, DataError, Problem
from trainlab.registry import new_registry

PREPROCESSORS = new_registry("preprocessor")
_SKLEARN = "https://scikit-learn.org/stable/modules/generated/sklearn.preprocessing.{}.html"
# QuantileTransformer's bound: the normal output is clipped at the quantiles of this probability.
_QUANTILE_BOUND = 1e-7


class Preprocessor:
    """A fitted step: ``fit`` on training inputs ``(N, F)``, then ``__call__`` on any ``(N, F)`` batch.

    ``STATE`` names the fitted tensors; ``state_dict``/``load_state_dict`` move them in and out of a run.
    """

    STATE: ClassVar[tuple[str, ...]] = ()
    allows_missing: ClassVar[bool] = False

    def fit(self, inputs: np.ndarray) -> None:
        """Fit on the training inputs, float64 ``(N, F)``."""

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define __call__")

    def output_features(self, features: int) -> int:
        return features

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {key: getattr(self, key).clone() for key in self.STATE}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        for key in self.STATE:
            setattr(self, key, state[key].to(torch.float64))


def _float64(array: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.asarray(array, dtype=np.float64))


@PREPROCESSORS.register(
    "impute", reference=_SKLEARN.replace("preprocessing", "impute").format("SimpleImputer")
)
class Impute(Preprocessor):
    """Fill missing values (NaN) per feature with the training mean, median or a constant; optionally mark them.

    With ``indicator``, one 0/1 column is appended for each feature that had missing values in the
    training split, so the model can tell a filled value from a measured one (scikit-learn's
    ``SimpleImputer(add_indicator=True)``). A feature missing in every training sample is filled with 0.

    Args:
        strategy: ``mean``, ``median`` or ``constant``.
        fill_value: The constant, with ``strategy: constant``.
        indicator: Append the missing-value indicator columns.
    """

    STATE = ("statistics", "indicator_features")
    allows_missing = True

    def __init__(
        self,
        strategy: Literal["mean", "median", "constant"] = "median",
        fill_value: float = 0.0,
        indicator: bool = False,
    ):
        self.strategy, self.fill_value, self.indicator = strategy, fill_value, indicator
        self.statistics = torch.zeros(0, dtype=torch.float64)
        self.indicator_features = torch.zeros(0, dtype=torch.float64)

    def fit(self, inputs: np.ndarray) -> None:
        from sklearn.impute import SimpleImputer

        imputer = SimpleImputer(strategy=self.strategy, fill_value=self.fill_value, keep_empty_features=True)
        imputer.fit(inputs)
        self.statistics = _float64(imputer.statistics_)
        self.indicator_features = _float64(np.flatnonzero(np.isnan(inputs).any(axis=0)))

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        missing = torch.isnan(inputs)
        filled = torch.where(missing, self.statistics.to(inputs), inputs)
        if not self.indicator:
            return filled
        columns = missing[:, self.indicator_features.long()].to(inputs.dtype)
        return torch.cat([filled, columns], dim=1)

    def output_features(self, features: int) -> int:
        return features + (len(self.indicator_features) if self.indicator else 0)


def _interp(x: torch.Tensor, xp: torch.Tensor, fp: torch.Tensor) -> torch.Tensor:
    """``np.interp`` per feature: ``x`` is ``(F, N)``, ``xp`` (increasing) and ``fp`` are ``(F, Q)``."""
    right = torch.searchsorted(xp.contiguous(), x.contiguous(), right=True)
    j = (right - 1).clamp(0, xp.shape[1] - 2)
    x0, x1 = xp.gather(1, j), xp.gather(1, j + 1)
    f0, f1 = fp.gather(1, j), fp.gather(1, j + 1)
    slope = (f1 - f0) / torch.where(x1 > x0, x1 - x0, torch.ones_like(x1))
    value = f0 + slope * (x - x0)
    value = torch.where(x < xp[:, :1], fp[:, :1], value)
    return torch.where(x >= xp[:, -1:], fp[:, -1:], value)


@PREPROCESSORS.register("quantile", reference=_SKLEARN.format("QuantileTransformer"))
class Quantile(Preprocessor):
    """Map each feature through its training distribution function to a uniform or normal distribution.

    Ranks are robust to outliers and any monotone distortion; a heavy-tailed or multimodal feature
    comes out evenly spread. As scikit-learn's ``QuantileTransformer``: linear interpolation between
    ``n_quantiles`` training quantiles, averaged forwards and backwards where quantiles repeat.

    Args:
        n_quantiles: Quantiles estimated per feature (at most the number of training samples).
        output: ``uniform`` on [0, 1] or ``normal`` (standard normal, clipped at ~±5.2).
    """

    STATE = ("quantiles", "references")

    def __init__(
        self,
        n_quantiles: Annotated[int, Field(ge=2)] = 1000,
        output: Literal["uniform", "normal"] = "uniform",
    ):
        self.n_quantiles, self.output = n_quantiles, output
        self.quantiles = torch.zeros(0, dtype=torch.float64)
        self.references = torch.zeros(0, dtype=torch.float64)

    def fit(self, inputs: np.ndarray) -> None:
        from sklearn.preprocessing import QuantileTransformer

        fitted = QuantileTransformer(
            n_quantiles=min(self.n_quantiles, len(inputs)), output_distribution=self.output, subsample=None
        ).fit(inputs)
        self.quantiles = _float64(fitted.quantiles_.T)  # (F, Q)
        self.references = _float64(fitted.references_)

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs.to(torch.float64).T  # (F, N)
        quantiles = self.quantiles
        references = self.references.expand_as(quantiles)
        # Interpolated forwards and backwards (on the negated, reversed arrays) and averaged: where
        # quantiles repeat, the two directions give the two ends of the flat stretch, and the mean its middle.
        forwards = _interp(x, quantiles, references)
        backwards = -_interp(-x, -quantiles.flip(1), -references.flip(1))
        values = 0.5 * (forwards + backwards)
        bound = _QUANTILE_BOUND if self.output == "normal" else 0.0
        values = torch.where(x - bound <= quantiles[:, :1], torch.zeros_like(values), values)
        values = torch.where(x + bound >= quantiles[:, -1:], torch.ones_like(values), values)
        if self.output == "normal":
            limit = _QUANTILE_BOUND - float(np.spacing(1))
            normal = torch.distributions.Normal(0.0, 1.0)
            values = normal.icdf(values.clamp(limit, 1 - limit))
        return values.T.to(inputs.dtype)


@PREPROCESSORS.register("power", reference=_SKLEARN.format("PowerTransformer") + "; Yeo & Johnson 2000")
class Power(Preprocessor):
    """Yeo-Johnson power transform per feature, its exponent fitted by maximum likelihood to make it Gaussian-like.

    ``psi(x) = ((x + 1)^l - 1) / l`` for x >= 0 and ``-((1 - x)^(2 - l) - 1) / (2 - l)`` for x < 0
    (with the log at l = 0 and l = 2), then standardized to zero mean and unit variance by default,
    as scikit-learn's ``PowerTransformer``.

    Args:
        standardize: Standardize the transformed features (statistics of the training split).
    """

    STATE = ("lambdas", "mean", "scale")

    def __init__(self, standardize: bool = True):
        self.standardize = standardize
        self.lambdas = torch.zeros(0, dtype=torch.float64)
        self.mean = torch.zeros(0, dtype=torch.float64)
        self.scale = torch.zeros(0, dtype=torch.float64)

    def fit(self, inputs: np.ndarray) -> None:
        from sklearn.preprocessing import PowerTransformer

        fitted = PowerTransformer(method="yeo-johnson", standardize=False).fit(inputs)
        self.lambdas = _float64(fitted.lambdas_)
        transformed = self._yeo_johnson(_float64(inputs))
        std = transformed.std(dim=0, unbiased=False)
        self.mean = transformed.mean(dim=0)
        self.scale = torch.where(std > 0, std, torch.ones_like(std))

    def _yeo_johnson(self, x: torch.Tensor) -> torch.Tensor:
        lam = self.lambdas.to(x)
        positive = x >= 0
        near_zero, near_two = lam.abs() < 1e-12, (lam - 2).abs() < 1e-12
        safe_lam = torch.where(near_zero, torch.ones_like(lam), lam)
        safe_two = torch.where(near_two, torch.ones_like(lam), 2 - lam)
        pos = torch.where(
            near_zero, torch.log1p(x.clamp_min(0)), ((x.clamp_min(0) + 1) ** safe_lam - 1) / safe_lam
        )
        neg_base = 1 - x.clamp_max(0)
        neg = torch.where(near_two, -torch.log(neg_base), -((neg_base**safe_two) - 1) / safe_two)
        return torch.where(positive, pos, neg)

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        values = self._yeo_johnson(inputs.to(torch.float64))
        if self.standardize:
            values = (values - self.mean) / self.scale
        return values.to(inputs.dtype)


@PREPROCESSORS.register("normalize", reference=_SKLEARN.format("Normalizer"))
class Normalize(Preprocessor):
    """Scale each sample (not each feature) to unit norm: l1, l2 or max. A zero sample stays zero.

    Args:
        norm: ``l1``, ``l2`` or ``max``.
    """

    def __init__(self, norm: Literal["l1", "l2", "max"] = "l2"):
        self.norm = norm

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.norm == "max":
            size = inputs.abs().amax(dim=1, keepdim=True)
        else:
            size = (
                inputs.abs().sum(dim=1, keepdim=True)
                if self.norm == "l1"
                else inputs.norm(dim=1, keepdim=True)
            )
        return inputs / torch.where(size > 0, size, torch.ones_like(size))


@PREPROCESSORS.register(
    "pca", reference="https://scikit-learn.org/stable/modules/generated/sklearn.decomposition.PCA.html"
)
class PCA(Preprocessor):
    """Project the centred features onto their first ``components`` principal axes (fitted on train).

    Args:
        components: Principal components kept.
        whiten: Divide each component by its standard deviation, so all have unit variance.
    """

    STATE = ("mean", "axes", "variance")

    def __init__(self, components: Annotated[int, Field(ge=1)] = 10, whiten: bool = False):
        self.components, self.whiten = components, whiten
        self.mean = torch.zeros(0, dtype=torch.float64)
        self.axes = torch.zeros(0, dtype=torch.float64)
        self.variance = torch.zeros(0, dtype=torch.float64)

    def fit(self, inputs: np.ndarray) -> None:
        from sklearn.decomposition import PCA as SklearnPCA

        fitted = SklearnPCA(n_components=min(self.components, *inputs.shape), svd_solver="full").fit(inputs)
        self.mean = _float64(fitted.mean_)
        self.axes = _float64(fitted.components_)
        self.variance = _float64(fitted.explained_variance_)

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        projected = (inputs.to(torch.float64) - self.mean) @ self.axes.T
        if self.whiten:
            projected = projected / torch.sqrt(self.variance.clamp_min(1e-12))
        return projected.to(inputs.dtype)

    def output_features(self, features: int) -> int:
        return len(self.axes) if len(self.axes) else min(self.components, features)


def apply_steps(
    steps: list[Preprocessor], inputs: torch.Tensor, sample_shape: tuple[int, ...]
) -> torch.Tensor:
    """``inputs`` ``(N, *sample_shape)`` through every step; a changed feature count gives ``(N, F')`` vectors."""
    flat = inputs.reshape(len(inputs), -1)
    for step in steps:
        flat = step(flat)
    features = 1
    for size in sample_shape:
        features *= size
    return flat.reshape(len(inputs), *sample_shape) if flat.shape[1] == features else flat


def build_preprocessors(specs: Sequence[Any], *, key: str = "data.preprocess") -> list[Preprocessor]:
    """The (unfitted) steps ``specs`` name; every bad name or option reported at once.

    Raises:
        ConfigError: an unknown step or option, or an ``impute`` that is not the first step.
    """
    from trainlab.nn._spec import check_spec

    steps, problems = [], []
    for index, spec in enumerate(specs):
        try:
            entry, options = check_spec(PREPROCESSORS, spec, key=f"{key}[{index}]")
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        steps.append(entry.factory(**options))
    if problems:
        raise ConfigError(problems)
    late = [i for i, step in enumerate(steps) if step.allows_missing and i > 0]
    if late:
        raise ConfigError(
            [
                Problem(
                    f"{key}[{late[0]}]",
                    "impute must be the first step: the steps before it cannot read missing values",
                )
            ]
        )
    return steps


def fit_preprocessors(
    steps: list[Preprocessor],
    x: np.ndarray,
    x_val: np.ndarray | None,
    x_test: np.ndarray | None,
    sample_shape: tuple[int, ...],
    source: str,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, tuple[int, ...]]:
    """Fit each step on the training inputs as transformed by the steps before it; transform every split.

    Raises:
        DataError: missing values remain after the steps (no ``impute``), or a step produced non-finite values.
    """
    flat = _float64(x).reshape(len(x), -1)
    for step in steps:
        step.fit(flat.numpy())
        flat = step(flat)
    features = flat.shape[1]
    shape = sample_shape if features == int(np.prod(sample_shape)) else (features,)

    def transformed(array: np.ndarray | None) -> np.ndarray | None:
        if array is None:
            return None
        return apply_steps(steps, _float64(array), sample_shape).reshape(len(array), *shape).numpy()

    results = (flat.reshape(len(x), *shape).numpy(), transformed(x_val), transformed(x_test))
    for split, values in zip(("train", "val", "test"), results, strict=True):
        if values is not None and not np.isfinite(values).all():
            raise DataError(
                f"Data '{source}': the {split} split holds NaN or infinite values after data.preprocess; "
                "put {name: impute} first to fill missing values"
            )
    return results[0], results[1], results[2], shape


def describe(steps: list[Preprocessor]) -> list[dict[str, Any]]:
    """The steps as the run summary records them: name and options."""
    return [{"name": _name_of(step), **_options(step)} for step in steps]


def _name_of(step: Preprocessor) -> str:
    return next(e.name for e in PREPROCESSORS if e.factory is type(step))


def _options(step: Preprocessor) -> dict[str, Any]:
    import inspect

    names = [n for n in inspect.signature(type(step).__init__).parameters if n != "self"]
    return {name: getattr(step, name) for name in names}
