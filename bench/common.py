"""What the router benchmarks share: a bus of their own on the shared broker, a signed workload,
`fourfold worker` processes, and waiting that retries what Kafka calls retriable."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any, TypeVar

from aiokafka.errors import KafkaError as AioKafkaError
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError, UnknownTopicOrPartitionError
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fourfold.acl import OPERATOR, router_group  # noqa: E402
from fourfold.bootstrap import Container  # noqa: E402
from fourfold.operations import delete_bus, publish_registry  # noqa: E402
from fourfold.processes import Child  # noqa: E402
from fourfold.registrar import DEMO_REGISTRY  # noqa: E402
from fourfold.settings import Settings  # noqa: E402
from producers.directory import Directory  # noqa: E402
from producers.sequence import Sequencer  # noqa: E402
from schemas import Envelope, Subject, VerifyKey, decode_event, encode_event, new_event, sign_event  # noqa: E402
from schemas import verify_event as verify_signature  # noqa: E402
from schemas.catalogue import REFERENCE_TYPES  # noqa: E402
from schemas.categories import FindingCategory  # noqa: E402
from schemas.confidential import clear_protected, seal_protected  # noqa: E402
from schemas.enums import HowFound, Severity, SubjectKind  # noqa: E402
from schemas.events.clues import Informant, ProblemClueReceived, SupervisionFindingRecorded  # noqa: E402
from streams.metrics import PHASES  # noqa: E402

PARTITIONS = int(os.environ.get("FOURFOLD_BENCH_PARTITIONS", 3))
"""Partitions of every topic of a benchmark's bus (the bus's default is 3)."""
DEADLINE = 100.0
"""Seconds a benchmark waits for one thing (the registry taken in, a backlog routed) before giving up."""
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
BUS = "bus"
T = TypeVar("T")


def workload(
    n: int, start: int = 0, *, at: datetime = AT, every: timedelta = timedelta(seconds=1)
) -> list[Envelope[Any]]:
    """A mix: findings with three to four recipients, and clues that also derive a transfer; event
    ``i`` occurred at ``at + i * every``."""
    out: list[Envelope[Any]] = []
    for i in range(start, start + n):
        occurred = at + i * every
        kind = i % 3
        if kind == 0:
            payload: Any = ProblemClueReceived(
                clue_id=f"clue-{i}",
                unit_id="yuzhong-hospital",
                cadre_id="cadre-sun",
                summary="Irregular procurement approvals.",
                informant=Informant(name="A. Citizen"),
            )
            source, subject = "city-letters", Subject(kind=SubjectKind.CADRE, id="cadre-sun")
        else:
            unit, source = [("yuzhong-hospital", "city-office-1"), ("city-education", "stationed-education")][
                kind - 1
            ]
            payload = SupervisionFindingRecorded(
                finding_id=f"f-{i}",
                unit_id=unit,
                category=FindingCategory.EIGHT_POINT_RULES,
                severity=Severity.LOW,
                how_found=HowFound.DAILY_SUPERVISION,
                summary="Banquets.",
            )
            subject = Subject(kind=SubjectKind.UNIT, id=unit)
        out.append(
            new_event(
                payload, source_body=source, occurred_at=occurred, subject=subject, correlation_id=f"m-{i}"
            )
        )
    return out


# --- a bus of the benchmark's own -------------------------------------------------------------


def base_settings() -> Settings:
    """The environment's settings, the shared broker's state in the repository's .fourfold."""
    base = Settings()
    if not base.home.is_absolute():
        base = base.model_copy(update={"home": ROOT / base.home})
    return base


def bench_settings(base: Settings, **overrides: Any) -> Settings:
    """A bus of its own (topic prefix, temporary home) on the shared broker: its bootstrap is set,
    so no process of this bus ever starts a broker."""
    values: dict[str, Any] = {
        "home": Path(tempfile.mkdtemp(prefix="fourfold-bench-")),
        "kafka_bootstrap": base.bootstrap_servers,
        "topic_prefix": f"bench{uuid.uuid4().hex[:8]}",
        "partitions": PARTITIONS,
        "clock_interval": 0,
        "router_session_timeout": 10,
        "log_level": "WARNING",
        "kafka_credentials_dir": base.credentials_dir,  # the shared broker's passwords and CA
        "kafka_ca_file": base.ca_file,
        "database_url": None,
        "metrics_port": None,  # a benchmark that reads the workers' metrics sets its own
    }
    return base.model_copy(update={**values, **overrides})


def shared_broker() -> Settings:
    """The base settings, once the shared local broker answers (`make bench` starts it first)."""
    base = base_settings()
    if base.uses_local_broker:
        Container(base).ensure_broker()
    return base


