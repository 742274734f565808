"""Tamper evidence for the log: hash chains through what the router appends, and signed checkpoints.

The seal (``schemas/seal.py``) shows who wrote a record; it cannot show that a record is *missing*
(``DeleteRecords``, a truncated partition), nor that a sealed record was copied back in or put out
of order. So every record the router appends to the log is a link in a chain:

- one chain per ingest partition the router routes (``<ingest topic>/<partition>``): only one worker
  owns an ingest partition at a time (its transactions fence the previous owner), so each chain has
  one writer, whichever log partitions its records land in;
- a link carries its chain, its number (1, 2, ...) and the digest of the link before it; its own
  digest covers that digest, its number, chain, key and value, so changing, dropping, copying or
  reordering any link breaks the chain at that point;
- after each batch the router writes a checkpoint per chain it extended (chain, link, digest),
  signed with the bus's Ed25519 key, to the checkpoint topic. A checkpoint exported out of Kafka
  (``fourfold verify --export``) lets an auditor show later that nothing before it was removed,
  even at the tail of a chain, where no later link would notice.

``verify_log`` walks a log and its checkpoints and returns every break it finds, first one first.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from schemas.seal import Headers, Seal

if TYPE_CHECKING:
    from schemas.signing import SigningKey, VerifyKey

CHAIN_HEADER = "ff-chain"
LINK_HEADER = "ff-link"
PREV_HEADER = "ff-prev"


def chain_of(topic: str, partition: int) -> str:
    """The chain of records routed from one ingest partition."""
    return f"{topic}/{partition}"


def genesis(chain: str) -> bytes:
    """The digest link 1 of ``chain`` points back to."""
    return hashlib.sha256(b"fourfold-chain\x00" + chain.encode()).digest()


def link_digest(prev: bytes, chain: str, link: int, key: bytes | None, value: bytes | None) -> bytes:
    digest = hashlib.sha256(prev)
    for part in (chain.encode(), str(link).encode(), key, value):
        if part is None:
            digest.update(b"\xff" * 8)
        else:
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
    return digest.digest()


@dataclass(frozen=True)
class Head:
    """The last link of a chain: its number and digest."""

    link: int
    digest: bytes


class Chains:
    """The heads of the chains, as the router extends them.

    ``observe`` takes the log as committed (the router's log feed); ``extend`` advances a chain
    for a record this worker is about to write. After its partitions are (re)assigned, a worker
    calls ``rewind``: what it wrote but never committed (an aborted transaction, a partition taken
    away) must not be linked to, so chains go back to what the log holds.
    """

    def __init__(self, committed: dict[str, Head] | None = None) -> None:
        self._committed: dict[str, Head] = dict(committed or {})
        self._written: dict[str, Head] = {}

    @property
    def committed(self) -> dict[str, Head]:
        """The heads as the log holds them (as far as ``observe`` has read it)."""
        return dict(self._committed)

    def head(self, chain: str) -> Head:
        return self._written.get(chain) or self._committed.get(chain) or Head(0, genesis(chain))

    def observe(self, key: bytes | None, value: bytes | None, headers: Headers | None) -> None:
        link = parse_link(headers)
        if link is None:
            return
        chain, number, prev = link
        known = self._committed.get(chain)
        if known is None or known.link < number:
            self._committed[chain] = Head(number, link_digest(prev, chain, number, key, value))

    def rewind(self) -> None:
        self._written.clear()

    def extend(self, chain: str, key: bytes, value: bytes) -> list[tuple[str, bytes]]:
        """The chain headers of the next link of ``chain``, which is then its head."""
        head = self.head(chain)
        number = head.link + 1
        self._written[chain] = Head(number, link_digest(head.digest, chain, number, key, value))
        return [
            (CHAIN_HEADER, chain.encode()),
            (LINK_HEADER, str(number).encode()),
            (PREV_HEADER, head.digest),
        ]


def parse_link(headers: Headers | None) -> tuple[str, int, bytes] | None:
    """(chain, link number, previous digest) from a record's headers, or None if it has none."""
    found = {k: v for k, v in headers or () if k in (CHAIN_HEADER, LINK_HEADER, PREV_HEADER)}
    chain, number, prev = (found.get(h) for h in (CHAIN_HEADER, LINK_HEADER, PREV_HEADER))
    if chain is None or number is None or prev is None:
        return None
    try:
        return chain.decode(), int(number), prev
    except (UnicodeDecodeError, ValueError):
        return None


# -- checkpoints ---------------------------------------------------------------------------------


class Checkpoint(BaseModel):
    """A chain's head as the router wrote it, signed with the bus's key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    chain: str
    link: int
    digest: str
    """Hex digest of link ``link``."""
    key_id: str
    signature: str = ""

    def signed_bytes(self) -> bytes:
        return f"fourfold-checkpoint\x00{self.chain}\x00{self.link}\x00{self.digest}".encode()

    @classmethod
    def sign(cls, chain: str, head: Head, key: SigningKey) -> Checkpoint:
        unsigned = cls(chain=chain, link=head.link, digest=head.digest.hex(), key_id=key.key_id)
        signature = base64.b64encode(key.sign(unsigned.signed_bytes())).decode()
        return unsigned.model_copy(update={"signature": signature})

    def valid(self, key: VerifyKey) -> bool:
        try:
            signature = base64.b64decode(self.signature, validate=True)
        except ValueError:
            return False
        return key.key_id == self.key_id and key.verify(signature, self.signed_bytes())


# -- verification ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogRecord:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers


@dataclass(frozen=True)
class Break:
    """Where the log differs from what the router appended."""

    kind: str
    """deleted, inserted, reordered, altered or unchained."""
    detail: str
    place: tuple[int, int] | None = None
    """(partition, offset) of the record concerned, when there is one."""

    def __str__(self) -> str:
        where = f"log partition {self.place[0]} offset {self.place[1]}: " if self.place else ""
        return f"{self.kind}: {where}{self.detail}"


@dataclass
class Verification:
    records: int = 0
    chains: int = 0
    checkpoints: int = 0
    breaks: list[Break] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.breaks

    @property
    def first(self) -> Break | None:
        """The first break in log order (breaks without a place, such as a lost tail, come last)."""
        if not self.breaks:
            return None
        return min(self.breaks, key=lambda b: b.place or (1 << 62, 1 << 62))


@dataclass(frozen=True)
class _Link:
    number: int
    prev: bytes
    record: LogRecord


def verify_log(
    topic: str,
    records: Iterable[LogRecord],
    checkpoints: Iterable[Checkpoint],
    *,
    bus_key: VerifyKey,
    seal: Seal | None = None,
) -> Verification:
    """Every break between ``records`` (a log, in offset order per partition) and the chains and
    checkpoints the router wrote. With the seal key, a record the bus did not write is named as
    inserted (no seal) or altered (a wrong seal) where it lies."""
    result = Verification()
    chains: dict[str, list[_Link]] = {}
    for record in records:
        result.records += 1
        place = (record.partition, record.offset)
        if seal is not None:
            refusal = seal.refusal(topic, record.key, record.value, record.headers)
            if refusal is not None:
                kind = "inserted" if refusal == "unsealed" else "altered"
                result.breaks.append(Break(kind, f"the record's seal is {refusal}", place))
                continue
        link = parse_link(record.headers)
        if link is None:
            result.breaks.append(Break("unchained", "the record carries no chain link", place))
            continue
        chain, number, prev = link
        chains.setdefault(chain, []).append(_Link(number, prev, record))
    result.chains = len(chains)
    digests = {chain: _walk(chain, links, result.breaks) for chain, links in chains.items()}
    checkpointed: dict[str, list[Checkpoint]] = {}
    for checkpoint in checkpoints:
        if not checkpoint.valid(bus_key):
            result.breaks.append(Break("altered", f"checkpoint of {checkpoint.chain} has a bad signature"))
            continue
        result.checkpoints += 1
        checkpointed.setdefault(checkpoint.chain, []).append(checkpoint)
    for chain, marks in sorted(checkpointed.items()):
        _against(chain, sorted(marks, key=lambda c: c.link), digests.get(chain, {}), result.breaks)
    return result


def _walk(chain: str, links: list[_Link], breaks: list[Break]) -> dict[int, bytes]:
    """Check one chain's links; the digest of each link number as the log holds it."""
    _check_order(chain, links, breaks)
    by_number: dict[int, _Link] = {}
    for link in links:
        if link.number in by_number:
            breaks.append(Break("inserted", f"a second copy of {chain} link {link.number}", _place(link)))
        else:
            by_number[link.number] = link
    digests: dict[int, bytes] = {}
    expected_prev = genesis(chain)
    for number in range(1, max(by_number, default=0) + 1):
        present = by_number.get(number)
        if present is None:
            breaks.append(Break("deleted", f"{chain} link {number} is missing", _after(by_number, number)))
            expected_prev = b""
            continue
        if expected_prev and present.prev != expected_prev:
            breaks.append(
                Break(
                    "altered", f"{chain} link {number - 1} is not what link {number} follows", _place(present)
                )
            )
        record = present.record
        digests[number] = link_digest(present.prev, chain, number, record.key, record.value)
        expected_prev = digests[number]
    return digests


def _check_order(chain: str, links: Sequence[_Link], breaks: list[Break]) -> None:
    """Within one log partition a chain's links must come in increasing order (a second copy of a
    link is an insertion, named as such by ``_walk``)."""
    last: dict[int, int] = {}
    seen: set[int] = set()
    for link in links:
        if link.number in seen:
            continue
        seen.add(link.number)
        partition = link.record.partition
        if link.number < last.get(partition, 0):
            breaks.append(
                Break(
                    "reordered",
                    f"{chain} link {link.number} comes after link {last[partition]}",
                    _place(link),
                )
            )
        last[partition] = max(last.get(partition, 0), link.number)


def _against(chain: str, marks: list[Checkpoint], digests: dict[int, bytes], breaks: list[Break]) -> None:
    """The log must hold every checkpointed link of ``chain`` (sorted by link) as it was signed."""
    top = max(digests, default=0)
    if top < marks[-1].link:
        breaks.append(
            Break("deleted", f"{chain} ends at link {top} but was checkpointed at link {marks[-1].link}")
        )
    for mark in marks:
        held = digests.get(mark.link)
        if held is not None and held.hex() != mark.digest:
            breaks.append(Break("altered", f"{chain} link {mark.link} differs from its checkpoint"))
            return


def _place(link: _Link) -> tuple[int, int]:
    return (link.record.partition, link.record.offset)


def _after(by_number: dict[int, _Link], number: int) -> tuple[int, int] | None:
    """Where a missing link was: just before the next link that is present."""
    later = [n for n in by_number if n > number]
    return _place(by_number[min(later)]) if later else None
