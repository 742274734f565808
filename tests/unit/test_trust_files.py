"""The bus's trust files: made once by init, never by a worker; the registrar's key rotated with overlap."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fourfold.keys import KeyStore
from fourfold.trust import TrustFiles, TrustMissing


def _files(home: Path) -> TrustFiles:
    return TrustFiles(
        home / "trust-anchors.json", home / "keys" / "bus.seal", KeyStore(home / "keys"), "registrar", "bus"
    )


def test_a_worker_without_init_is_refused_and_init_makes_private_files_once(tmp_path: Path) -> None:
    trust = _files(tmp_path)
    with pytest.raises(TrustMissing, match="fourfold init"):
        trust.check()
    assert len(trust.init()) == 3
    assert trust.init() == [], "a second init keeps what is there"
    trust.check()
    for path in (trust.anchors, trust.seal):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_rotating_the_registrar_trusts_the_new_key_from_now_and_the_old_one_until_the_overlap(
    tmp_path: Path,
) -> None:
    trust = _files(tmp_path)
    trust.init()
    [old] = trust.load_anchors()
    overlap = datetime.now(UTC) + timedelta(days=1)
    new_key = trust.rotate_registrar(overlap_until=overlap)
    first, second = trust.load_anchors()
    assert (first.key.key_id, first.valid_until) == (old.key.key_id, overlap)
    assert second.key.key_id == new_key.key_id and second.valid_until is None
    assert first.valid_at(overlap - timedelta(seconds=1)) and not first.valid_at(overlap)
    assert second.valid_at(datetime.now(UTC))
