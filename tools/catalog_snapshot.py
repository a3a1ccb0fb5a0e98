"""Write or check the saved copy of `trainlab catalog --json` (tests/snapshots/catalog.json).

The snapshot pins what recipes depend on: every name, alias, option, default and description.
After an intended change to the catalog, regenerate it and review the diff:

    python tools/catalog_snapshot.py --write
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).resolve().parent.parent / "tests" / "snapshots" / "catalog.json"
# What a recipe or a reader of the catalog relies on; keys added later (option docs, say) are free.
PINNED_KEYS = ("kind", "name", "aliases", "description", "reference", "flags", "options")
PINNED_OPTION_KEYS = ("default", "required")


def pinned(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pinned part of catalog entries, sorted by kind and name."""
    result = []
    for entry in entries:
        kept = {key: entry[key] for key in PINNED_KEYS}
        kept["options"] = {
            name: {key: option[key] for key in PINNED_OPTION_KEYS}
            for name, option in entry["options"].items()
        }
        result.append(kept)
    return sorted(result, key=lambda e: (e["kind"], e["name"]))


def current() -> list[dict[str, Any]]:
    import trainlab

    # Through JSON, as `trainlab catalog --json` prints it (tuples become lists).
    return pinned(json.loads(json.dumps([entry.describe() for entry in trainlab.catalog()])))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--write", action="store_true", help="overwrite the snapshot with the current catalog"
    )
    args = parser.parse_args()
    entries = current()
    if args.write:
        SNAPSHOT.write_text(json.dumps(entries, indent=1, sort_keys=True) + "\n")
        print(f"wrote {len(entries)} entries to {SNAPSHOT}")
        return 0
    saved = json.loads(SNAPSHOT.read_text())
    if saved == entries:
        print(f"catalog matches the snapshot ({len(entries)} entries)")
        return 0
    print("catalog differs from the snapshot; run with --write after reviewing", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
