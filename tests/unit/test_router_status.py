"""`fourfold router status`'s arithmetic: each body's backlog and the worker holding it."""

from __future__ import annotations

from fourfold.router_status import BodyBacklog, backlogs, holders, worker_name
from schemas.topics import Topics

TOPICS = Topics("bus")
LETTERS, OFFICE, SCHOOL = (TOPICS.ingest(body) for body in ("city-letters", "city-office-1", "school"))


def _member(client_id: str, *topics: str) -> dict[str, object]:
    assigned = [{"topic": topic, "partitions": [0]} for topic in topics]
    return {
        "client_id": client_id,
        "client_host": "/10.0.0.7",
        "member_id": "faust-0.15.3-2b370af3-d960-4981-94c1-6d14cb548ca5",
        "member_assignment": {"assigned_partitions": assigned, "user_data": b""},
    }


def test_each_body_waits_for_what_its_partition_holds_past_the_committed_offset() -> None:
    held = holders([_member("fourfold-router.a.1", LETTERS), _member("fourfold-router.b.2", OFFICE)])
    extents = {(LETTERS, 0): (0, 120), (OFFICE, 0): (40, 90), (SCHOOL, 0): (0, 3)}
    committed = {(LETTERS, 0): 100, (OFFICE, 0): 10}  # 10: below the first offset kept, aged out

    rows = backlogs(TOPICS, extents, committed, held)

    assert rows == [
        BodyBacklog("city-office-1", "fourfold-router.b.2", 50, 50),
        BodyBacklog("city-letters", "fourfold-router.a.1", 120, 20),
        BodyBacklog("school", "", 3, 3),  # never committed, held by no worker: all of it waits
    ]


def test_a_worker_is_named_by_its_client_id_or_else_by_its_address_and_member_id() -> None:
    assert worker_name(_member("fourfold-router.host-1.4242")) == "fourfold-router.host-1.4242"
    assert worker_name(_member("faust-0.15.3")) == "faust-0.15.3@10.0.0.7 6d14cb548ca5"


def test_a_member_without_an_assignment_holds_nothing() -> None:
    assert holders([{"client_id": "fourfold-router.a.1", "member_assignment": None}]) == {}
