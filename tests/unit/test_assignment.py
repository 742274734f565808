"""The router group's assignment (streams/assignment.py): the partitions that carry a body's events
spread evenly over the workers, heaviest first, where faust gave partition *i* of every ingest topic
to one worker."""

from __future__ import annotations

import zlib
from collections import Counter
from typing import Any

from aiokafka.coordinator.protocol import ConsumerProtocolMemberMetadata
from faust.assignor.client_assignment import ClientAssignment, ClientMetadata
from faust.types import TP

from streams.assignment import Spread, busy_partitions, spread
from streams.clients import RouterFaustApp
from streams.partitioning import partition_for

PARTITIONS = 3
ALIKE = [
    "city-letters",
    "stationed-education",
    "yuzhong-letters",
    "jiangbei-commission",
    "yuzhong-commission",
]
"""Bodies whose ids all hash to partition 2 of 3."""
OTHER = ["city-office-1", "inspection-team-1"]
"""Bodies whose ids hash to partitions 1 and 0 of 3."""


def _ingest(body: str) -> str:
    return f"bus.ingest.{body}"


def _topic_key(topic: str) -> bytes | None:
    return topic.rsplit(".", 1)[1].encode() if ".ingest." in topic else None


class _Cluster:
    def partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(PARTITIONS))


def _member(topics: list[str], held: dict[str, list[int]] | None = None) -> ConsumerProtocolMemberMetadata:
    """A worker's join request: its subscription, and what it held in the last generation."""
    metadata = ClientMetadata(
        assignment=ClientAssignment(actives=held or {}, standbys={}),
        url="http://worker",
        changelog_distribution={},
    )
    return ConsumerProtocolMemberMetadata(0, topics, metadata.dumps())


def _app(volumes: dict[TP, int] | None = None) -> RouterFaustApp:
    app = RouterFaustApp("router-assignment", broker="kafka://127.0.0.1:1", canonical_url="http://worker")
    app.topic_key = _topic_key
    app.volumes = volumes or {}
    return app


def _assign(members: dict[str, ConsumerProtocolMemberMetadata], volumes: dict[TP, int] | None = None) -> Any:
    return _app(volumes).assignor.assign(_Cluster(), members)


def _held(assignment: Any) -> set[TP]:
    return {TP(topic, p) for topic, partitions in assignment.assignment for p in partitions}


def _busy(body: str) -> TP:
    return TP(_ingest(body), partition_for(body.encode(), PARTITIONS))


def test_the_bodies_chosen_hash_as_the_tests_say() -> None:
    assert {partition_for(body.encode(), PARTITIONS) for body in ALIKE} == {2}
    assert [partition_for(body.encode(), PARTITIONS) for body in OTHER] == [1, 0]


def test_bodies_whose_ids_hash_alike_are_spread_over_the_workers() -> None:
    topics = [_ingest(body) for body in ALIKE + OTHER]
    result = _assign({m: _member(topics) for m in ("w1", "w2", "w3")})
    held = {member: _held(assignment) for member, assignment in result.items()}
    busy = Counter(member for member, tps in held.items() for body in ALIKE + OTHER if _busy(body) in tps)
    assert sorted(busy.values()) == [2, 2, 3]  # faust's own gave one worker all five bodies on partition 2
    every = [tp for tps in held.values() for tp in tps]
    assert sorted(every) == sorted(TP(t, p) for t in topics for p in range(PARTITIONS)), "each once"


def test_what_a_worker_is_told_it_holds_is_what_the_group_gives_it() -> None:
    topics = [_ingest(body) for body in ALIKE]
    result = _assign({m: _member(topics) for m in ("w1", "w2")})
    for assignment in result.values():
        told = ClientMetadata.loads(zlib.decompress(assignment.user_data)).assignment
        assert told.active_tps == _held(assignment)


def test_a_fourth_worker_gets_a_body_where_three_partitions_kept_it_idle() -> None:
    topics = [_ingest(body) for body in ALIKE + OTHER]
    result = _assign({m: _member(topics) for m in ("w1", "w2", "w3", "w4")})
    busy = {body: m for m, a in result.items() for body in ALIKE + OTHER if _busy(body) in _held(a)}
    assert set(busy.values()) == {"w1", "w2", "w3", "w4"}


