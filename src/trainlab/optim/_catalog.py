"""How an optimizer class becomes a catalog entry: its options are derived from the class's ``__init__``.

The catalog's options differ from a torch optimizer's keyword arguments in a few regular ways,
applied here once for every entry, torch's and ours:

* pairs are split: ``betas`` → ``beta1``, ``beta2`` (likewise ``etas`` and ``adamw_betas``);
* ``foreach`` and ``fused`` become one ``implementation`` option: auto, fused, foreach or loop;
* torch's classes get ``weight_decay_mode`` (l2 or decoupled), applied natively or by a hook;
* every entry gets ``param_groups`` and ``decay_norm_and_bias`` (see :mod:`._param_groups`);
* switches that only torch's internals need (``maximize``, ``capturable``, ...) are not offered.

The registered factory carries the derived signature (``__signature__``, ``__annotations__``), so
the registry checks recipe values against it, and the options' docs (``__option_docs__``).
Types and docs come from :data:`GLOSSARY`, keyed by option name; trainlab's own classes annotate
and document their options themselves, and the glossary covers only the names derived from them.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Annotated, Any, TypeVar

import torch
from pydantic import Field

from trainlab.optim._implementation import Implementation, implementation_kwargs
from trainlab.optim._param_groups import ParamGroupSpec, Params, all_params, group_specs, make_param_groups
from trainlab.optim._weight_decay import WeightDecayMode, with_weight_decay
from trainlab.registry import OPTIMIZERS, Entry

PositiveFloat = Annotated[float, Field(gt=0.0)]
NonNegativeFloat = Annotated[float, Field(ge=0.0)]
Beta = Annotated[float, Field(ge=0.0, lt=1.0)]
OpenUnitFloat = Annotated[float, Field(gt=0.0, lt=1.0)]
PositiveInt = Annotated[int, Field(ge=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]

OptimizerClass = TypeVar("OptimizerClass", bound=type[torch.optim.Optimizer])


@dataclass(frozen=True)
class Option:
    """What the catalog checks and says about an option."""

    type: Any
    doc: str


GLOSSARY: Mapping[str, Option] = MappingProxyType(
    {
        "params": Option(Params, "Parameters, ``(name, parameter)`` pairs or parameter groups."),
        "lr": Option(PositiveFloat, "Learning rate."),
        "beta1": Option(Beta, "Decay of the first-moment (gradient) average."),
        "beta2": Option(Beta, "Decay of the second-moment (squared-gradient) average."),
        "eps": Option(PositiveFloat, "Added to the denominator for numerical stability."),
        "momentum": Option(Beta, "Momentum coefficient μ."),
        "weight_decay": Option(NonNegativeFloat, "Decay coefficient (see ``weight_decay_mode``)."),
        "weight_decay_mode": Option(
            WeightDecayMode,
            "``l2`` adds weight_decay·w to the gradient; ``decoupled`` shrinks w by lr·weight_decay.",
        ),
        "implementation": Option(
            Implementation,
            "auto (fused where torch has a kernel, else foreach), fused, foreach (all tensors at once) "
            "or loop (one parameter at a time).",
        ),
        "param_groups": Option(
            list[ParamGroupSpec] | None,
            "Name patterns with their own ``lr`` or ``weight_decay``; the first matching pattern wins.",
        ),
        "decay_norm_and_bias": Option(
            bool, "Decay biases and normalization parameters too (by default they are not decayed)."
        ),
        "rho": Option(Beta, "Decay of the running averages."),
        "alpha": Option(Beta, "Decay of the squared-gradient average."),
        "centered": Option(bool, "Divide by the gradient's running variance instead of its second moment."),
        "lambd": Option(NonNegativeFloat, "Decay term of the step size."),
        "t0": Option(NonNegativeFloat, "Step at which averaging starts."),
        "eta_minus": Option(OpenUnitFloat, "Step-size factor after a sign change."),
        "eta_plus": Option(Annotated[float, Field(gt=1.0)], "Step-size factor when the sign is kept."),
        "momentum_decay": Option(NonNegativeFloat, "Momentum schedule decay ψ."),
        "beta2_decay": Option(
            Annotated[float, Field(le=0.0)], "Exponent of the second-moment decay schedule."
        ),
        "clip_threshold": Option(PositiveFloat, "Update clipping threshold d."),
        "max_iter": Option(PositiveInt, "Inner iterations per optimizer step."),
        "history_size": Option(PositiveInt, "Number of gradient differences kept."),
        "line_search": Option(bool, "Use the strong-Wolfe line search."),
        "adamw_beta1": Option(Beta, "β1 of the AdamW part."),
        "adamw_beta2": Option(Beta, "β2 of the AdamW part."),
    }
)

# A class argument holding a pair, offered as two options.
PAIRS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "betas": ("beta1", "beta2"),
        "etas": ("eta_minus", "eta_plus"),
        "adamw_betas": ("adamw_beta1", "adamw_beta2"),
    }
)
# Arguments the catalog never offers: torch-internal switches, and those it sets itself.
NOT_OFFERED = frozenset(
    {"maximize", "capturable", "differentiable", "foreach", "fused", "decoupled_weight_decay"}
)


@dataclass(frozen=True)
class Translated:
    """A class argument offered under another name or in another form."""

    name: str
    default: Any
    to_class: Callable[[Any], Any] | None = None  # None: passed as it is


@dataclass(frozen=True)
class OptimizerSpec:
    """One catalog entry built from an optimizer class.

    Attributes:
        name: The catalog name.
        cls: The optimizer class; its ``__init__`` is the option schema.
        reference: The paper or documentation it follows.
        flags: Capability flags (``family``, ``has_betas``, ``needs_closure``, ...).
        description: The catalog's one line; by default the class docstring's first line.
        aliases: Other names.
        defaults: Catalog defaults that differ from the class's, by option name.
        fixed: Class arguments always passed and not offered (``nesterov=True``, say).
        hidden: Class arguments not offered; the class's default stands.
        translated: Class arguments offered under another name or form.
        weight_decay_mode: The default ``weight_decay_mode`` of a torch class; None where the class
            takes care of decay itself (trainlab's) or has none (L-BFGS).
        native_decay: The mode the torch class's own ``weight_decay`` applies; the other is a hook.
        types: Option types that differ from the glossary's for this entry.
        docs: Option docs that differ from the glossary's (or the class's) for this entry.
        one_group: The class takes a single param group (L-BFGS): the groups are merged.
    """

    name: str
    cls: type[torch.optim.Optimizer]
    reference: str
    flags: Mapping[str, Any]
    description: str = ""
    aliases: tuple[str, ...] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)
    fixed: Mapping[str, Any] = field(default_factory=dict)
    hidden: tuple[str, ...] = ()
    translated: Mapping[str, Translated] = field(default_factory=dict)
    weight_decay_mode: WeightDecayMode | None = None
    native_decay: WeightDecayMode | None = "l2"
    types: Mapping[str, Any] = field(default_factory=dict)
    docs: Mapping[str, str] = field(default_factory=dict)
    one_group: bool = False


def register(spec: OptimizerSpec) -> Entry:
    """Add ``spec`` to the optimizer registry, with its factory derived from the class."""
    factory = catalog_factory(spec)
    return OPTIMIZERS.add(
        spec.name,
        factory,
        description=spec.description or None,
        reference=spec.reference,
        aliases=spec.aliases,
        flags=spec.flags,
    )


def registered(name: str, **spec: Any) -> Callable[[OptimizerClass], OptimizerClass]:
    """Class decorator: register one of trainlab's optimizer classes (see :class:`OptimizerSpec`)."""

    def decorate(cls: OptimizerClass) -> OptimizerClass:
        register(OptimizerSpec(name=name, cls=cls, **spec))
        return cls

    return decorate


