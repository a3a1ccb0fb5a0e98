"""The catalog (names, aliases, options, defaults, descriptions) matches its saved copy.

Recipes depend on every name and option; a refactor must not change them by accident.
An intended change is recorded with ``python tools/catalog_snapshot.py --write``.
"""

import importlib.util
import json
from pathlib import Path

_TOOL = Path(__file__).resolve().parent.parent / "tools" / "catalog_snapshot.py"


def _snapshot_tool():
    spec = importlib.util.spec_from_file_location("catalog_snapshot", _TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_catalog_matches_the_saved_copy():
    tool = _snapshot_tool()
    saved = {(e["kind"], e["name"]): e for e in json.loads(tool.SNAPSHOT.read_text())}
    current = {(e["kind"], e["name"]): e for e in tool.current()}
    assert sorted(current) == sorted(saved), "entries added or removed; see tools/catalog_snapshot.py"
    changed = [key for key in saved if saved[key] != current[key]]
    assert not changed, (
        f"entries changed: {changed[:10]}; first: {saved[changed[0]]} != {current[changed[0]]}"
    )