def test_the_busiest_bodies_go_to_different_workers() -> None:
    topics = [_ingest(body) for body in ALIKE]
    volumes = {
        _busy("city-letters"): 9_000,
        _busy("yuzhong-letters"): 8_000,
        _busy("jiangbei-commission"): 10,
    }
    held = {m: _held(a) for m, a in _assign({m: _member(topics) for m in ("w1", "w2")}, volumes).items()}
    owner = {body: m for m, tps in held.items() for body in ALIKE if _busy(body) in tps}
    assert owner["city-letters"] != owner["yuzhong-letters"]


def test_a_worker_keeps_the_bodies_it_held_where_that_keeps_the_balance() -> None:
    topics = [_ingest(body) for body in ALIKE[:2]]
    held = {"w1": {_ingest("stationed-education"): [2]}, "w2": {_ingest("city-letters"): [2]}}
    result = _assign({m: _member(topics, held[m]) for m in held})
    assert _busy("stationed-education") in _held(result["w1"])
    assert _busy("city-letters") in _held(result["w2"])


def test_a_partition_stays_with_its_worker_where_that_keeps_the_balance() -> None:
    owners = {_busy(body): "w1" for body in ALIKE[:4]}
    before = {_busy("city-letters"): "w2", _busy("stationed-education"): "w2"}
    moved = spread(owners, dict.fromkeys(owners, 0), ["w1", "w2"], before)
    assert Counter(moved.values()) == {"w1": 2, "w2": 2}
    assert moved[_busy("city-letters")] == moved[_busy("stationed-education")] == "w2"


def test_weights_balance_the_load_not_the_count() -> None:
    weights = {TP("a", 0): 100, TP("b", 0): 60, TP("c", 0): 30, TP("d", 0): 20, TP("e", 0): 0}
    moved = spread(dict.fromkeys(weights, "w1"), weights, ["w1", "w2"], {})
    loads = Counter({m: 0 for m in ("w1", "w2")})
    for tp, member in moved.items():
        loads[member] += weights[tp]
    assert sorted(loads.values()) == [100, 110]


def test_a_partition_no_key_names_is_not_busy() -> None:
    partitions = {_ingest("city-letters"): 3, "router-__assignor-__leader": 1}
    assert busy_partitions(partitions, _topic_key) == {TP(_ingest("city-letters"), 2)}


def test_a_deal_made_before_the_volumes_were_known_gains_from_a_new_one() -> None:
    """Both letters offices went to w1 by count; their records say one of them should move."""
    dealt = Spread({_busy("city-letters"): "w1", _busy("yuzhong-letters"): "w1"}, ("w1", "w2"))
    volumes = {_busy("city-letters"): 600, _busy("yuzhong-letters"): 400}
    assert dealt.gain(volumes) == 0.4  # the busiest would route 600 of 1,000 instead of 1,000


def test_an_even_deal_gains_nothing_from_a_new_one() -> None:
    dealt = Spread({_busy("city-letters"): "w1", _busy("yuzhong-letters"): "w2"}, ("w1", "w2"))
    assert dealt.gain({_busy("city-letters"): 600, _busy("yuzhong-letters"): 400}) == 0.0
    assert dealt.gain({}) == 0.0


def test_one_body_busier_than_all_others_together_gains_nothing_from_a_new_deal() -> None:
    """The busiest body alone bounds the busiest worker: moving the others off it changes nothing."""
    dealt = Spread({_busy("city-letters"): "w1", _busy("yuzhong-letters"): "w2"}, ("w1", "w2"))
    assert dealt.gain({_busy("city-letters"): 900, _busy("yuzhong-letters"): 100}) == 0.0


def test_the_member_that_dealt_the_assignment_keeps_the_deal_and_the_others_do_not() -> None:
    topics = [_ingest(body) for body in ALIKE[:2]]
    leader, follower = _app(), _app()
    result = leader.assignor.assign(_Cluster(), {m: _member(topics) for m in ("w1", "w2")})
    leader.assignor.on_assignment(result["w1"])
    follower.assignor.on_assignment(result["w2"])
    dealt = leader.assignor.led
    assert dealt is not None and dealt.members == ("w1", "w2")
    assert set(dealt.owners) == {_busy(body) for body in ALIKE[:2]}
    assert {tp for tp, m in dealt.owners.items() if m == "w1"} == _held(result["w1"]) & set(dealt.owners)
    assert follower.assignor.led is None
    leader.assignor.on_assignment(result["w1"])  # told again without dealing: another member dealt it
    assert leader.assignor.led is None
