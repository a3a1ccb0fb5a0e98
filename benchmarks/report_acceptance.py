"""Issue 12 §4/§5 acceptance: an experiment's report.html in headless chromium, and ensembles of its seeds.

    python benchmarks/report_acceptance.py --out runs/report-acceptance [--workers 2]

Runs benchmarks/report_experiment.yaml (3 variants x 5 seeds; skipped cells already done), writes the
report, opens it in chromium (selenium+chromedriver, else the chromium binary; the same checker as
tests/report/test_report_browser.py), then ensembles each variant's five seeds (soft and hard vote).
Prints markdown for benchmarks/RESULTS.md; the screenshot is left beside the report to look at.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the browser checker the test uses

from report.browser import chromium_binary, open_page, plot_pixels, selenium_ready  # noqa: E402
from trainlab.experiment.results import load_results  # noqa: E402
from trainlab.report import write_report  # noqa: E402
from trainlab.report.ensemble import evaluate_ensemble  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/report-acceptance"))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    spec = ROOT / "benchmarks" / "report_experiment.yaml"
    subprocess.run(
        ["trainlab", "experiment", "run", str(spec), "--out", str(args.out), "--workers", str(args.workers)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    started = time.perf_counter()
    page = write_report(args.out)
    seconds = time.perf_counter() - started
    html = page.read_text()
    print("### Report in the browser\n")
    print(
        f"- `trainlab report {args.out}`: {page.stat().st_size / 1e3:.0f} kB, {html.count('<img ')} inlined figures, "
        f"{seconds:.1f} s to write (shared machine); `<script` in page: {'<script' in html}, `http` links: {'http' in html}"
    )
    if chromium_binary() is None:
        print("- chromium: not installed, browser check skipped")
    else:
        check = open_page(page, page.with_suffix(".png"))
        method = "selenium + chromedriver" if selenium_ready() else "chromium --headless --screenshot"
        print(
            f"- headless chromium ({method}): console errors {len(check.console_errors)}, "
            f"images not decoded {check.broken_images}, figure pixels on the screenshot {plot_pixels(check.screenshot)}; "
            f"screenshot `{check.screenshot}`"
        )
    results = load_results(args.out)
    print("\n### Ensembles of each variant's five seeds (digits test split, 359 samples)\n")
    print(
        "| variant | vote | mean member acc | best member acc | ensemble acc | mean member NLL | ensemble NLL |"
    )
    print("|---|---|---|---|---|---|---|")
    for variant in results.spec.variant_overrides():
        runs = [
            record.run_dir
            for record in results.runs
            if record.variant == variant and record.status == "finished"
        ]
        for vote in ("soft", "hard"):
            report = evaluate_ensemble(runs, vote=vote)
            mean, (_, best) = report.mean_member, report.best_member
            nll = f"{report.ensemble['nll']:.4f}" if "nll" in report.ensemble else "n/a"
            print(
                f"| {variant} | {vote} | {mean['accuracy']:.4f} | {best['accuracy']:.4f} | "
                f"{report.ensemble['accuracy']:.4f} | {mean['nll']:.4f} | {nll} |"
            )


if __name__ == "__main__":
    main()
