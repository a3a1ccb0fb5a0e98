"""Open an HTML page in headless chromium: its console errors, whether every image decoded, and a screenshot.

Selenium with chromedriver when both are installed (console read from the browser log); otherwise the
chromium binary itself (``--headless --screenshot``, console lines read from its ``--enable-logging`` output).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
WINDOW = (1200, 3200)
# chromium --enable-logging prints the page's console as `...INFO:CONSOLE:1] "message", source: ...` (older
# builds: `CONSOLE(1)]`), at INFO whatever the level; the report runs no script, so any console line is a fault.
CONSOLE_LINE = re.compile(r":CONSOLE(?:\(\d+\)|:\d+)\] \"(.*)\", source")


@dataclass
class PageCheck:
    console_errors: list[str]
    broken_images: int | None  # None where the method cannot tell (the plain-binary fallback)
    screenshot: Path


def chromium_binary() -> str | None:
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def selenium_ready() -> bool:
    return importlib.util.find_spec("selenium") is not None and shutil.which("chromedriver") is not None


def _flags() -> list[str]:
    return [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
    ]


def open_with_selenium(page: Path, screenshot: Path) -> PageCheck:
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = chromium_binary() or ""
    for flag in _flags():
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(shutil.which("chromedriver")))
    try:
        driver.get(page.resolve().as_uri())
        broken = driver.execute_script(
            "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).length"
        )
        errors = [
            entry["message"] for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")
        ]
        driver.save_screenshot(str(screenshot))
    finally:
        driver.quit()
    return PageCheck(errors, int(broken), screenshot)


def open_with_binary(page: Path, screenshot: Path) -> PageCheck:
    binary = chromium_binary()
    assert binary is not None
    done = subprocess.run(
        [
            binary,
            *_flags(),
            "--enable-logging=stderr",
            "--v=1",
            f"--screenshot={screenshot}",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    log = done.stdout + done.stderr
    errors = [line for line in log.splitlines() if CONSOLE_LINE.search(line)]
    errors += [line for line in log.splitlines() if "net::ERR_" in line and page.name in line]
    return PageCheck(errors, None, screenshot)


def open_page(page: Path, screenshot: Path) -> PageCheck:
    return open_with_selenium(page, screenshot) if selenium_ready() else open_with_binary(page, screenshot)


def plot_pixels(screenshot: Path) -> int:
    """Pixels of matplotlib's first colour (#1f77b4) or the confusion matrices' dark blue: drawn figures."""
    import numpy as np
    from matplotlib.image import imread

    pixels = (imread(screenshot)[..., :3] * 255).astype(int)
    line_blue = np.abs(pixels - [31, 119, 180]).sum(axis=-1) < 40
    heat_blue = np.abs(pixels - [8, 48, 107]).sum(axis=-1) < 40
    return int(line_blue.sum() + heat_blue.sum())
