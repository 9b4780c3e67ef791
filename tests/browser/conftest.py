"""Debian's Chromium driven by Playwright, at a phone's size (360 × 740).

Playwright cannot download browsers here, so the tests use `chromium` from PATH and skip
without it (they fail in CI, which must provide it: `make browser`).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import need

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="session")
def browser() -> Iterator:
    executable = shutil.which("chromium")
    need(executable is not None, "Debian's chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture()
def phone(browser):
    """A fresh phone-sized browser context (no cookies, empty cache)."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    yield context
    context.close()


@pytest.fixture()
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def axe():
    """axe-core, for `pages.assert_accessible` (its script is read once)."""
    from axe_playwright_python.sync_playwright import Axe

    return Axe()