@contextmanager
def bench_bus(base: Settings, **overrides: Any) -> Iterator[Container]:
    """A bus of its own with its trust anchors and secrets; its topics go afterwards, and its home
    too unless the benchmark failed (it holds the workers' logs)."""
    container = Container(bench_settings(base, **overrides))
    container.trust.init()
    try:
        yield container
    except BaseException:
        print(f"(the logs are in {container.settings.home / 'logs'})", file=sys.stderr)
        raise
    else:
        shutil.rmtree(container.settings.home, ignore_errors=True)
    finally:
        delete_bus(container)


# --- waiting, with what Kafka calls retriable asked again -------------------------------------


def retriable(exc: BaseException) -> bool:
    """Whether Kafka (kafka-python or aiokafka) says asking again may succeed: a group coordinator
    not elected yet on a fresh broker, a topic's metadata not spread yet after its creation..."""
    return isinstance(exc, KafkaError | AioKafkaError) and bool(getattr(exc, "retriable", False))


def retry(call: Callable[[], T], what: str, timeout: float = 60.0) -> T:
    """``call()``, asked again while it fails with a retriable Kafka error, for up to ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except (KafkaError, AioKafkaError) as exc:
            if not retriable(exc) or time.monotonic() > deadline:
                raise
            print(f"  ({what}: {type(exc).__name__}, retrying)", file=sys.stderr)
            time.sleep(0.5)


def wait(
    condition: Callable[[], object], what: str, children: Sequence[Child], timeout: float = DEADLINE
) -> None:
    """Until ``condition()``; a retriable Kafka error counts as not yet. Gives up after ``timeout``
    seconds or when a child process dies."""
    deadline = time.monotonic() + timeout
    while not _retrying(condition):
        dead = [c for c in children if not c.alive]
        if time.monotonic() > deadline or dead:
            logs = ", ".join(str(c.log_path) for c in children)
            raise SystemExit(f"gave up waiting for {what}; logs: {logs}")
        time.sleep(0.2)


def _retrying(condition: Callable[[], object]) -> bool:
    try:
        return bool(condition())
    except (KafkaError, AioKafkaError) as exc:
        if not retriable(exc):
            raise
        return False


# --- publishing and reading -------------------------------------------------------------------


def signed_backlog(container: Container, events: list[Envelope[Any]]) -> list[tuple[str, bytes, bytes]]:
    """(ingest topic, key, signed bytes) of each event as the SDK sends it: its informant sealed once
    the registry (and so the key directory) is in, numbered in its body's count (kept where the
    bus's publishers keep it), keyed by its body, signed with the body's stored key."""
    keys = {body: container.keys.load(body) for body in {e.source_body for e in events}}
    path = container.settings.key_directory_file
    directory = Directory.load(path) if path.exists() else None
    sequencer = Sequencer(container.settings.outbox_file)
    counts = Counter(e.source_body for e in events)
    numbers = {body: count(sequencer.take(container.topics.ingest(body), n)) for body, n in counts.items()}
    sequencer.close()

    def ready(e: Envelope[Any]) -> Envelope[Any]:
        sealed = seal_protected(e, directory.recipients(e)) if directory and clear_protected(e) else e
        return sign_event(
            sealed.model_copy(update={"sequence": next(numbers[e.source_body])}), keys[e.source_body]
        )

    return [
        (container.topics.ingest(e.source_body), e.source_body.encode(), encode_event(ready(e)))
        for e in events
    ]


def publish_backlog(container: Container, events: list[Envelope[Any]]) -> None:
    send_raw(container, signed_backlog(container, events))


def send_raw(container: Container, records: list[tuple[str, bytes, bytes]]) -> None:
    producer = KafkaProducer(**container.access(OPERATOR).kafka_python(), linger_ms=20, acks="all")
    try:
        for topic, key, value in records:
            producer.send(topic, key=key, value=value)
        producer.flush()
    finally:
        producer.close()


def partitions(consumer: KafkaConsumer, topic: str) -> list[TopicPartition]:
    """The topic's partitions, waiting for its metadata right after it was created."""

    def known() -> list[TopicPartition]:
        found = consumer.partitions_for_topic(topic)
        if not found:
            consumer.topics()  # refreshes the metadata
            raise UnknownTopicOrPartitionError(topic)
        return [TopicPartition(topic, p) for p in sorted(found)]

    return retry(known, f"partitions of {topic}")