@dataclass(frozen=True)
class _CatalogOption:
    name: str
    default: Any
    type: Any
    doc: str


def catalog_factory(spec: OptimizerSpec) -> Callable[..., torch.optim.Optimizer]:
    """The factory the catalog registers for ``spec``: catalog options in, ``spec.cls`` out.

    Raises:
        ValueError: an option without a type or a doc (every option must have both).
    """
    class_args = _class_arguments(spec.cls)
    options = _catalog_options(spec, class_args)
    by_name = {option.name: option for option in options}
    decays = "weight_decay" in by_name

    def factory(params: Params, **chosen: Any) -> torch.optim.Optimizer:
        unknown = sorted(set(chosen) - set(by_name))
        if unknown:
            raise TypeError(f"{spec.name} got unexpected options {', '.join(unknown)}")
        values = {name: option.default for name, option in by_name.items() if name != "params"}
        values.update(chosen)
        specs = group_specs(values.pop("param_groups"))
        groups = make_param_groups(
            params,
            param_groups=specs,
            decay_norm_and_bias=values.pop("decay_norm_and_bias"),
            has_weight_decay=decays and (values["weight_decay"] > 0 or any(s.weight_decay for s in specs)),
        )
        if spec.one_group:
            groups = [{"params": all_params(groups)}]
        kwargs = {**spec.fixed, **_class_kwargs(spec, class_args, values)}
        if "implementation" in values:
            kwargs.update(implementation_kwargs(spec.cls, groups, values["implementation"]))
        if spec.weight_decay_mode is None:
            return spec.cls(groups, **kwargs)
        mode = values["weight_decay_mode"]
        native = spec.native_decay if "weight_decay" in class_args else None
        if "decoupled_weight_decay" in class_args:  # Adam, NAdam, RAdam do either mode themselves
            kwargs["decoupled_weight_decay"] = mode == "decoupled"
            native = mode
        return with_weight_decay(
            spec.cls, groups, weight_decay=values["weight_decay"], mode=mode, native_mode=native, **kwargs
        )

    parameters = [inspect.Parameter("params", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Params)]
    parameters += [
        inspect.Parameter(o.name, inspect.Parameter.KEYWORD_ONLY, default=o.default, annotation=o.type)
        for o in options
    ]
    factory.__name__ = factory.__qualname__ = spec.name
    factory.__doc__ = spec.description or inspect.getdoc(spec.cls)
    factory.__signature__ = inspect.Signature(parameters, return_annotation=torch.optim.Optimizer)  # type: ignore[attr-defined]  # read by inspect.signature
    factory.__annotations__ = {"params": Params, **{o.name: o.type for o in options}}
    factory.__option_docs__ = {"params": GLOSSARY["params"].doc, **{o.name: o.doc for o in options}}  # type: ignore[attr-defined]  # read by Entry.option_docs
    return factory


