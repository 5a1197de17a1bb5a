"""Browser tests: the app served on a local port, driven by Playwright in Debian's Chromium.

Screenshots go to ``test-output/screenshots/`` so a person can look at them.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Self

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]

if not Path(CHROMIUM).exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"CI=true but {CHROMIUM} is missing: install Debian's chromium")
    pytestmark = pytest.mark.skip(reason=f"{CHROMIUM} not installed")


@pytest.fixture(params=["sqlite"])
def backend(request) -> str:
    """Browser tests run against SQLite only (the server lives in this process)."""
    return request.param


class LiveServer:
    """The application served by a real HTTP server in a background thread."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app):
    """``app`` served at ``live_server.url``."""
    app.config["PUBLIC_BASE_URL"] = "http://127.0.0.1"
    with LiveServer(app) as server:
        app.config["PUBLIC_BASE_URL"] = server.url
        yield server


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def screenshot():
    """Save a page's screenshot under ``test-output/screenshots/NAME.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
