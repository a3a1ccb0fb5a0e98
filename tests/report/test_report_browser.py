"""The report in a real browser: headless chromium opens it with no console errors and draws its figures."""

import pytest

from report.browser import (
    chromium_binary,
    open_page,
    open_with_binary,
    open_with_selenium,
    plot_pixels,
    selenium_ready,
)
from report.run_dirs import make_experiment
from trainlab.report import write_report

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        chromium_binary() is None, reason="no chromium (apt-get install chromium chromium-driver)"
    ),
]


@pytest.fixture(scope="module")
def experiment_page(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    accuracies = {"base": [0.80, 0.82, 0.79, 0.81, 0.80], "better": [0.83, 0.86, 0.81, 0.85, 0.82]}
    return write_report(make_experiment(root / "exp", accuracies, "base", diverged={"better": [4]}))


def test_report_opens_without_console_errors_and_shows_figures(experiment_page, tmp_path):
    check = open_page(experiment_page, tmp_path / "report.png")
    assert check.console_errors == []
    assert check.broken_images in (0, None)
    assert plot_pixels(check.screenshot) > 2000


@pytest.mark.parametrize("method", ["selenium", "binary"])
def test_the_checker_sees_errors_and_missing_figures(tmp_path, method):
    if method == "selenium" and not selenium_ready():
        pytest.skip("selenium or chromedriver is not installed")
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><body><h1>no figures</h1><img src="data:image/png;base64,AAAA">'
        '<script>console.error("broken page")</script></body></html>'
    )
    opener = open_with_selenium if method == "selenium" else open_with_binary
    check = opener(page, tmp_path / "broken.png")
    assert any("broken page" in error for error in check.console_errors)
    assert check.broken_images in (1, None)
    assert plot_pixels(check.screenshot) < 100


@pytest.mark.skipif(not selenium_ready(), reason="selenium is the first method; this checks the fallback")
def test_the_binary_fallback_agrees(experiment_page, tmp_path):
    check = open_with_binary(experiment_page, tmp_path / "plain.png")
    assert check.console_errors == []
    assert plot_pixels(check.screenshot) > 2000