def _class_arguments(cls: type) -> dict[str, inspect.Parameter]:
    """The keyword arguments of ``cls.__init__`` after ``params``."""
    return {
        name: p
        for name, p in list(inspect.signature(cls).parameters.items())[1:]
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }


def _catalog_options(spec: OptimizerSpec, class_args: dict[str, inspect.Parameter]) -> list[_CatalogOption]:
    ours = spec.cls.__module__.startswith("trainlab.")
    # trainlab's classes annotate their options with checkable types and document them in their
    # docstring; torch's annotate `float | Tensor`, so the glossary supplies types and docs for those.
    hints = typing.get_type_hints(spec.cls.__init__, include_extras=True) if ours else {}
    class_docs = (
        Entry(name=spec.name, kind="optimizer", factory=spec.cls, description="").option_docs()
        if ours
        else {}
    )
    options: list[_CatalogOption] = []

    def offer(name: str, default: Any, class_type: Any = None, class_doc: str = "") -> None:
        glossary = GLOSSARY.get(name)
        option_type = spec.types.get(name) or class_type or (glossary.type if glossary else None)
        doc = spec.docs.get(name) or class_doc or (glossary.doc if glossary else "")
        if option_type is None or not doc:
            raise ValueError(
                f"optimizer '{spec.name}': option {name!r} needs a type and a doc (add it to GLOSSARY)"
            )
        options.append(_CatalogOption(name, spec.defaults.get(name, default), option_type, doc))

    for name, p in class_args.items():
        if name in NOT_OFFERED or name in spec.hidden or name in spec.fixed:
            continue
        if spec.weight_decay_mode is not None and name == "weight_decay":
            continue  # offered below, with the mode
        if name in PAIRS:
            element_types = typing.get_args(hints[name]) if name in hints else (None, None)
            for option, default, element_type in zip(PAIRS[name], p.default, element_types, strict=True):
                offer(option, default, element_type)
        elif name in spec.translated:
            offer(spec.translated[name].name, spec.translated[name].default)
        else:
            offer(name, p.default, hints.get(name), class_docs.get(name, ""))
    if "foreach" in class_args or "fused" in class_args:
        offer("implementation", "auto")
    if spec.weight_decay_mode is not None:
        offer("weight_decay", class_args["weight_decay"].default if "weight_decay" in class_args else 0.0)
        offer("weight_decay_mode", spec.weight_decay_mode)
    offer("param_groups", None)
    offer("decay_norm_and_bias", False)
    return options


def _class_kwargs(
    spec: OptimizerSpec, class_args: dict[str, inspect.Parameter], values: dict[str, Any]
) -> dict[str, Any]:
    """The class's keyword arguments for the catalog option ``values``."""
    kwargs: dict[str, Any] = {}
    for name in class_args:
        if name in PAIRS and PAIRS[name][0] in values:
            kwargs[name] = tuple(values[option] for option in PAIRS[name])
        elif name in spec.translated:
            translated = spec.translated[name]
            value = values[translated.name]
            kwargs[name] = value if translated.to_class is None else translated.to_class(value)
        elif name in values and not (spec.weight_decay_mode is not None and name == "weight_decay"):
            kwargs[name] = values[name]
    return kwargs
