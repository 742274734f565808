"""The log's hash chains and checkpoints (schemas/chain.py): an intact log verifies; each way of
tampering with it is named, at the record where it happened."""

from __future__ import annotations

import dataclasses

import pytest

from schemas import SigningKey
from schemas.chain import Chains, Checkpoint, LogRecord, verify_log
from schemas.seal import Seal

TOPIC = "t.log"
BUS = SigningKey.generate("bus-1")
SEAL = Seal.generate()


def appended(
    n: int = 12, chains: tuple[str, ...] = ("t.ingest.a/0", "t.ingest.b/1")
) -> tuple[list[LogRecord], list[Checkpoint]]:
    """``n`` records the way the router appends them: chains interleaved over two log partitions,
    each sealed, and a checkpoint of every chain at the end."""
    heads = Chains()
    offsets = {0: 0, 1: 0}
    records = []
    for i in range(n):
        chain = chains[i % len(chains)]
        key, value = f"matter-{i % 3}".encode(), f'{{"n": {i}}}'.encode()
        partition = i % 3 % 2
        headers = SEAL.headers(TOPIC, key, value) + heads.extend(chain, key, value)
        records.append(LogRecord(partition, offsets[partition], key, value, headers))
        offsets[partition] += 1
    return records, [Checkpoint.sign(chain, heads.head(chain), BUS) for chain in chains]


def check(records: list[LogRecord], checkpoints: list[Checkpoint], *, seal: Seal | None = SEAL) -> list[str]:
    result = verify_log(
        TOPIC,
        sorted(records, key=lambda r: (r.partition, r.offset)),
        checkpoints,
        bus_key=BUS.verify_key,
        seal=seal,
    )
    return [b.kind for b in result.breaks]


def renumbered(records: list[LogRecord]) -> list[LogRecord]:
    """The records re-produced after a DeleteRecords: same order, new offsets per partition."""
    offsets: dict[int, int] = {}
    out = []
    for r in records:
        out.append(dataclasses.replace(r, offset=100 + offsets.setdefault(r.partition, 0)))
        offsets[r.partition] += 1
    return out


def test_an_intact_log_verifies_with_its_checkpoints():
    records, checkpoints = appended()
    result = verify_log(TOPIC, records, checkpoints, bus_key=BUS.verify_key, seal=SEAL)
    assert result.intact and result.first is None
    assert (result.records, result.chains, result.checkpoints) == (12, 2, 2)


def test_a_deleted_record_is_named_where_it_was():
    records, checkpoints = appended()
    gone = records[4]
    rest = [r for r in records if r is not gone]
    result = verify_log(TOPIC, rest, checkpoints, bus_key=BUS.verify_key, seal=SEAL)
    assert [b.kind for b in result.breaks] == ["deleted"]
    assert "link 3 is missing" in result.breaks[0].detail


def test_a_lost_tail_is_found_only_through_the_checkpoint():
    records, checkpoints = appended()
    tail = records[:-2]
    assert check(tail, []) == []
    assert check(tail, checkpoints) == ["deleted", "deleted"]


@pytest.mark.parametrize("seal", [SEAL, None], ids=["with the seal key", "chains alone"])
def test_an_altered_record_is_named(seal):
    records, checkpoints = appended()
    altered = dataclasses.replace(records[5], value=b'{"n": 555}')
    kinds = check([*records[:5], altered, *records[6:]], checkpoints, seal=seal)
    assert kinds[0] == "altered"


def test_a_sealed_record_copied_back_in_is_an_insertion():
    records, checkpoints = appended()
    copy = dataclasses.replace(records[2], offset=99)
    assert check([*records, copy], checkpoints) == ["inserted"]


def test_a_forged_record_without_the_seal_is_an_insertion():
    records, checkpoints = appended()
    forged = LogRecord(0, 99, b"k", b"{}", [])
    assert check([*records, forged], checkpoints) == ["inserted"]
    assert check([*records, forged], checkpoints, seal=None) == ["unchained"]


def test_two_records_put_back_in_the_wrong_order_are_named():
    records, checkpoints = appended()
    same_partition = [r for r in records if r.partition == 0]
    first, second = same_partition[1], same_partition[3]
    swapped = [second if r is first else first if r is second else r for r in records]
    result = verify_log(TOPIC, renumbered(swapped), checkpoints, bus_key=BUS.verify_key, seal=SEAL)
    assert result.first is not None and result.first.kind == "reordered"


def test_a_checkpoint_not_signed_by_the_bus_is_refused():
    records, checkpoints = appended()
    forged = Checkpoint.sign(checkpoints[0].chain, Chains().head("x"), SigningKey.generate("bus-1"))
    assert check(records, [*checkpoints, forged]) == ["altered"]


def test_after_a_rewind_a_worker_links_to_what_the_log_holds():
    """What a worker wrote but never committed is not linked to once its partitions move."""
    heads = Chains()
    committed = heads.extend("c/0", b"k", b"1")
    record = LogRecord(0, 0, b"k", b"1", committed)
    heads.extend("c/0", b"k", b"aborted")
    heads.rewind()
    heads.observe(record.key, record.value, record.headers)
    assert heads.head("c/0").link == 1
    nxt = heads.extend("c/0", b"k", b"2")
    result = verify_log(TOPIC, [record, LogRecord(0, 1, b"k", b"2", nxt)], [], bus_key=BUS.verify_key)
    assert result.intact
