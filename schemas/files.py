"""Directories (0700) and files (0600) that only their owner may read: keys, outboxes, databases."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["private_dir", "private_file"]


def private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents, each 0700 whatever the umask; directories that
    already exist keep their mode (a home may sit in a directory shared on purpose)."""
    missing = []
    ancestor = path
    while not ancestor.exists() and ancestor != ancestor.parent:
        missing.append(ancestor)
        ancestor = ancestor.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=0o700)
        except FileExistsError:
            continue  # another process made it meanwhile, and set its mode
        directory.chmod(0o700)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty and 0600, in a private directory, unless it exists; an existing
    file keeps its content and mode."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return path
