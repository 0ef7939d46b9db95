"""Debian's Chromium driven by Playwright for Python, for the browser and accessibility tests.

Browser downloads are impossible here, so Playwright launches the system Chromium
(``apt-get install chromium``). Without it the tests are skipped on a developer's machine, but fail under CI
(``CI`` set), where a skip would hide a missing install step.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("DESIST_CHROMIUM", "/usr/bin/chromium")
#: flags the closed network needs (no background connections) and root needs (no sandbox)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
#: where screenshots are kept for people to look at after a run
ARTIFACTS = Path(os.environ.get("DESIST_TEST_ARTIFACTS", "build/test-artifacts"))


def _require() -> None:
    missing = []
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        import axe_playwright_python  # noqa: F401
        import playwright  # noqa: F401
    except ImportError:
        missing.append("playwright and axe-playwright-python (pip install -e '.[dev]')")
    if missing:
        message = "browser tests need " + "; ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def browser_page(width: int = 1100, height: int = 900) -> Iterator[Any]:
    """A new page in a fresh headless Chromium."""
    _require()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious or critical accessibility violations on the page, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    out = []
    for v in results.response["violations"]:
        if v.get("impact") in ("serious", "critical"):
            targets = [", ".join(n["target"]) for n in v["nodes"][:3]]
            out.append(f"{v['id']} ({v['impact']}): {v['help']} at {targets}")
    return out


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as a test artifact and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
