"""What the real-browser tests share: Debian's Chromium driven by Playwright, or a skip of
the whole module with a one-line reason when either is missing."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


def _chromium() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def require_chromium() -> tuple[str, Any]:
    """Chromium's path and ``playwright.sync_api``; skips the calling module without them."""
    chromium = _chromium()
    if chromium is None:
        pytest.skip(
            "Chromium not installed (apt-get install chromium); CI installs it",
            allow_module_level=True,
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright not installed (pip install -e '.[dev]')"
    )
    return chromium, sync_api


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def launched(chromium: str, sync_api: Any) -> Iterator[Any]:
    """A headless Chromium at ``chromium``, driven by Playwright, closed after."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()
