"""Component specs: a registry name, or a mapping ``{name: ..., **options}``, checked and built.

A model option such as ``activation`` or ``norm`` takes either form in a recipe::

    activation: gelu
    norm: {name: group, num_groups: 8}

Keys in problems follow one convention throughout trainlab's builders: a factory names a problem
by its own option (``num_groups``); the caller that knows where the user wrote the component
prefixes its key (``model.norm``), so the user reads ``model.norm.num_groups``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from trainlab.errors import ConfigError, Problem, UnknownNameError
from trainlab.registry import Entry, Registry

ComponentSpec = str | Mapping[str, Any]


def join_key(prefix: str, key: str) -> str:
    """``"model"`` + ``"width"`` -> ``"model.width"``; either side may be empty."""
    return ".".join(part for part in (prefix, key) if part)


def prefixed(error: ConfigError, key: str, *, source: str | None = None) -> ConfigError:
    """The same problems with ``key`` put in front of each problem's key (and ``source`` if given)."""
    return ConfigError(
        [Problem(join_key(key, p.key), p.message) for p in error.problems], source=source or error.source
    )


def check_spec(
    registry: Registry, spec: ComponentSpec, *, key: str = "", provided: Iterable[str] = ()
) -> tuple[Entry, dict[str, Any]]:
    """Resolve ``spec`` to its entry and its options converted to their annotated types.

    Raises:
        UnknownNameError: the name is not registered (the message suggests the closest names).
        ConfigError: the spec is malformed or an option is unknown or invalid.
    """
    kind = registry.kind
    if isinstance(spec, str):
        name, options = spec, {}
    elif isinstance(spec, Mapping):
        options = dict(spec)
        if "name" not in options:
            raise ConfigError(
                [
                    Problem(
                        key,
                        f"a {kind} given as a mapping needs a 'name' key, e.g. {{name: <{kind}>, <option>: <value>}}",
                    )
                ]
            )
        name = str(options.pop("name"))
    else:
        raise ConfigError(
            [Problem(key, f"expected a {kind} name or a mapping with a 'name' key, got {spec!r}")]
        )
    entry = registry.get(name, key=key)
    converted, problems = entry.check_kwargs(options, provided=provided, key=key)
    if problems:
        raise ConfigError(problems, source=f"{kind} '{entry.name}'")
    return entry, converted


def build_from_spec(
    registry: Registry, spec: ComponentSpec, *args: Any, key: str = "", provided: Iterable[str] = ()
) -> Any:
    """Check ``spec`` and call its factory with ``args`` and the spec's options."""
    entry, options = check_spec(registry, spec, key=key, provided=provided)
    try:
        return entry.factory(*args, **options)
    except ConfigError as exc:
        # The factory names its own options; the user wrote them under ``key``.
        raise prefixed(exc, key, source=f"{registry.kind} '{entry.name}'") from exc


def spec_validator(registry: Registry, *, provided: Iterable[str] = ()) -> AfterValidator:
    """Pydantic metadata that checks a component spec against ``registry``.

    Use it as ``Annotated[str | dict[str, Any], spec_validator(REGISTRY)]`` on a factory
    option: ``Entry.check_kwargs`` validates options through their annotations, so a misspelt
    name or a bad option is caught before anything is built, under the user's key (e.g.
    ``model.activation``).
    """
    provided = tuple(provided)

    def validate(spec: Any) -> Any:
        try:
            check_spec(registry, spec, provided=provided)
        except UnknownNameError as exc:
            raise PydanticCustomError("unknown_component", "{detail}", {"detail": exc.message}) from None
        except ConfigError as exc:
            detail = "; ".join(str(p) for p in exc.problems)
            raise PydanticCustomError("invalid_component", "{detail}", {"detail": detail}) from None
        return spec

    return AfterValidator(validate)
