"""A real headless browser for the tests of report.html: Debian's Chromium driven by Playwright for Python (its own
browser download, ``playwright install``, is not used). Where either is missing the fixture skips, saying which and
how to install it; ``AUTOGRADER_CHROMIUM`` names another Chromium or Chrome binary."""
import os
import shutil
import time
from pathlib import Path

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _chromium() -> str:
    path = os.environ.get("AUTOGRADER_CHROMIUM") or next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)
    if not path:
        pytest.skip(f"no Chromium to open report.html in: none of {', '.join(CHROMIUM_NAMES)} is on PATH and "
                    "AUTOGRADER_CHROMIUM is not set; install it with `apt-get install -y chromium` (Debian) or "
                    "`apt-get install -y chromium-browser` (Ubuntu)")
    return path


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright for Python is not installed: pip install -e '.[test]' (or pip install playwright); "
                    "its browser download is not needed, the test uses the system's Chromium")
    executable = _chromium()
    with sync_playwright() as playwright:
        started = time.monotonic()
        browser = playwright.chromium.launch(executable_path=executable)
        browser.launch_seconds = time.monotonic() - started
        yield browser
        browser.close()


def open_page(browser, page_path: Path):
    """The page loaded from file://, and what went wrong while loading it: console errors and warnings, script
    errors, failed requests, requests for anything but the file itself or data: URIs, and dialogs opened."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
    page.on("request", lambda r: problems.append(f"fetched {r.url}")
            if not (r.url == page_path.as_uri() or r.url.startswith("data:")) else None)
    page.on("dialog", lambda d: (problems.append(f"dialog opened: {d.message}"), d.dismiss()))
    page.goto(page_path.as_uri())
    page.wait_for_load_state("load")
    return page, problems


def student_column(page):
    return page.eval_on_selector_all("#students tbody tr", "rows => rows.map(r => r.cells[0].textContent.trim())")