def log_span(
    container: Container, since: dict[TopicPartition, int] | None = None
) -> tuple[Counter[str], float]:
    """Event types on the log after the registry (or from the offsets ``since``), and seconds from
    the first such record to the last."""
    consumer = KafkaConsumer(
        **container.access(OPERATOR).kafka_python(), group_id=None, isolation_level="read_committed"
    )
    tps = partitions(consumer, container.topics.log)
    consumer.assign(tps)
    consumer.seek_to_beginning()
    for tp, offset in (since or {}).items():
        consumer.seek(tp, offset)
    end = retry(lambda: consumer.end_offsets(tps), "end offsets of the log")
    types: Counter[str] = Counter()
    stamps: list[int] = []
    while any(consumer.position(tp) < end[tp] for tp in tps):
        for batch in consumer.poll(timeout_ms=500).values():
            for r in batch:
                event = json.loads(r.value)
                if event["event_type"] not in REFERENCE_TYPES:
                    types["derived" if event["source_body"] == BUS else "accepted"] += 1
                    stamps.append(r.timestamp)
    consumer.close()
    stamps.sort()
    return types, (stamps[-1] - stamps[0]) / 1000 if len(stamps) > 1 else 0.0


class RouterProgress:
    """Whether the router group has committed every ingest partition to its end; made once the
    input is published, so that its ingest topics exist. The topics are listed once: a shared
    broker's metadata holds every bus's topics, and decoding all of it every 0.2 s was most of the
    third of a core the benchmark used while the router it measures was routing."""

    def __init__(self, container: Container):
        operator = container.access(OPERATOR)
        self._group = router_group(container.topics)
        self._admin = KafkaAdminClient(**operator.kafka_python())
        self._consumer = KafkaConsumer(**operator.kafka_python(), group_id=None)
        prefix = container.topics.ingest("")
        ingest = [t for t in self._admin.list_topics() if t.startswith(prefix)]
        self._partitions = [tp for topic in ingest for tp in partitions(self._consumer, topic)]

    def done(self) -> bool:
        committed = self._admin.list_group_offsets({self._group: None}).get(self._group, {})
        end = self._consumer.end_offsets(self._partitions)
        return all(tp in committed and committed[tp].offset >= end[tp] for tp in end if end[tp])

    def close(self) -> None:
        self._consumer.close()
        self._admin.close()


def log_ends(container: Container) -> dict[TopicPartition, int]:
    """The log's end offsets: where records written from now on begin."""
    consumer = KafkaConsumer(**container.access(OPERATOR).kafka_python(), group_id=None)
    try:
        tps = partitions(consumer, container.topics.log)
        return dict(retry(lambda: consumer.end_offsets(tps), "end offsets of the log"))
    finally:
        consumer.close()


def group_members(container: Container) -> int:
    """Workers in the router's group once it is stable; 0 while it rebalances."""
    group = router_group(container.topics)
    admin = KafkaAdminClient(**container.access(OPERATOR).kafka_python())
    try:
        description = admin.describe_groups([group])[group]
        return len(description["members"]) if description["group_state"] == "Stable" else 0
    finally:
        admin.close()


def wait_for_router(
    container: Container, what: str, children: Sequence[Child], timeout: float = DEADLINE
) -> None:
    """Until the router group has committed every ingest partition to its end (see ``wait``)."""
    progress = RouterProgress(container)
    try:
        wait(progress.done, what, children, timeout)
    finally:
        progress.close()


# --- the router's processes -------------------------------------------------------------------


def start_workers(container: Container, n: int, name: str = "bench-worker") -> list[Child]:
    """``n`` workers; with a metrics port set, the ``i``-th serves its metrics on that port + ``i``."""
    settings = container.settings
    return [
        Child(f"{name}-{i}", ["worker"], settings.home / "logs", env=_worker_settings(settings, i).to_env())
        for i in range(n)
    ]


def _worker_settings(settings: Settings, i: int) -> Settings:
    port = settings.metrics_port
    return settings if port is None else settings.model_copy(update={"metrics_port": port + i})


def free_port() -> int:
    """A TCP port nothing listens on now, for a worker's metrics."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(children: Sequence[Child]) -> None:
    for child in children:
        child.stop()


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM in /proc/{pid}/status")


def cpu_seconds(pid: int) -> float:
    """CPU time the process has used so far (user + system), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def take_in_registry(container: Container, children: Sequence[Child]) -> None:
    """Publish the demo registry and wait until the router has routed it."""
    retry(lambda: publish_registry(container, DEMO_REGISTRY), "publishing the registry")
    wait_for_router(container, "the router to take in the registry", children)


# --- where a worker's time went: its batch metrics ----------------------------------------------


