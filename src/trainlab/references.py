"""References to the user's own code, ``"package.module:attribute"``: resolved only with consent.

A recipe holds names and numbers; a reference is the one thing in it that runs code. Recipes and
run directories are shared artifacts (people send them to each other, and ``evaluate``, ``load``
and fine-tuning read them back), so a reference resolves only when the user has said they trust
the code: ``--trust-code`` on the command line, ``trust_code=True`` in Python, as
``trust_remote_code`` does in the Hugging Face libraries. Built-in names never need consent.

The consent is held in a context variable for the duration of one ``fit``/``evaluate``/``create``
call, and checked here, where every reference is imported, so that no builder can forget it.
"""

from __future__ import annotations

import contextlib
import importlib
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from trainlab.errors import TrainlabError, did_you_mean

_TRUSTED: ContextVar[bool] = ContextVar("trainlab_trust_code", default=False)

TRUST_HINT = "rerun with --trust-code (trust_code=True in Python) if you trust that code"


class CodeReferenceError(TrainlabError):
    """A reference that is not trusted, cannot be imported, or whose code raised."""


@contextlib.contextmanager
def trusting_code(trust: bool = True) -> Iterator[None]:
    """Within the block, references resolve if ``trust`` or if an enclosing block already consented.

    Consent carries inward: a distillation loss loading its teacher run inside a trusted ``fit``
    keeps that consent, while nothing can grant it without the user's flag.
    """
    token = _TRUSTED.set(trust or _TRUSTED.get())
    try:
        yield
    finally:
        _TRUSTED.reset(token)


def code_trusted() -> bool:
    return _TRUSTED.get()


def is_reference(name: object) -> bool:
    """Whether a component name is a reference to code (``module:attribute``) rather than a registered name."""
    return isinstance(name, str) and ":" in name


def untrusted_message(spec: str) -> str:
    return f"'{spec}' names Python code, which trainlab runs only with your consent; {TRUST_HINT}"


def require_trust(spec: str, *, key: str) -> None:
    """Raise unless the user has consented to running code.

    Raises:
        CodeReferenceError: naming the reference and the flag that gives consent.
    """
    if not code_trusted():
        raise CodeReferenceError(f"{key}: {untrusted_message(spec)}")


def split_reference(spec: str, *, key: str) -> tuple[str, str]:
    """Split ``"package.module:factory"`` into module path and attribute path.

    Raises:
        CodeReferenceError: the reference does not have exactly that form.
    """
    module_path, _, attribute = spec.partition(":")
    if not module_path or not attribute or ":" in attribute or " " in spec:
        raise CodeReferenceError(
            f"{key}: '{spec}' is not a code reference; write 'package.module:factory', e.g. "
            f"'my_models:make_net' for a function make_net in my_models.py"
        )
    return module_path, attribute


def import_reference(spec: str, *, key: str) -> Callable[..., Any]:
    """Import the callable that ``spec`` (``"package.module:factory"``) names, if the user trusts code.

    Raises:
        CodeReferenceError: code is not trusted; the module cannot be found or fails to import;
            the attribute is missing; or it is not callable.
    """
    require_trust(spec, key=key)
    module_path, attribute = split_reference(spec, key=key)
    try:
        module = importlib.import_module(module_path)
    except ModuleNotFoundError as exc:
        # Tell "your module is not importable" apart from "your module imports something missing".
        missing = exc.name or ""
        if not missing or module_path == missing or module_path.startswith(missing + "."):
            # A console script's sys.path holds its own directory, not the current one, hence PYTHONPATH.
            raise CodeReferenceError(
                f"{key}: cannot import module '{module_path}' for '{spec}'; put the directory that "
                f"contains it on the Python path (e.g. PYTHONPATH=. when it is in the current directory) "
                f"or pip install its package"
            ) from exc
        raise CodeReferenceError(
            f"{key}: module '{module_path}' for '{spec}' failed to import because it needs the module "
            f"'{missing}', which is not installed; install it or fix the import in '{module_path}'"
        ) from exc
    except Exception as exc:
        raise user_code_error(exc, spec, key=key, doing="importing it") from exc
    target: Any = module
    owner = module_path
    for part in attribute.split("."):
        if not hasattr(target, part):
            names = [n for n in dir(target) if not n.startswith("_")]
            hint = did_you_mean(part, names) or "; check the name after the ':'"
            raise CodeReferenceError(f"{key}: '{owner}' has no attribute '{part}' (from '{spec}'){hint}")
        target = getattr(target, part)
        owner = f"{owner}{'.' if ':' in owner else ':'}{part}"
    if not callable(target):
        raise CodeReferenceError(
            f"{key}: '{spec}' is a {type(target).__name__}, not a function or class; point it at a callable"
        )
    return target


def call_user_code(
    function: Callable[..., Any],
    spec: str,
    *,
    key: str,
    args: tuple[Any, ...] = (),
    kwargs: Mapping[str, Any] | None = None,
) -> Any:
    """Call the user's ``function``; an exception it raises becomes one message naming where it came from.

    The arguments come as ``args`` and ``kwargs`` so that none of the user's option names can clash
    with this function's own.

    Raises:
        CodeReferenceError: the user's code raised (a TrainlabError it raised passes unchanged).
    """
    try:
        return function(*args, **(kwargs or {}))
    except TrainlabError:
        raise
    except Exception as exc:
        raise user_code_error(exc, spec, key=key, doing="calling it") from exc


def user_code_error(exc: BaseException, spec: str, *, key: str, doing: str) -> CodeReferenceError:
    """``key: 'spec' raised ValueError: ... (at my_models.py:12, in build)``: the user's error and where."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno}, in {frames[-1].name})" if frames else ""
    message = str(exc).strip() or "no message"
    return CodeReferenceError(f"{key}: '{spec}' raised {type(exc).__name__} while {doing}: {message}{where}")


def code_references(recipe: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every ``(key, reference)`` in a recipe's data: each ``name`` that names code, nested ones included."""
    found: list[tuple[str, str]] = []

    def walk(node: Any, key: str) -> None:
        if isinstance(node, Mapping):
            for field, value in node.items():
                child = f"{key}.{field}" if key else str(field)
                if field == "name" and key and is_reference(value):  # key "" is the run's own name
                    found.append((child, value))
                else:
                    walk(value, child)
        elif isinstance(node, list):
            for index, item in enumerate(node):
                if is_reference(item):  # a bare component name in a list: metrics: [my_pkg:metric]
                    found.append((f"{key}[{index}]", item))
                else:
                    walk(item, f"{key}[{index}]")

    walk(recipe, "")
    return found
