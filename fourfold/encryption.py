"""Bodies' encryption keys on this machine, and the key directory exported from the registry on the log."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition

from producers.directory import Directory
from schemas import decode_event
from schemas.access import KafkaAccess
from schemas.confidential import EncryptionKey, Keyring, RecipientKey
from schemas.enums import BodyKind, ManagementLevel
from schemas.files import private_dir
from schemas.seal import Seal
from streams import jurisdiction as j
from streams.registry import Registry

_KEY_ID = re.compile(r"^key_id:[ \t]*(\S+)[ \t]*$", re.MULTILINE)
SEES_PROTECTED = (BodyKind.LETTERS_VISITS, BodyKind.CASE_MANAGEMENT)


class EncryptionKeyStore:
    """X25519 private keys under ``<home>/keys/encryption`` (0700, files 0600): ``BODY.pem`` is the
    current key (``BODY:enc:N``); a new key retires the old one to ``retired/BODY.N.pem``, kept so
    that what was sealed for it still opens."""

    def __init__(self, directory: Path):
        self.directory = directory

    def path(self, body_id: str) -> Path:
        return self.directory / f"{body_id}.pem"

    def load(self, body_id: str) -> EncryptionKey:
        return _read(self.path(body_id), body_id)

    def load_or_create(self, body_id: str) -> EncryptionKey:
        """The body's current key, made (``BODY:enc:1``) if it has none."""
        return self.load(body_id) if self.path(body_id).exists() else self.create(body_id)

    def create(self, body_id: str) -> EncryptionKey:
        """A new key for the body: ``BODY:enc:1``, or the next number after its current key."""
        number = 1
        if self.path(body_id).exists():
            current = self.load(body_id)
            number = _number(current.key_id) + 1
            _write(self.directory / "retired" / f"{body_id}.{_number(current.key_id)}.pem", current)
        key = EncryptionKey.generate(body_id, f"{body_id}:enc:{number}")
        _write(self.path(body_id), key)
        return key

    def keyring(self, bodies: set[str] | None = None) -> Keyring:
        """Every key held here, current and retired (of ``bodies`` only, when given)."""
        ring = Keyring()
        paths = [*self.directory.glob("*.pem"), *self.directory.glob("retired/*.pem")]
        for path in sorted(paths):
            body_id = path.name.split(".")[0]
            if bodies is None or body_id in bodies:
                ring.add(_read(path, body_id))
        return ring


def _read(path: Path, body_id: str) -> EncryptionKey:
    data = path.read_bytes()
    match = _KEY_ID.search(data.decode("ascii", errors="replace"))
    if match is None:
        raise ValueError(f"{path} names no key id (a 'key_id: ...' line before the PEM)")
    return EncryptionKey.from_pem(body_id, match.group(1), data[data.find(b"-----BEGIN") :])


def _write(path: Path, key: EncryptionKey) -> None:
    private_dir(path.parent)
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(b"key_id: " + key.key_id.encode("ascii") + b"\n" + key.to_pem())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def _number(key_id: str) -> int:
    match = re.fullmatch(r".*:(\d+)", key_id)
    return int(match.group(1)) if match else 1


def directory_of(registry: Registry) -> Directory:
    """The key directory the registry implies: current keys, readers, jurisdiction over clues."""
    keys: dict[str, list[RecipientKey]] = {}
    for k in registry.encryption_keys():
        keys.setdefault(k.body_id, []).append(RecipientKey.from_text(k.body_id, k.key_id, k.public_key))
    readers = {
        c.body_id: tuple(b for kind in SEES_PROTECTED for b in j.offices_of(registry, c.body_id, kind))
        for c in registry.bodies(BodyKind.COMMISSION)
    }
    commissions = {b.body_id: c for b in registry.bodies() if (c := j.commission_of(registry, b.body_id))}
    units = {u.unit_id: u for u in registry.units()}
    holders = {
        unit_id: {
            str(level): h for level in ManagementLevel if (h := j.holder_at_level(registry, unit_id, level))
        }
        for unit_id in units
    }
    return Directory(
        keys={b: tuple(ks) for b, ks in keys.items()},
        readers=readers,
        commissions=commissions,
        unit_levels={u: str(unit.level) for u, unit in units.items()},
        holders=holders,
        cadre_levels={c.cadre_id: str(c.management_level) for c in registry.cadres()},
    )


def registry_on_the_log(
    access: KafkaAccess, reference_topic: str, seal: Seal, timeout: float = 30.0
) -> Registry:
    """The registry as the router's reference topic holds it, taking only records the router sealed."""
    registry = Registry()
    consumer = KafkaConsumer(
        **access.kafka_python(), group_id=None, enable_auto_commit=False, isolation_level="read_committed"
    )
    try:
        partitions = [
            TopicPartition(reference_topic, p) for p in consumer.partitions_for_topic(reference_topic) or ()
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        ends = consumer.end_offsets(partitions)
        deadline = time.monotonic() + timeout
        records = []
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{reference_topic} not read to its end within {timeout:.0f}s")
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
    finally:
        consumer.close()
    for r in sorted(records, key=lambda r: (r.timestamp, r.partition, r.offset)):
        if r.value and seal.refusal(reference_topic, r.key, r.value, r.headers) is None:
            registry.apply(decode_event(r.value))
    return registry


def write_directory(path: Path, directory: Directory) -> None:
    """The directory as JSON (public data), replacing ``path`` atomically."""
    private_dir(path.parent)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(directory.to_json(), indent=1, sort_keys=True), encoding="utf-8")
    partial.chmod(0o600)
    os.replace(partial, path)
