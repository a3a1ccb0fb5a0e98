"""Recipe YAML: a safe loader that reads ``1e-3`` as a float, and reading recipe files with clear errors."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml

from trainlab.errors import TrainlabError


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping that gives the same key twice (plain YAML would silently keep the last)."""


class _RecipeLoader(yaml.SafeLoader):
    """SafeLoader that reads ``1e-3`` as a float (YAML 1.1 wants ``1.0e-3`` and would give a string)
    and refuses a key given twice in one mapping, which plain YAML resolves silently to the last."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                first = seen[key].start_mark.line + 1
                raise DuplicateKeyError(
                    None,
                    None,
                    f"key '{key}' appears twice (line {first} and line {key_node.start_mark.line + 1}); keep one",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_RecipeLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:float"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_RecipeLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def parse_yaml(text: str, source: str = "<string>") -> Any:
    try:
        return yaml.load(text, Loader=_RecipeLoader)
    except yaml.YAMLError as exc:
        raise TrainlabError(f"{source} is not valid YAML: {exc}") from None


def read_recipe_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a recipe file into plain data; missing or malformed files raise TrainlabError."""
    path = Path(path)
    if not path.exists():
        raise TrainlabError(
            f"recipe file '{path}' does not exist; check the path (looked at {path.resolve()})"
        )
    if path.is_dir():
        hint = " (a run directory: pass its recipe.yaml)" if (path / "recipe.yaml").exists() else ""
        raise TrainlabError(f"'{path}' is a directory, not a recipe file{hint}")
    raw = parse_yaml(path.read_text(), source=str(path))
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise TrainlabError(f"{path} must hold a mapping of recipe keys (data, model, optimizer, train, ...)")
    return raw