@dataclass(frozen=True)
class Phases:
    """Totals of a worker's batch metrics (streams/metrics.py): batches, records, and the seconds
    its event loop spent in each phase of them (wall time: committing includes waiting for the broker)."""

    batches: float = 0.0
    records: float = 0.0
    seconds: tuple[float, ...] = (0.0, 0.0, 0.0)

    def __sub__(self, earlier: Phases) -> Phases:
        return Phases(
            self.batches - earlier.batches,
            self.records - earlier.records,
            tuple(a - b for a, b in zip(self.seconds, earlier.seconds, strict=True)),
        )

    def per_record(self) -> str:
        """Microseconds per record in each phase."""
        return self._spread("µs per record", 1e6, self.records)

    def per_batch(self) -> str:
        """Milliseconds per batch in each phase."""
        return self._spread("ms per batch", 1e3, self.batches)

    def _spread(self, unit: str, scale: float, over: float) -> str:
        if not self.batches:
            return "no batches"
        each = ", ".join(f"{p} {scale * s / over:.1f}" for p, s in zip(PHASES, self.seconds, strict=True))
        size = self.records / self.batches
        return f"{self.batches:.0f} batches of {size:.1f} records on average; {unit}: {each}"


def worker_phases(container: Container, i: int = 0) -> Phases:
    """The ``i``-th worker's batch totals so far, read from its metrics (none without a port)."""
    port = _worker_settings(container.settings, i).metrics_port
    if port is None:
        return Phases()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    samples = {
        (sample.name, sample.labels.get("phase", "")): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    return Phases(
        samples.get(("fourfold_router_batch_records_count", ""), 0.0),
        samples.get(("fourfold_router_batch_records_sum", ""), 0.0),
        tuple(samples.get(("fourfold_router_batch_seconds_sum", p), 0.0) for p in PHASES),
    )


@dataclass(frozen=True)
class Routed:
    """What the router's workers did with a backlog."""

    types: Counter[str]
    """What they logged, by kind (accepted or derived)."""
    seconds: float
    """From the first to the last of the backlog's records on the log."""
    work: list[float]
    """CPU seconds each worker spent while the backlog was routed (an idle worker spends about 0.02
    a second polling)."""
    phases: list[Phases]
    """Each worker's batches while the backlog was routed (empty totals without a metrics port)."""


def route_backlog(container: Container, events: list[Envelope[Any]], *, workers: int = 1) -> Routed:
    """``workers`` `fourfold worker` processes route ``events``, published as a backlog once the
    registry is in (bodies publish once registered: a backlog builds up)."""
    container.trust.init()
    children = start_workers(container, workers)
    try:
        take_in_registry(container, children)
        return route_published(container, events, children)
    finally:
        stop(children)


def route_published(container: Container, events: list[Envelope[Any]], children: Sequence[Child]) -> Routed:
    """Publish ``events`` (signed beforehand) as a backlog and wait until ``children`` routed it."""
    records = signed_backlog(container, events)
    since = log_ends(container)
    began = [cpu_seconds(child.process.pid) for child in children]
    phases = [worker_phases(container, i) for i in range(len(children))]
    send_raw(container, records)
    wait_for_router(container, "the router", children, timeout=DEADLINE + len(events) / 20)
    work = [cpu_seconds(child.process.pid) - b for child, b in zip(children, began, strict=True)]
    phases = [worker_phases(container, i) - before for i, before in enumerate(phases)]
    types, seconds = log_span(container, since)
    return Routed(types, seconds, work, phases)


# --- the per-core limit: decoding and verifying -----------------------------------------------


def decode_verify_rate(
    container: Container, records: list[tuple[str, bytes, bytes]], rounds: int = 3
) -> float:
    """Events/s of decoding and verifying ``records`` (signed bytes) on one core: best of ``rounds``."""
    values = [value for _, _, value in records]
    keys = verify_keys(container, {decode_event(value).source_body for value in values})
    best = 0.0
    for _ in range(rounds):
        began = time.perf_counter()
        for value in values:
            decoded_and_verified(value, keys)
        best = max(best, len(values) / (time.perf_counter() - began))
    return best


def verify_keys(container: Container, bodies: Iterable[str]) -> dict[str, VerifyKey]:
    """Each body's registered verify key, from the bus's key store."""
    return {body: container.keys.load(body).verify_key for body in bodies}


def decoded_and_verified(value: bytes, keys: dict[str, VerifyKey]) -> Envelope[Any]:
    """The event in ``value``, its signature checked, as the router's gate begins (the baselines' work)."""
    event = decode_event(value)
    verify_signature(event, keys[event.source_body])
    return event


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) of already sorted values, nearest rank."""
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]
