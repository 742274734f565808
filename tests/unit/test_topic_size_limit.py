"""Ingest topics carry the bus's event size limit as the broker's own; other topics do not."""

from __future__ import annotations

from schemas import Topics
from schemas.topics import RECORD_FRAMING_BYTES


def test_only_ingest_topics_take_the_event_size_limit_with_room_for_framing() -> None:
    unlimited, topics = Topics("ff"), Topics("ff", 65_536)
    ingest = topics.config_for(topics.ingest("b"))
    assert ingest.pop("max.message.bytes") == str(65_536 + RECORD_FRAMING_BYTES)
    assert ingest == unlimited.config_for(topics.ingest("b")), "retention and the rest as before"
    for name in (topics.log, topics.inbox("b"), topics.quarantine, topics.reference):
        assert topics.config_for(name) == unlimited.config_for(name)
        assert "max.message.bytes" not in topics.config_for(name)
