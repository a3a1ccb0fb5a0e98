"""One generic registry for every catalog kind: datasets, models, losses, optimizers, schedules, ..."""

from __future__ import annotations

import builtins
import difflib
import fnmatch
import importlib
import inspect
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pydantic

from trainlab.errors import ConfigError, Problem, TrainlabError, UnknownNameError, did_you_mean
from trainlab.references import call_user_code, import_reference, is_reference, trusting_code


@dataclass(frozen=True)
class Entry:
    """A registered component: a name the user types and the factory that builds it.

    Attributes:
        name: Lower-case name used in recipes and on the command line.
        kind: The registry it lives in, e.g. ``"optimizer"``.
        factory: A class or function; its signature is the component's options.
        description: One line shown in the catalog.
        reference: The paper or documentation the component follows.
        aliases: Other names that resolve to this entry.
        flags: Capability flags, e.g. ``{"task": "classification"}`` or ``{"second_order": True}``.
    """

    name: str
    kind: str
    factory: Callable[..., Any]
    description: str
    reference: str = ""
    aliases: tuple[str, ...] = ()
    flags: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def parameters(self) -> dict[str, inspect.Parameter]:
        """Keyword-settable parameters of the factory, in signature order."""
        return {
            name: p
            for name, p in _signature(self.factory).parameters.items()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        }

    def accepts_any_kwarg(self) -> bool:
        return any(p.kind is p.VAR_KEYWORD for p in _signature(self.factory).parameters.values())

    def check_kwargs(
        self,
        kwargs: Mapping[str, Any],
        *,
        provided: typing.Iterable[str] = (),
        key: str = "",
        also_valid: typing.Iterable[str] = (),
    ) -> tuple[dict[str, Any], list[Problem]]:
        """Check options against the factory's signature and type annotations, without building.

        Args:
            kwargs: The options the user gave.
            provided: Parameters the caller will fill in itself (e.g. ``params`` for an optimizer);
                the user may not set them and they do not count as missing.
            key: The user's key for this component (e.g. ``"optimizer"``), used to name problems.
            also_valid: Other keys valid beside the options (``data.val_fraction`` beside a dataset's
                own options), offered when an unknown option looks like one of them.

        Returns:
            The options converted to their annotated types, and every problem found.
        """
        provided = set(provided)
        params = self.parameters()
        prefix = f"{key}." if key else ""
        problems: list[Problem] = []
        converted: dict[str, Any] = {}
        hints = _type_hints(self.factory)
        for option, value in kwargs.items():
            if option in provided:
                problems.append(
                    Problem(prefix + option, f"is set by trainlab for {self.kind} '{self.name}'; remove it")
                )
                continue
            if option not in params and not self.accepts_any_kwarg():
                settable = [p for p in params if p not in provided]
                hint = did_you_mean(option, [*settable, *also_valid]) or (
                    f"; {self.kind} '{self.name}' takes "
                    + (", ".join(settable) if settable else "no options")
                )
                problems.append(Problem(prefix + option, f"unknown option{hint}"))
                continue
            if option in hints:
                try:
                    value = pydantic.TypeAdapter(hints[option]).validate_python(value)
                except pydantic.ValidationError as exc:
                    detail = "; ".join(_plain_pydantic_message(e) for e in exc.errors())
                    problems.append(Problem(prefix + option, f"{detail} (got {value!r})"))
                    continue
                except pydantic.PydanticSchemaGenerationError:
                    pass  # an annotation pydantic cannot check (e.g. a torch type): the factory checks it
            converted[option] = value
        for name, p in params.items():
            if p.default is p.empty and name not in kwargs and name not in provided:
                problems.append(Problem(prefix + name, f"is required by {self.kind} '{self.name}'"))
        return converted, problems

    def build(self, *args: Any, **kwargs: Any) -> Any:
        """Check ``kwargs`` and call the factory; raises ConfigError naming every bad option."""
        positional = list(_signature(self.factory).parameters)[: len(args)]
        converted, problems = self.check_kwargs(kwargs, provided=positional)
        if problems:
            raise ConfigError(problems, source=f"{self.kind} '{self.name}'")
        if self.flags.get("user_code"):
            return call_user_code(self.factory, self.name, key=self.kind, args=args, kwargs=converted)
        return self.factory(*args, **converted)

    def option_docs(self) -> dict[str, str]:
        """Each option's documentation: the ``Args:`` section of the factory's (or class's) docstring.

        A factory whose signature is generated (the optimizer table, say) sets ``__option_docs__``.
        """
        declared = getattr(self.factory, "__option_docs__", None)
        if declared is not None:
            return dict(declared)
        docs = google_args(inspect.getdoc(self.factory) or "")
        if inspect.isclass(self.factory):
            docs = {**google_args(inspect.getdoc(self.factory.__init__) or ""), **docs}
        return docs

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description, used by ``trainlab catalog --json`` and the docs tables."""
        options = {}
        docs = self.option_docs()
        for name, p in self.parameters().items():
            default = None if p.default is p.empty else p.default
            options[name] = {
                "default": default if _is_json_scalar(default) else repr(default),
                "required": p.default is p.empty,
                "doc": docs.get(name, ""),
            }
        return {
            "kind": self.kind,
            "name": self.name,
            "aliases": list(self.aliases),
            "description": self.description,
            "reference": self.reference,
            "flags": dict(self.flags),
            "options": options,
        }


class Registry:
    """Names to factories for one kind of component.

    Example:
        >>> losses = Registry("loss")
        >>> @losses.register("mse", reference="https://pytorch.org/docs/stable/generated/torch.nn.MSELoss.html")
        ... def mse(reduction: str = "mean"):
        ...     '''Mean squared error.'''
        ...     return torch.nn.MSELoss(reduction=reduction)
    """

    def __init__(self, kind: str, plural: str | None = None):
        self.kind = kind
        self.plural = plural or f"{kind}s"
        self._entries: dict[str, Entry] = {}
        self._aliases: dict[str, str] = {}

    def register(
        self,
        name: str | None = None,
        *,
        description: str | None = None,
        reference: str = "",
        aliases: typing.Iterable[str] = (),
        flags: Mapping[str, Any] | None = None,
        replace: bool = False,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator form of :meth:`add`; returns the factory unchanged."""

        def decorator(factory: Callable[..., Any]) -> Callable[..., Any]:
            self.add(
                name or factory.__name__,
                factory,
                description=description,
                reference=reference,
                aliases=aliases,
                flags=flags,
                replace=replace,
            )
            return factory

        return decorator

    def add(
        self,
        name: str,
        factory: Callable[..., Any],
        *,
        description: str | None = None,
        reference: str = "",
        aliases: typing.Iterable[str] = (),
        flags: Mapping[str, Any] | None = None,
        replace: bool = False,
    ) -> Entry:
        """Register ``factory`` under ``name``.

        Raises:
            ValueError: if the name is not lower case, has no description, or is taken and
                ``replace`` is False.
        """
        if name != name.lower() or not name:
            raise ValueError(f"{self.kind} names are lower case: got {name!r}")
        description = description or _first_doc_line(factory)
        if not description:
            raise ValueError(f"{self.kind} '{name}' needs a description (argument or docstring)")
        aliases = tuple(aliases)
        for taken in (name, *aliases):
            owner = self._aliases.get(taken)
            if owner is not None and not (replace and owner == name):
                raise ValueError(
                    f"{self.kind} '{taken}' is already registered; pass replace=True to replace it"
                )
        if replace and name in self._entries:
            self.remove(name)
        entry = Entry(
            name=name,
            kind=self.kind,
            factory=factory,
            description=description,
            reference=reference,
            aliases=aliases,
            flags=MappingProxyType(dict(flags or {})),
        )
        self._entries[name] = entry
        for alias in (name, *aliases):
            self._aliases[alias] = name
        return entry

    def remove(self, name: str) -> None:
        entry = self.get(name)
        del self._entries[entry.name]
        for alias in (entry.name, *entry.aliases):
            self._aliases.pop(alias, None)

    def get(self, name: str, *, key: str = "") -> Entry:
        """The entry for ``name`` or one of its aliases.

        Raises:
            UnknownNameError: naming the closest registered names.
        """
        if is_reference(name):
            return self._reference_entry(name, key=key or self.kind)
        self._load_providers()
        canonical = self._aliases.get(str(name).lower())
        if canonical is None:
            raise UnknownNameError(self.unknown_name_message(str(name), key=key))
        return self._entries[canonical]

    def _reference_entry(self, spec: str, *, key: str) -> Entry:
        """An entry for the user's own ``module:factory``, imported only if code is trusted."""
        factory = import_reference(spec, key=key)
        return Entry(
            name=spec,
            kind=self.kind,
            factory=factory,
            description=_first_doc_line(factory) or f"user {self.kind} {spec}",
            flags=MappingProxyType({"user_code": True}),
        )

    def unknown_name_message(self, name: str, *, key: str = "") -> str:
        self._load_providers()
        where = f"{key}: " if key else ""
        # Offer each entry once: its closest-matching spelling, name or alias.
        closest: dict[str, str] = {}
        for candidate in difflib.get_close_matches(name.lower(), list(self._aliases), n=6, cutoff=0.6):
            closest.setdefault(self._aliases[candidate], candidate)
        hint = (
            did_you_mean(name, list(closest.values())[:3])
            or f"; run `trainlab catalog {self.plural}` to list them"
        )
        return f"{where}'{name}' is not a registered {self.kind}{hint}"

    def create(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Build the component ``name``; options are checked before anything runs."""
        return self.get(name).build(*args, **kwargs)

    def list(self, pattern: str = "*") -> list[Entry]:
        """Entries whose name or alias matches the shell-style ``pattern``, sorted by name."""
        self._load_providers()
        pattern = pattern.lower()
        return [
            e
            for name, e in sorted(self._entries.items())
            if any(fnmatch.fnmatchcase(n, pattern) for n in (name, *e.aliases))
        ]

    def names(self) -> builtins.list[str]:  # `list` in this class is the method above
        self._load_providers()
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        self._load_providers()
        return isinstance(name, str) and name.lower() in self._aliases

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.list())

    def __len__(self) -> int:
        self._load_providers()
        return len(self._entries)

    def _load_providers(self) -> None:
        """A built-in kind's registry reads complete: its providers are imported on first lookup, so
        code that holds ``OPTIMIZERS`` (say) sees every optimizer whatever was imported before."""
        if REGISTRIES.get(self.kind) is self:
            _load_builtin_components()

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self)} entries)"


# ---------------------------------------------------------------------------------------------
# The registries of every kind, filled in by the modules that define components.

REGISTRIES: dict[str, Registry] = {}


def new_registry(kind: str, plural: str | None = None) -> Registry:
    """Create the registry for ``kind`` and make it reachable through :func:`create`."""
    if kind in REGISTRIES:
        raise ValueError(f"a registry for {kind!r} already exists")
    REGISTRIES[kind] = Registry(kind, plural)
    return REGISTRIES[kind]


def get_registry(kind: str) -> Registry:
    """The registry for ``kind``; singular (``loss``) and plural (``losses``) both work."""
    _load_builtin_components()
    lowered = kind.lower()
    for registry in REGISTRIES.values():
        if lowered in (registry.kind, registry.plural):
            return registry
    plurals = [r.plural for r in REGISTRIES.values()]
    hint = did_you_mean(kind, plurals) or "; kinds: " + ", ".join(plurals)
    raise UnknownNameError(f"'{kind}' is not a kind of component{hint}")


def create(kind: str, name: str, *args: Any, trust_code: bool = False, **kwargs: Any) -> Any:
    """Build any registered component from Python, or your own from a ``module:factory`` reference.

    Args:
        kind: The kind of component, singular or plural (``"loss"``, ``"optimizers"``).
        name: A registered name, or ``"package.module:factory"`` (needs ``trust_code=True``).
        *args: Positional arguments trainlab would supply (parameters for an optimizer, ...).
        trust_code: Consent to import and run the code a ``module:factory`` reference names.
        **kwargs: The component's options, checked against its signature before anything runs.

    Example:
        >>> trainlab.create("loss", "cross_entropy", label_smoothing=0.1)
        >>> trainlab.create("optimizer", "adam", model.parameters(), lr=1e-3)
    """
    with trusting_code(trust_code):
        return get_registry(kind).create(name, *args, **kwargs)


def catalog(kind: str | None = None, pattern: str = "*") -> list[Entry]:
    """Registered entries of one kind, or of every kind when ``kind`` is None."""
    if kind is not None:
        return get_registry(kind).list(pattern)
    _load_builtin_components()
    return [e for registry in REGISTRIES.values() for e in registry.list(pattern)]


# The packages whose import registers the built-in components. The registry names them instead
# of importing them: they import the registry, so an import here would make a cycle. This is the
# plugin pattern (like entry points): a kind's registry is complete once its providers are loaded.
BUILTIN_PROVIDERS = (
    "trainlab.compress.prune",
    "trainlab.compress.quantize",
    "trainlab.data",
    "trainlab.diagnose",
    "trainlab.diagnose.detectors",
    "trainlab.diagnose.preflight",
    "trainlab.finetune.batch_norm",
    "trainlab.finetune.from_run",
    "trainlab.finetune.unfreeze",
    "trainlab.losses",
    "trainlab.metrics",
    "trainlab.models",
    "trainlab.nn",
    "trainlab.optim",
    "trainlab.regularizers",
    "trainlab.representation",
    "trainlab.schedules",
    "trainlab.studies",
    "trainlab.theory",
    "trainlab.train.callbacks",
)


_providers_state = "unloaded"  # then "loading" (a provider's own lookups see what is there so far), "loaded"


def _load_builtin_components() -> None:
    global _providers_state
    if _providers_state != "unloaded":
        return
    _providers_state = "loading"
    try:
        for provider in BUILTIN_PROVIDERS:
            importlib.import_module(provider)
        _providers_state = "loaded"
    except BaseException:
        _providers_state = "unloaded"
        raise


# ---------------------------------------------------------------------------------------------


def _signature(factory: Callable[..., Any]) -> inspect.Signature:
    try:
        return inspect.signature(factory)
    except (TypeError, ValueError) as exc:  # builtins without a signature
        raise TrainlabError(f"cannot read the options of {factory!r}: {exc}") from exc


def _type_hints(factory: Callable[..., Any]) -> dict[str, Any]:
    target = factory.__init__ if inspect.isclass(factory) else factory
    try:
        return typing.get_type_hints(target, include_extras=True)
    except Exception:  # unresolvable annotations: skip type checks, the factory still validates
        return {}


def google_args(doc: str) -> dict[str, str]:
    """``{name: text}`` from a Google-style ``Args:`` section (continuation lines joined)."""
    docs: dict[str, str] = {}
    lines = doc.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() in ("Args:", "Arguments:"))
    except StopIteration:
        return docs
    section_indent = len(lines[start]) - len(lines[start].lstrip())
    item_indent = None
    name = None
    for line in lines[start + 1 :]:
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent <= section_indent:
            break  # the next section (Returns:, Raises:, ...)
        item_indent = indent if item_indent is None else item_indent
        head, colon, text = line.strip().partition(":")
        if indent == item_indent and colon:
            name = head.split(" ")[0].lstrip("*")
            docs[name] = text.strip()
        elif name is not None:
            docs[name] = f"{docs[name]} {line.strip()}".strip()
    return docs


def _first_doc_line(factory: Callable[..., Any]) -> str:
    doc = inspect.getdoc(factory) or ""
    return doc.strip().splitlines()[0].strip() if doc.strip() else ""


def _plain_pydantic_message(error: Mapping[str, Any]) -> str:
    message = str(error.get("msg", "invalid value"))
    return message[0].lower() + message[1:] if message else message


def _is_json_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


# The built-in kinds. Later kinds (regularizers, instruments, ...) call new_registry() where they live.
DATASETS = new_registry("dataset")
MODELS = new_registry("model")
LOSSES = new_registry("loss", "losses")
OPTIMIZERS = new_registry("optimizer")
SCHEDULES = new_registry("schedule")
METRICS = new_registry("metric")
CALLBACKS = new_registry("callback")
ACTIVATIONS = new_registry("activation")
NORMS = new_registry("norm")
DETECTORS = new_registry("detector")
PREFLIGHT_CHECKS = new_registry("preflight_check")
PRUNERS = new_registry("pruner")
