"""trainlab's own import graph, read from the source, and the import cycles in it.

Every ``import`` of a trainlab module counts, at module level or inside a function (a deferred
import still runs), except those under ``if TYPE_CHECKING:``. ``from package import name`` is
an edge to ``package.name`` when that is a module, else to ``package``. Importing ``a.b.c`` does
run ``a/__init__`` and ``a/b/__init__`` first, but Python completes such parent imports even
while a child is loading, so (as in import-linter) only the named module is an edge.

    python tools/import_graph.py            # print every cycle; exit 1 if there is one
    python tools/import_graph.py --edges    # print the graph
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "trainlab"


def module_names(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package, by dotted name (``trainlab.data`` for ``data/__init__.py``)."""
    names = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[tuple[str, list[str], int]]:
    """``(module, imported names, level)`` of every import outside ``if TYPE_CHECKING:`` blocks."""
    found: list[tuple[str, list[str], int]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, [], 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", [alias.name for alias in node.names], node.level))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module name -> the trainlab modules it imports."""
    modules = module_names(root)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        edges: set[str] = set()
        for target, names, level in _imports(ast.parse(path.read_text(), str(path))):
            if level:  # relative: resolved against this module's package
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (level - 1)]
                target = ".".join([*base, target] if target else base)
            if target != PACKAGE and not target.startswith(PACKAGE + "."):
                continue
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules]
            if submodules:
                edges.update(submodules)
            if len(submodules) < len(names) or not names:
                edges.add(target)
        edges.discard(name)
        graph[name] = {e for e in edges if e in modules}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))

    def connect(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(found, key=len, reverse=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", action="store_true", help="print every module's imports")
    args = parser.parse_args()
    graph = import_graph()
    if args.edges:
        for name in sorted(graph):
            print(f"{name}: {', '.join(sorted(graph[name]))}")
        return 0
    found = cycles(graph)
    for component in found:
        print(f"cycle of {len(component)} modules: {', '.join(component)}")
    if not found:
        print(f"no import cycles among {len(graph)} modules")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
