"""A real Chromium (Debian's package, driven by its chromedriver through Selenium) against the dashboards
served by uvicorn in this process; screenshots of every page into an artifacts directory."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go: FOURFOLD_SCREENSHOTS if set, else a temporary directory."""
    configured = os.environ.get("FOURFOLD_SCREENSHOTS")
    path = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def chromium(serve: Callable[[Any], Served]) -> Iterator[Callable[..., Any]]:
    """Makes headless Chromium sessions, closed at the end of the test and before the servers stop
    (their live streams end with them); skips when Debian's binaries are absent."""
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip(
            f"{CHROMIUM} or {CHROMEDRIVER} is absent: install Debian's chromium and chromium-driver"
            " (deploy/system-packages.sh does) to run the browser tests"
        )
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium must never try to download a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers: list[Any] = []

    def open_browser(downloads: Path | None = None) -> Any:
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
            options.add_argument(flag)
        options.add_argument("--window-size=1360,1000")
        if downloads is not None:
            options.add_experimental_option(
                "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
            )
        driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
        driver.set_page_load_timeout(60)
        if downloads is not None:
            driver.execute_cdp_cmd(
                "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
            )
        drivers.append(driver)
        return driver

    yield open_browser
    for driver in drivers:
        driver.quit()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """The app served by uvicorn on a free local port, in a thread of this process."""

    def __init__(self, app: Any):
        import uvicorn

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", timeout_graceful_shutdown=1
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise AssertionError("uvicorn did not start within 30 s")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def serve() -> Iterator[Callable[[Any], Served]]:
    started: list[Served] = []

    def start(app: Any) -> Served:
        served = Served(app).__enter__()
        started.append(served)
        return served

    yield start
    for served in started:
        served.__exit__()
