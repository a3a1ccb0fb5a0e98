"""The pathology zoo: every recipe is valid and names a detector (fast); the doctor flags each one and
the suggested fixes remove the findings (slow: trains all of them)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from trainlab.recipe import load_recipe
from trainlab.registry import DETECTORS

ROOT = Path(__file__).resolve().parents[2]
ZOO = sorted((ROOT / "recipes" / "pathologies").glob("*.yaml"))


def test_the_zoo_has_ten_pathologies_naming_detectors_and_five_healthy_recipes():
    pathologies = [r.stem for r in ZOO if not r.stem.startswith("healthy_")]
    assert len(pathologies) >= 10 and len(ZOO) - len(pathologies) >= 5
    assert set(pathologies) <= set(DETECTORS.names())


@pytest.mark.parametrize("recipe", ZOO, ids=lambda path: path.stem)
def test_every_zoo_recipe_is_valid_and_instrumented(recipe):
    loaded = load_recipe(recipe)
    assert loaded.diagnose is not None and loaded.diagnose.enabled


@pytest.mark.slow
def test_the_doctor_flags_every_pathology_clears_the_healthy_runs_and_the_fixes_work():
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "pathology_zoo.py"), "--fixes", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    results = json.loads(out.stdout)
    assert [r["recipe"] for r in results if not r["passed"]] == []
    fixed = [r for r in results if r["fix_passed"] is not None]
    assert len([r for r in fixed if r["fix_passed"]]) >= 5
    assert [r["recipe"] for r in fixed if not r["fix_passed"]] == []
