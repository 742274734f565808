"""What sealing the informant costs, in one run: the same work with field-level encryption on and off.

- SDK: one body's direct publishing of problem clues with an informant (events/s), sealed for the
  two readers of the jurisdiction and the source, or left in clear;
- replay: the read models rebuilt into SQLite from those clues on the log and in the inboxes
  (records/s): the projector never decrypts, so only the larger records cost;
- the crypto alone: sealing one informant for three keys, and opening it (µs).

Prints both figures and the ratio on/off.
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kafka import KafkaProducer  # noqa: E402

from bench.bench_replay import ours  # noqa: E402
from fourfold.acl import OPERATOR  # noqa: E402
from fourfold.bootstrap import Container  # noqa: E402
from fourfold.operations import provision  # noqa: E402
from fourfold.settings import Settings  # noqa: E402
from producers import Publisher  # noqa: E402
from producers.directory import FORMAT, Directory  # noqa: E402
from projections.testing import as_router_writes  # noqa: E402
from schemas import SigningKey, sign_event  # noqa: E402
from schemas.confidential import EncryptionKey, Keyring, open_value, seal_protected, seal_value  # noqa: E402
from schemas.events.clues import Informant  # noqa: E402
from streams.testing import clue  # noqa: E402

EVENTS = 2_000
REPLAYED = 3_000
BODY = "city-letters"
READERS = ("city-letters", "city-case-mgmt")
KEYS = {b: EncryptionKey.generate(b, f"{b}:enc:1") for b in READERS}
DIRECTORY = Directory.from_json(
    {
        "format": FORMAT,
        "keys": {b: [{"key_id": k.key_id, "public_key": k.recipient.text}] for b, k in KEYS.items()},
        "readers": {"city-commission": list(READERS)},
        "commissions": {b: "city-commission" for b in READERS},
        "unit_levels": {"city-bank": "municipal"},
        "holders": {"city-bank": {"municipal": "city-commission", "unit": "city-commission"}},
        "cadre_levels": {"cadre-zhao": "municipal"},
    }
)
INFORMANT = Informant(name="A. Citizen", contact="+86 23 0000 0000")


def sdk_rate(container: Container, *, sealed: bool) -> float:
    key = SigningKey.generate(f"{BODY}:1")
    with Publisher(
        BODY,
        key,
        container.settings.bootstrap_servers,
        topics=container.topics,
        producer_config=container.access(BODY).security(),
        directory=DIRECTORY if sealed else None,
    ) as publisher:
        began = time.perf_counter()
        for i in range(EVENTS):
            publisher.receive_clue(
                clue_id=f"c-{i}",
                unit_id="city-bank",
                cadre_id="cadre-zhao",
                summary="Kickbacks.",
                informant=INFORMANT,
            )
        publisher.flush(timeout=60)
        return EVENTS / (time.perf_counter() - began)


def replay_rate(container: Container, tmp: Path, *, sealed: bool) -> float:
    """Clues on the log and in two inboxes, as the router writes them, then a full replay."""
    key = SigningKey.generate(f"{BODY}:1")
    producer = KafkaProducer(**container.access(OPERATOR).kafka_python(), acks="all", linger_ms=20)
    start = datetime.now(UTC) - timedelta(days=1)
    for i in range(REPLAYED):
        event = clue("cadre-zhao", "city-bank", BODY, clue_id=f"c-{i}", informant=INFORMANT, at=start)
        if sealed:
            event = seal_protected(event, DIRECTORY.recipients(event))
        recipients: dict[str, tuple[str, ...]] = {BODY: ("source",), "city-case-mgmt": ("clue_register",)}
        for topic, k, value, headers in as_router_writes(
            container.topics, sign_event(event, key), recipients
        ):
            producer.send(topic, key=k, value=value, headers=headers)
    producer.flush()
    producer.close()
    rate, _ = ours(container, f"sqlite:///{tmp / f'{uuid.uuid4().hex}.db'}")
    return rate


def crypto_micros() -> tuple[float, float]:
    recipients = [k.recipient for k in KEYS.values()] + [EncryptionKey.generate(BODY, "x:1").recipient]
    ring = Keyring()
    ring.add(KEYS["city-case-mgmt"])
    event_id, n = uuid.uuid4(), 2_000
    value = INFORMANT.model_dump(mode="json")
    began = time.perf_counter()
    for _ in range(n):
        sealed = seal_value(value, recipients, event_id=event_id, path="payload.informant")
    seal_us = (time.perf_counter() - began) / n * 1e6
    began = time.perf_counter()
    for _ in range(n):
        open_value(sealed, "city-case-mgmt", ring, event_id=event_id, path="payload.informant")
    return seal_us, (time.perf_counter() - began) / n * 1e6


def main() -> None:
    base = Settings()
    if not base.home.is_absolute():
        base = base.model_copy(update={"home": ROOT / base.home})
    runs = {}
    for sealed in (True, False):
        prefix = f"benchconf{uuid.uuid4().hex[:6]}"
        container = Container(base.model_copy(update={"topic_prefix": prefix, "log_level": "WARNING"}))
        container.ensure_broker()
        provision(container, [*READERS])
        runs[sealed] = container
    sdk: dict[bool, float] = {True: 0.0, False: 0.0}
    replay: dict[bool, float] = {True: 0.0, False: 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(2):  # alternating, the better of two kept: the machine is shared
            for sealed in (False, True):
                sdk[sealed] = max(sdk[sealed], sdk_rate(runs[sealed], sealed=sealed))
                replay[sealed] = max(replay[sealed], replay_rate(runs[sealed], Path(tmp), sealed=sealed))
    rows = [
        ("SDK direct publish, clues/s", sdk[True], sdk[False]),
        ("replay into SQLite, records/s", replay[True], replay[False]),
    ]
    print(f"{'':<32} {'sealed':>10} {'clear':>10} {'ratio':>7}")
    for name, on, off in rows:
        print(f"{name:<32} {on:>10,.0f} {off:>10,.0f} {on / off:>7.2f}")
    seal_us, open_us = crypto_micros()
    print(f"seal one informant for 3 keys: {seal_us:,.0f} µs; open it with one key: {open_us:,.0f} µs")


if __name__ == "__main__":
    main()
