"""Replay rate into SQLite and PostgreSQL: the batched projector against a naive one-ORM-row-per-event loop.

Both read the same records from the same topics of the real broker, from offset 0, and parse each
event and delivery the same way. The replay builds every read model, writing the rows and offsets of
each batch in one transaction; the naive loop inserts one ORM row per record and commits each one.
PostgreSQL is measured when FOURFOLD_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from tempfile import TemporaryDirectory

from kafka import KafkaProducer
from sqlalchemy import BigInteger, DateTime, String, Text, create_engine, make_url, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from fourfold.acl import OPERATOR, PROJECTOR
from fourfold.bootstrap import Container
from fourfold.operations import provision
from fourfold.registrar import DEMO_REGISTRY, body_ids, load_registry_file
from fourfold.settings import Settings
from projections.consuming import LogReader
from projections.db import make_engine
from projections.digest import digest
from projections.replay import replay
from projections.testing import (
    as_router_writes,
    history,
    reference_history,
    sample_recipients,
    sealed_intake,
)
from projections.versions import ReadStore
from schemas import SigningKey, decode_logged, sign_event
from schemas.records import Delivery

STORIES = 200
"""Copies of the sample history (34 events each, about 2.4 records per event with the deliveries)."""
ROUNDS = 2
NAIVE_RECORDS = 2_000
"""The naive loop's sample: enough for a steady rate, few enough to stay within the time budget."""


class Base(DeclarativeBase):
    pass


class NaiveRow(Base):
    """One row per record, as a first projector would write it."""

    __tablename__ = "naive_rows"
    topic: Mapped[str] = mapped_column(String(255), primary_key=True)
    partition: Mapped[int] = mapped_column(primary_key=True)
    offset: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_type: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    value: Mapped[str] = mapped_column(Text)


def publish(container: Container) -> tuple[int, int]:
    """The sample history, many times over, as the router would have written it; (events, records)."""
    key = SigningKey.generate("bench:1")
    events = reference_history(DEMO_REGISTRY) + [e for i in range(STORIES) for e in history(f"s{i}")]
    producer = KafkaProducer(
        **container.access(OPERATOR).kafka_python(),
        acks="all",
        linger_ms=20,
        batch_size=256 * 1024,
    )
    records = 0
    for event in events:
        tag = event.correlation_id.rsplit("-", 1)[-1] if "-s" in event.correlation_id else ""
        for topic, k, value, headers in as_router_writes(
            container.topics, sign_event(event, key), sample_recipients(event, tag)
        ):
            producer.send(topic, key=k, value=value, headers=headers)
            records += 1
    producer.flush()
    producer.close()
    return len(events), records


def ours(container: Container, url: str) -> tuple[float, str]:
    """Records per second of a full replay into ``url``, and the digest it reached."""
    store = ReadStore(url)
    engine = store.engine()
    result = replay(engine, container.access(PROJECTOR), sealed_intake(container.topics), batch_size=5000)
    found = digest(engine)
    store.dispose()
    return result.rate, found


def naive(container: Container, url: str) -> float:
    """Records per second of the naive loop over the first NAIVE_RECORDS records, read as the
    projector reads them."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    reader = LogReader(container.access(PROJECTOR))
    try:
        partitions = reader.projected(container.topics)
        reader.from_start(partitions)
        total = min(NAIVE_RECORDS, sum(reader.end_offsets(partitions).values()))
        done, began = 0, time.perf_counter()
        with Session(engine) as session:
            while done < total:
                for record in reader.poll(1000, 500):
                    session.add(_row(container, record))
                    session.commit()
                    done += 1
        return done / (time.perf_counter() - began)
    finally:
        reader.close()
        engine.dispose()


def _row(container: Container, record: object) -> NaiveRow:
    value: bytes = record.value  # type: ignore[attr-defined]
    row = NaiveRow(
        topic=record.topic,  # type: ignore[attr-defined]
        partition=record.partition,  # type: ignore[attr-defined]
        offset=record.offset,  # type: ignore[attr-defined]
        value=value.decode("utf-8"),
    )
    if row.topic == container.topics.log:
        event = decode_logged(value)
        row.event_type, row.occurred_at = event.event_type, event.occurred_at
    else:
        delivered = Delivery.model_validate_json(value).event
        row.event_type = delivered["event_type"]
    return row


@contextmanager
def fresh_databases(settings: Settings) -> Iterator[list[tuple[str, Callable[[], str]]]]:
    """(backend, a factory of fresh database URLs) for SQLite and, when configured, PostgreSQL."""
    created: list[str] = []
    with TemporaryDirectory() as tmp:
        counter = iter(range(1_000))
        backends: list[tuple[str, Callable[[], str]]] = [
            ("sqlite", lambda: f"sqlite:///{Path(tmp) / f'bench{next(counter)}.db'}")
        ]
        admin_url = settings.test_postgres_url.get_secret_value() if settings.test_postgres_url else None
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT") if admin_url else None
        if admin is not None and admin_url is not None:

            def postgres() -> str:
                name = f"ff_bench_{uuid.uuid4().hex[:10]}"
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                created.append(name)
                return make_url(admin_url).set(database=name).render_as_string(hide_password=False)

            backends.append(("postgresql", postgres))
        try:
            yield backends
        finally:
            if admin is not None:
                with admin.connect() as conn:
                    for name in created:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


def main() -> None:
    base = Settings()
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    container = Container(base.model_copy(update={"topic_prefix": prefix, "log_level": "WARNING"}))
    container.ensure_broker()
    provision(container, body_ids(load_registry_file(DEMO_REGISTRY)))  # and the projector's principal
    began = time.perf_counter()
    events, records = publish(container)
    print(f"{events:,} events, {records:,} records (log + inbox deliveries) on {prefix}.*,")
    took = time.perf_counter() - began
    print(f"published in {took:.1f}s; {base.partitions} partitions per log and inbox topic\n")
    per_event = events / records
    print(f"{'':<11} {'replay':>17} {'naive loop':>17}")
    print(f"{'backend':<11} {'rec/s':>8} {'events/s':>8} {'rec/s':>8} {'events/s':>8} {'ratio':>7}  digest")
    digests = set()
    with fresh_databases(base) as backends:
        if len(backends) == 1:
            print("(PostgreSQL skipped: FOURFOLD_TEST_POSTGRES_URL is not set)")
        for name, fresh in backends:
            rates, baselines = [], []
            for _ in range(ROUNDS):  # alternated, so a burst of load elsewhere hits both alike
                rate, found = ours(container, fresh())
                rates.append(rate)
                baselines.append(naive(container, fresh()))
                digests.add(found)
            rate, baseline = max(rates), max(baselines)
            print(
                f"{name:<11} {rate:>8,.0f} {rate * per_event:>8,.0f} {baseline:>8,.0f}"
                f" {baseline * per_event:>8,.0f} {rate / baseline:>6.1f}×  {found[:16]}"
            )
    same = "the same digest" if len(digests) == 1 else "DIFFERENT digests"
    print(f"\nbest of {ROUNDS} alternated runs each; replay builds every read model, naive inserts")
    print(f"one ORM row per record and commits it. Every replay reached {same}.")
    _drop_topics(container)


def _drop_topics(container: Container) -> None:
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(**container.access(OPERATOR).kafka_python())
    try:
        names = [n for n in admin.list_topics() if n.startswith(f"{container.topics.prefix}.")]
        admin.delete_topics(names)
    finally:
        admin.close()


if __name__ == "__main__":
    main()
