"""Verifying the log against its hash chains and checkpoints (schemas/chain.py), as `fourfold verify`
and `fourfold replay` do, and exporting the checkpoints for an auditor to keep outside Kafka."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from fourfold.bootstrap import Container
from fourfold.operations import Progress, read_partitions
from schemas.access import KafkaAccess
from schemas.chain import Checkpoint, Verification, verify_log
from schemas.signing import VerifyKey


def checkpoints_on(access: KafkaAccess, topic: str) -> list[Checkpoint]:
    records = read_partitions(access, topic)
    return [_checkpoint(r.value) for r in records if r.value]


def _checkpoint(raw: bytes) -> Checkpoint:
    try:
        return Checkpoint.model_validate_json(raw)
    except ValidationError:
        return Checkpoint(chain="?", link=0, digest="", key_id="?", signature="")  # fails its signature


def verify(
    container: Container,
    access: KafkaAccess,
    *,
    against: Path | None = None,
    progress: Progress | None = None,
) -> Verification:
    """The log checked against its chains, the checkpoint topic and, if given, exported checkpoints."""
    topics = container.topics
    bus_key = container.trust.load_bus_key().verify_key
    records = read_partitions(access, topics.log, progress)
    checkpoints = checkpoints_on(access, topics.checkpoints)
    if against is not None:
        exported_key, exported = read_export(against)
        if exported_key.text != bus_key.text:
            raise ValueError(f"{against} was exported under another bus key ({exported_key.key_id})")
        checkpoints += exported
    return verify_log(topics.log, records, checkpoints, bus_key=bus_key, seal=container.trust.load_seal())


def export(container: Container, access: KafkaAccess, path: Path) -> int:
    """Write every checkpoint on the topic, with the bus's public key, to ``path``; how many."""
    bus_key = container.trust.load_bus_key().verify_key
    checkpoints = checkpoints_on(access, container.topics.checkpoints)
    document: dict[str, Any] = {
        "bus_key": {"key_id": bus_key.key_id, "public_key": bus_key.text},
        "checkpoints": [c.model_dump() for c in checkpoints],
    }
    path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    return len(checkpoints)


def read_export(path: Path) -> tuple[VerifyKey, list[Checkpoint]]:
    document = json.loads(path.read_text())
    key = document["bus_key"]
    return (
        VerifyKey.from_text(key["key_id"], key["public_key"]),
        [Checkpoint.model_validate(c) for c in document["checkpoints"]],
    )
