"""Screenshots of whole pages, for the README and for whoever reads a failed run."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def shoot(driver: Any, artifacts: Path, name: str) -> Path:
    """Save a screenshot of the whole page (the window grown to the page's height)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1360, min(max(int(height) + 40, 700), 4000))
    path = artifacts / f"{name}.png"
    driver.save_screenshot(str(path))
    return path
