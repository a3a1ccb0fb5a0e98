"""Report tests: a fixture that skips rendering figures where a test checks only the page's numbers."""

import pytest

# A valid 1x1 PNG: what each figure becomes when its pixels do not matter to the test.
TINY_PNG = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.fixture
def unrendered_figures(monkeypatch):
    """Figures are built but not rasterised (rendering is most of a report's time on a loaded machine)."""
    monkeypatch.setattr("trainlab.report.figures.figure_data_uri", lambda figure, fmt="png": TINY_PNG)
