"""Options that every entry of a kind takes, declared once for the kind rather than in every entry.

Every initializer takes ``bias`` and ``pattern``; every schedule takes ``optimizer``,
``total_steps``, ``warmup_steps`` and ``warmup``. An entry then declares only its own rule and
options (an initializer its fill, a schedule its curve), and :class:`WithSharedOptions` is the
factory the registry sees: its signature, type hints and option docs are the kind's shared
options followed by the entry's own, so recipes are checked and the catalog is written from
these two declarations alone.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Collection
from typing import Any

from trainlab.registry import google_args


class WithSharedOptions:
    """``build(declaration, *args, **options)``, with the signature of ``build``'s options and the entry's own.

    Args:
        declaration: The entry. Its docstring's first line describes it and its ``Args:`` section
            documents its own options; its parameters named in ``supplied`` are filled in by
            ``build`` and are not options.
        build: The kind's builder ``build(declaration, <shared options>, **options)``. Its
            signature and ``Args:`` section declare the options every entry of the kind takes.
        supplied: Parameters of ``declaration`` that ``build`` fills in.
    """

    def __init__(
        self,
        declaration: Callable[..., Any],
        build: Callable[..., Any],
        *,
        supplied: Collection[str] = (),
    ):
        self.declaration = declaration
        self.build = build
        shared = [
            p for p in list(inspect.signature(build).parameters.values())[1:] if p.kind is not p.VAR_KEYWORD
        ]
        own = [
            p.replace(kind=p.KEYWORD_ONLY)
            for name, p in inspect.signature(declaration).parameters.items()
            if name not in supplied
        ]
        self.__signature__ = inspect.Signature([*shared, *own])
        hints = {
            **typing.get_type_hints(build, include_extras=True),
            **typing.get_type_hints(declaration, include_extras=True),
        }
        self.__annotations__ = {p.name: hints[p.name] for p in (*shared, *own) if p.name in hints}
        docs = {
            **google_args(inspect.getdoc(build) or ""),
            **google_args(inspect.getdoc(declaration) or ""),
        }
        self.__option_docs__ = {name: docs[name] for name in self.__signature__.parameters if name in docs}
        self.__name__ = declaration.__name__
        self.__doc__ = declaration.__doc__

    def __call__(self, *args: Any, **options: Any) -> Any:
        return self.build(self.declaration, *args, **options)

    def __repr__(self) -> str:
        return f"<{self.__name__} with the shared options of {self.build.__name__}>"
