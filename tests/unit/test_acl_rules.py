"""The ACLs derived from the registry, as data: what each principal may do, and what nobody may."""

from __future__ import annotations

from fourfold.acl import PROJECTOR, ROUTER, Grant, body_grants, desired, ours
from schemas import Topics

TOPICS = Topics("ff")


def test_a_body_writes_its_own_ingest_topic_and_reads_its_own_inbox_only() -> None:
    grants = body_grants(TOPICS, "city-letters")
    assert {(g.resource, g.name, g.operation, g.prefixed) for g in grants} == {
        ("topic", "ff.ingest.city-letters", "WRITE", False),
        ("topic", "ff.inbox.city-letters", "READ", False),
        ("group", "ff.city-letters", "READ", True),
        ("transactional_id", "ff.city-letters", "WRITE", True),
    }
    assert {g.principal for g in grants} == {"city-letters"}


def test_the_services_get_what_they_need_and_nobody_may_delete_or_alter() -> None:
    grants = desired(TOPICS, ["city-letters", "yuzhong-letters"], "bus")
    router = {(g.name, g.operation) for g in grants if g.principal == ROUTER}
    assert {
        ("ff.ingest.", "READ"),
        ("ff.log", "WRITE"),
        ("ff.inbox.", "WRITE"),
        ("ff.quarantine", "WRITE"),
        ("ff.checkpoints", "WRITE"),
    } <= router
    assert ("ff.ingest.", "WRITE") not in router, "the router writes only the bus clock's ingest topic"
    projector = {(g.name, g.operation) for g in grants if g.principal == PROJECTOR}
    assert projector == {("ff.log", "READ"), ("ff.checkpoints", "READ"), ("ff.inbox.", "READ")}
    assert not {g.operation for g in grants} & {"DELETE", "ALTER", "ALTER_CONFIGS", "ALL"}


def test_only_this_bus_s_resources_are_its_own() -> None:
    assert ours(TOPICS, Grant("x", "topic", "ff.log", "READ"))
    assert ours(TOPICS, Grant(ROUTER, "group", "ff-router", "READ", prefixed=True))
    assert not ours(TOPICS, Grant("x", "topic", "other.log", "READ"))
    assert not ours(TOPICS, Grant("x", "topic", "ffx.log", "READ"))
