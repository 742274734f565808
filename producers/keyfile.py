"""A body's key file: a PKCS#8 PEM private key, preceded by a ``key_id:`` line naming the key."""

from __future__ import annotations

import os
import re
from pathlib import Path

from schemas import SigningKey
from schemas.files import private_dir

_KEY_ID = re.compile(rb"^key_id:[ \t]*(\S+)[ \t]*\r?$", re.MULTILINE)


def key_file_bytes(key: SigningKey) -> bytes:
    """The file's content: the key id line, then the PEM (text before it is allowed by RFC 7468)."""
    return b"key_id: " + key.key_id.encode("ascii") + b"\n" + key.to_pem()


def read_key_file(path: Path, *, default_key_id: str | None = None) -> SigningKey:
    """The signing key in ``path``; a bare PEM without a key id line takes ``default_key_id``."""
    data = path.read_bytes()
    begin = data.find(b"-----BEGIN")
    match = _KEY_ID.search(data, 0, max(begin, 0))
    key_id = match.group(1).decode("ascii") if match else default_key_id
    if key_id is None:
        raise ValueError(f"{path} names no key id (a 'key_id: ...' line before the PEM)")
    return SigningKey.from_pem(key_id, data)


def write_key_file(path: Path, key: SigningKey) -> None:
    """Write ``path`` readable by the owner only, in a private directory, replacing it atomically."""
    private_dir(path.parent)
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)  # also a partial file left by a crash, whatever the umask
        handle.write(key_file_bytes(key))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)
