"""The pathology zoo: train every recipe in recipes/pathologies/, diagnose it, and check the doctor's verdict.

Each ``<finding id>.yaml`` induces that pathology and must be flagged with that id (at warn or error);
each ``healthy_*.yaml`` must get no warn or error. With ``--fixes``, the suggested ``--set`` edits of the
expected finding are applied to the recipe and the run is diagnosed again: the finding must be gone.

    python benchmarks/pathology_zoo.py --fixes            # the table in benchmarks/RESULTS.md
    python benchmarks/pathology_zoo.py --only lr_too_high --fixes --markdown
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ZOO = Path(__file__).resolve().parent.parent / "recipes" / "pathologies"


@dataclass
class ZooResult:
    recipe: str
    expected: str | None  # None: a healthy recipe
    found: list[str]  # ids at warn or error
    info: list[str]
    seconds: float
    fix: list[str] = field(default_factory=list)
    found_after_fix: list[str] | None = None

    @property
    def passed(self) -> bool:
        return self.found == [] if self.expected is None else self.expected in self.found

    @property
    def fix_passed(self) -> bool | None:
        if self.found_after_fix is None:
            return None
        return self.expected not in self.found_after_fix


def diagnose_recipe(
    recipe: Path, out: Path, overrides: list[str] = (), expected: str | None = None
) -> tuple[list[str], list[str], list[str], float]:
    """Train ``recipe`` into ``out`` (a failed run is diagnosed too) and return the doctor's verdict:
    warn/error ids, info ids, the expected finding's fix, and the training time."""
    import trainlab
    from trainlab.diagnose import doctor
    from trainlab.errors import TrainlabError

    shutil.rmtree(out, ignore_errors=True)  # a --keep folder from an earlier run
    start = time.perf_counter()
    try:
        trainlab.fit(recipe, overrides=list(overrides), out=str(out), verbose=0)
    except TrainlabError as exc:  # the non-finite recipe stops under train.nan_policy: raise, by design
        if "non-finite" not in str(exc):
            raise
    seconds = time.perf_counter() - start
    diagnosis = doctor(out)
    expected = expected or recipe.stem
    fix = next((list(f.fix) for f in diagnosis.findings if f.id == expected), [])
    info = [f.id for f in diagnosis.findings if f.severity == "info"]
    return diagnosis.ids(at_least="warn"), info, fix, seconds


def run_zoo(names: list[str] | None, fixes: bool, workdir: Path) -> list[ZooResult]:
    results = []
    for recipe in sorted(ZOO.glob("*.yaml")):
        if names and recipe.stem not in names:
            continue
        expected = None if recipe.stem.startswith("healthy_") else recipe.stem
        found, info, fix, seconds = diagnose_recipe(recipe, workdir / recipe.stem)
        result = ZooResult(recipe.name, expected, found, info, seconds, fix)
        if fixes and expected is not None and fix:
            # As the doctor prints it: the run's resolved recipe.yaml with the fix's --set edits.
            resolved = workdir / recipe.stem / "recipe.yaml"
            result.found_after_fix = diagnose_recipe(
                resolved, workdir / f"{recipe.stem}-fixed", fix, expected
            )[0]
        results.append(result)
        print(_line(result), file=sys.stderr, flush=True)
    return results


def _line(result: ZooResult) -> str:
    verdict = "pass" if result.passed else "FAIL"
    fixed = (
        ""
        if result.fix_passed is None
        else f"; fix {' '.join(result.fix)}: {'gone' if result.fix_passed else 'STILL THERE'}"
    )
    return f"{result.recipe}: expected {result.expected or 'healthy'}, found {result.found or 'none'} -> {verdict}{fixed}"


def markdown(results: list[ZooResult]) -> str:
    rows = [
        "| recipe | expected finding | found (warn/error) | info | pass | train s |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        rows.append(
            f"| {r.recipe} | {r.expected or '(healthy: none)'} | {', '.join(r.found) or 'none'} | "
            f"{', '.join(r.info) or ''} | {'yes' if r.passed else 'NO'} | {r.seconds:.1f} |"
        )
    fixed = [r for r in results if r.found_after_fix is not None]
    if fixed:
        rows += [
            "",
            "| recipe | suggested fix applied | found after (warn/error) | finding gone |",
            "|---|---|---|---|",
        ]
        for r in fixed:
            rows.append(
                f"| {r.recipe} | `{' '.join(f'--set {e}' for e in r.fix)}` | "
                f"{', '.join(r.found_after_fix or []) or 'none'} | {'yes' if r.fix_passed else 'NO'} |"
            )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="Recipe names (file stems) to run; default all.")
    parser.add_argument(
        "--fixes", action="store_true", help="Apply each finding's suggested fix and re-diagnose."
    )
    parser.add_argument("--markdown", action="store_true", help="Print the tables as Markdown (RESULTS.md).")
    parser.add_argument("--json", action="store_true", help="Print the results as JSON.")
    parser.add_argument("--keep", type=Path, help="Keep the run directories under this folder.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="zoo-") as tmp:
        workdir = args.keep or Path(tmp)
        results = run_zoo(args.only, args.fixes, workdir)
    if args.json:
        print(
            json.dumps(
                [{**asdict(r), "passed": r.passed, "fix_passed": r.fix_passed} for r in results], indent=2
            )
        )
    else:
        print(markdown(results) if args.markdown else "\n".join(_line(r) for r in results))
    ok = all(r.passed for r in results) and all(r.fix_passed is not False for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
