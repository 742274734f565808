"""The faust application: topics declared once, and a thin agent around the router's decisions."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import faust
from aiokafka.errors import KafkaError
from faust.types import TP

from schemas import SigningKey, Topics, encode_event, sign_event
from schemas.access import KafkaAccess
from schemas.anchors import Anchor
from schemas.chain import Chains, Checkpoint, Head
from schemas.seal import Seal
from streams.admission import Gate
from streams.assignment import BodySpreadingAssignor
from streams.batching import batches
from streams.clients import RouterFaustApp
from streams.clock import CLOCK_MATTER, clock_tick
from streams.derived import Policy
from streams.feed import TopicFeed
from streams.group_transaction import TransactionSettings
from streams.lag import Backlog
from streams.metrics import RouterMetrics
from streams.partitioning import KeyHashedOnce
from streams.registry import Registry
from streams.router import IngestRecord, Outcome, Router, Write
from streams.sink import TransactionalSink, Written
from streams.snapshot import Saved, Snapshots
from streams.spilled import DamagedState
from streams.state import BusState
from streams.subscription import AgentTopics
from streams.topic_maker import TopicMaker

log = logging.getLogger(__name__)


NEW_TOPICS_EVERY = 20.0
"""Seconds between looks for ingest topics created since start."""
NEW_BODIES_EVERY = 1.0
"""Seconds between looks at the registry: a body newly registered has its ingest topic looked for at once."""
MEASURE_EVERY = 5.0
"""Seconds between measures of the ingest topics: their backlog, and the records on each partition."""
RESPREAD_GAIN = 0.1
"""A new deal of the bodies' partitions is asked for when it would take this much of all their
records off the busiest worker (streams/assignment.Spread.gain): less is not worth a rebalance."""
RESPREAD_AT_MOST_EVERY = 60.0
"""Seconds between two new deals this worker asks for, however uneven the last one looks."""
SAVE_PAUSE = 0.01
"""Seconds between the steps of a save (streams/snapshot.SAVE_STEP): a save taking every turn of the
event loop it could delayed each batch by a step for every request the batch waited on, and at
500 events/s held more events back than the one long pause it replaced (docs/benchmarks.md)."""
SHUTDOWN_SAVE_WAIT = 10.0
"""Seconds a stopping worker waits for the group's offsets before it gives up saving its state."""

RAW: dict[str, Any] = {
    "key_type": bytes,
    "value_type": bytes,
    "key_serializer": "raw",
    "value_serializer": "raw",
}


@dataclass(frozen=True)
class RouterConfig:
    """Everything the router needs, built by the composition root."""

    access: KafkaAccess
    """How the router reaches the broker: its own principal."""
    topics: Topics
    registrar_body: str
    anchors: tuple[Anchor, ...]
    """The registrar's trusted keys with their validity: the trust anchor, from settings."""
    bus_key: SigningKey
    seal: Seal
    """Seals every record the router writes; its feeds take only sealed records."""
    ingest_topics: tuple[str, ...]
    """The ingest topics that exist at start; new ones are picked up while running."""
    bus_body: str = "bus"
    partitions: int = 3
    replication_factor: int = 1
    max_event_bytes: int = 65_536
    max_skew: timedelta = timedelta(minutes=5)
    require_sealed: bool = True
    """Refuse an event whose protected fields are in clear (see streams/admission.Gate)."""
    policy: Policy = field(default_factory=Policy)
    clock_interval: float = 60.0
    """Seconds between the bus clock's ticks (on the leader worker only); 0 stops the clock."""
    batch_size: int = 500
    """Most ingest records decided and written in one transaction."""
    batch_wait: float = 0.005
    """Seconds between the ticks on which a batch begun with nothing waiting closes
    (streams/batching.py): at human pace, the most an event waits for its batch, and how records close
    together share a transaction. 20 ms was chosen when faust's ``take_events`` let a batch grow only
    within its window (docs/benchmarks.md, eighth round); a batch now takes what queued, and with the
    wait for the last transaction's markers at 2 ms (streams/group_transaction.MARKERS_BACKOFF_MS),
    5 ms is the faster at 50, 200 and 500 ev/s, for up to a tenth more CPU per event at 50 ev/s
    (more, smaller batches). Records that queued up while a batch was routed form the next at once."""
    commit_interval: float = 1.0
    """Seconds between faust's background commits; each batch also commits as soon as it is written."""
    session_timeout: float = 6.0
    """Seconds before the group gives a silent (crashed) worker's partitions to the others."""
    state_dir: Path | None = None
    """Where the worker saves its state (streams/snapshot.py); None: it folds the whole log at start."""
    snapshot_interval: float = 60.0
    """Seconds between saves of the state, between batches."""
    save_after_entries: int = 50_000
    """Save the state sooner once its spilled maps hold this many entries in memory: what bounds
    the worker's memory (streams/spilled.py)."""
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None
    extra_faust_settings: dict[str, Any] = field(default_factory=dict)


class RouterApp:
    """Owns the faust app, its topics, the registry and the state; one per worker process."""

    def __init__(self, config: RouterConfig):
        self.config = config
        topics = config.topics
        self.registry = Registry()
        for anchor in config.anchors:
            self.registry.trust(anchor)
        self.registry.trust(Anchor(config.bus_body, config.bus_key.verify_key))
        self.snapshots = Snapshots(config.state_dir, config.seal) if config.state_dir else None
        saved = self.snapshots.load() if self.snapshots else None
        self.state = saved.state if saved else BusState()
        if self.snapshots is not None:
            self.snapshots.attach(self.state)
        self.state.finding_horizon = 2 * config.policy.systemic_window
        self.router = Router(
            topics,
            self.registry,
            self.state,
            gate=Gate(
                config.registrar_body,
                config.bus_body,
                config.max_event_bytes,
                config.max_skew,
                require_sealed=config.require_sealed,
            ),
            bus_key=config.bus_key,
            policy=config.policy,
        )
        self.metrics = RouterMetrics()
        self.app = RouterFaustApp(
            f"{topics.prefix}-router",
            broker=f"kafka://{config.access.bootstrap_servers}",
            broker_credentials=config.access.faust_credentials(),
            broker_client_id=client_id(),
            store="memory://",
            processing_guarantee="exactly_once",
            topic_partitions=config.partitions,
            topic_replication_factor=config.replication_factor,
            consumer_auto_offset_reset="earliest",
            consumer_metadata_max_age_ms=5_000,
            broker_commit_interval=config.commit_interval,
            broker_session_timeout=config.session_timeout,
            broker_heartbeat_interval=min(3.0, config.session_timeout / 4),
            web_enabled=False,
            **config.extra_faust_settings,
        )
        worker_id = self.snapshots.worker_id() if self.snapshots else uuid.uuid4().hex
        self.app.transaction_settings = TransactionSettings(
            f"{self.app.conf.id}-{worker_id}", config.access.aiokafka(), KeyHashedOnce()
        )
        self.app.topic_key = self._publishers_key
        self.chains = Chains(saved.heads if saved else None)
        self.reference_feed = TopicFeed(config.access, topics.reference, self.registry.apply, config.seal)
        self.log_feed = TopicFeed(
            config.access,
            topics.log,
            self.state.apply,
            config.seal,
            observe=self.chains.observe,
            start_at=saved.positions if saved else None,
            known=self.state.knows,
            catching_up=self._save_if_large,
        )
        if saved:
            log.info("state restored from %s: reading the log from %s", config.state_dir, saved.positions)
        self._next_snapshot = time.monotonic() + config.snapshot_interval
        self._save_steps: Generator[None, None, None] | None = None
        """The steps left of the save under way (``_begin_save``)."""
        self.maker = TopicMaker(
            config.access,
            topics,
            partitions=config.partitions,
            replication_factor=config.replication_factor,
        )
        self.sink = TransactionalSink(self.app, self._declare, config.seal, self.chains, self._checkpoint)
        self._generation: int | None = None
        self._next_offset: dict[TP, int] = {}
        self._unsettled = False
        """True from a batch's first decision until its commit: the state may hold uncommitted decisions."""
        ingest = sorted({*config.ingest_topics, topics.ingest(config.bus_body)})
        self.ingest = self.app.topic(*ingest, **RAW)
        self.subscription = AgentTopics(self.app, self.app.agent(self.ingest, name="route")(self._route))
        self.backlog = Backlog(config.access, self.app.conf.id)
        self._bodies: set[str] = set()
        self._next_respread = 0.0
        self.app.task(self._follow(self.reference_feed))
        self.app.task(self._follow(self.log_feed))
        self.app.task(self._serve_metrics)
        self.app.on_before_shutdown.connect(self._save_on_shutdown)  # type: ignore[arg-type]
        self.app.timer(NEW_TOPICS_EVERY)(self._follow_new_ingest_topics)
        self.app.timer(NEW_BODIES_EVERY)(self._follow_new_bodies)
        self.app.timer(MEASURE_EVERY)(self._measure_ingest)
        if config.clock_interval > 0:
            self.app.timer(config.clock_interval, on_leader=True)(self._tick)

    async def _route(self, stream: faust.StreamT) -> None:
        """Decide a batch record by record, write it in its transactions, then commit it at once."""
        self.sink.guard_commits()
        config = self.config
        stream.enable_acks = False  # the sink acks each record once its outputs are in the transaction
        queue = cast(faust.Channel, stream.channel).queue

        def waiting() -> bool:
            return not queue.empty()

        ready = batches(stream.events(), waiting, max_size=config.batch_size, window=config.batch_wait)
        async for events in ready:
            self._unsettled = True
            timer = self.metrics.batch(len(events))
            try:
                decided = [(event, await self._decide(_record_of(event))) for event in events]
            except DamagedState as exc:
                await self._stop_on_damage(exc)
                raise
            timer.done("decide")
            await self._write(decided)
            timer.done("write")
            await self.app.consumer.commit({event.message.tp for event in events})
            timer.done("commit")
            self._unsettled = False
            now = time.time()
            self.metrics.observe((outcome, now - event.message.timestamp) for event, outcome in decided)
            if self.snapshots is not None and self._save_due():
                await self.log_feed.caught_up()
                self._begin_save(self.snapshots)

    def _save_due(self) -> bool:
        due = time.monotonic() >= self._next_snapshot or self._large()
        return due and self._save_steps is None

    def _saved(self) -> Saved:
        """The fold with the log offsets it covers. Taken only between batches, once what this worker
        decided is committed: the state then holds committed records only, and perhaps some past
        those offsets, which a restart reads again and recognises by their ids."""
        return Saved(self.state, self.chains.committed, self.log_feed.positions())

    def _begin_save(self, snapshots: Snapshots) -> None:
        """Save the state as it is now, a step at a time while the worker routes on (streams/snapshot.py)."""
        began, saved = time.monotonic(), self._saved()
        steps = snapshots.saving(saved)
        next(steps)  # the state set aside before anything else is decided
        self._save_steps = steps
        self._next_snapshot = began + self.config.snapshot_interval
        self.app.add_future(self._step_save(steps, saved, began))

    async def _step_save(self, steps: Generator[None, None, None], saved: Saved, began: float) -> None:
        """Take the save's steps, ``SAVE_PAUSE`` apart, until it is written. A save that
        fails costs the next start the log it would have spared, not the routing."""
        try:
            for _ in steps:
                await asyncio.sleep(SAVE_PAUSE)
        except Exception as exc:  # the disk, most likely: its entries wait for the next save
            log.error("cannot save the state: %r; routing goes on", exc)
            return
        finally:
            steps.close()  # if stopped between steps: the entries set aside go back to the maps
            self._save_steps = None
        self._record_save(saved, began)

    def _save_state(self, snapshots: Snapshots) -> None:
        """Save the state now, after the save under way if there is one."""
        for _ in self._save_steps or ():
            pass
        began, saved = time.monotonic(), self._saved()
        snapshots.save(saved)
        self._next_snapshot = time.monotonic() + self.config.snapshot_interval
        self._record_save(saved, began)

    def _record_save(self, saved: Saved, began: float) -> None:
        seconds = time.monotonic() - began
        self.metrics.save_seconds.observe(seconds)
        log.info("state saved as of log offsets %s in %.2fs", saved.positions, seconds)

    async def _stop_on_damage(self, exc: DamagedState) -> None:
        log.critical("the saved state is damaged; stopping: %s", exc)
        await self.app.crash(exc)

    def _large(self) -> bool:
        return sum(len(m.hot) for m in self.state.spilled()) >= self.config.save_after_entries

    def _save_if_large(self) -> None:
        """While the log feed first catches up, the state is a fold of committed records only and
        nothing else changes it: save it whenever it grows large, so that folding a long log never
        holds all of it in memory."""
        if self.snapshots is not None and self._large():
            self._save_state(self.snapshots)

    async def _save_on_shutdown(self, _app: Any, **_: Any) -> None:
        """On a clean stop, save the state if all this worker decided is committed (the group's
        offsets say so), so the next start reads only the log's tail; otherwise keep the last save."""
        if self.snapshots is None or not self.log_feed.ready.is_set():
            return
        if self._unsettled:
            log.info("stopped inside a batch: the state is not saved")
            return
        decided = dict(self._next_offset)
        try:
            committed = await asyncio.wait_for(self.backlog.committed(list(decided)), SHUTDOWN_SAVE_WAIT)
        except (KafkaError, OSError, TimeoutError) as exc:
            log.warning("cannot read the group's offsets at shutdown (%r): the state is not saved", exc)
            return
        behind = [tp for tp, offset in decided.items() if committed.get(tp, -1) < offset]
        if behind:
            log.info("not all decided is committed (%s): the state is not saved", behind)
            return
        self._save_state(self.snapshots)

    async def _decide(self, record: IngestRecord) -> Outcome:
        """The router's decision, once the registry and state have what they need."""
        await self._catch_up_after_rebalance()
        admitted = self.router.admit(record)
        if self.router.needs_whole_log(admitted) and not self._alone():
            await self.log_feed.caught_up()
        outcome = self.router.route(record, admitted)
        if outcome.quarantined is not None:
            log.warning(
                "quarantined %s (%s) from %s", outcome.quarantined.reason, outcome.event_type, record.topic
            )
        return outcome

    def _alone(self) -> bool:
        """Whether this worker holds every ingest partition: then it alone writes the log, and its
        state already holds all that was decided since it caught up after its assignment."""
        consumer = self.app.consumer
        held = Counter(tp.topic for tp in consumer.assignment())
        return all(held[topic] == consumer.topic_partitions(topic) for topic in self.subscription.names)

    async def _write(self, decided: list[tuple[faust.EventT, Outcome]]) -> None:
        batch = [
            Written(event.message.tp, event.message.offset + 1, outcome.writes, event.ack)
            for event, outcome in decided
        ]
        try:
            await self.sink.write(batch)
        except Exception as exc:  # cannot write transactionally: stop, let a restart recover
            first = decided[0][0].message
            log.critical("cannot write a batch from %s@%d; stopping", first.tp, first.offset)
            await self.app.crash(exc)
            raise
        for event, _ in decided:
            self._next_offset[event.message.tp] = event.message.offset + 1

    def _follow(self, feed: TopicFeed) -> Callable[[], Awaitable[None]]:
        async def follow() -> None:
            await self.maker.ensure(feed.topic)  # a feed of a topic that does not exist would never be ready
            try:
                await feed.run()
            except DamagedState as exc:
                await self._stop_on_damage(exc)

        follow.__name__ = f"follow_{feed.topic}"
        return follow

    async def _catch_up_after_rebalance(self) -> None:
        """After (re)assignment, read what the previous owner of our partitions committed first."""
        generation = self.app.consumer_generation_id
        if generation != self._generation:
            await self.reference_feed.caught_up()
            await self.log_feed.caught_up()
            self.chains.rewind()
            self._generation = generation

    async def _tick(self) -> None:
        """Publish this interval's ClockTicked on the bus's own ingest topic."""
        config = self.config
        tick = sign_event(
            clock_tick(datetime.now(UTC), config.bus_body, config.clock_interval), config.bus_key
        )
        topic = config.topics.ingest(config.bus_body)
        await self._declare(topic)
        sent = await self.app.producer.send(
            topic, CLOCK_MATTER.encode(), encode_event(tick), None, None, None
        )
        await sent

    async def _follow_new_ingest_topics(self) -> None:
        """Subscribe to ingest topics created since start (faust cannot subscribe by pattern)."""
        if self.app.rebalancing:  # faust would drop the change; the next look makes it again
            return
        names = await self.maker.ingest_topics()
        new = self.subscription.missing(names)
        if new:
            log.info("subscribing to new ingest topics %s", new)
            self.subscription.add(new)

    async def _follow_new_bodies(self) -> None:
        """Look for ingest topics as soon as the registry has a body it did not have at the last look."""
        bodies = {body.body_id for body in self.registry.bodies()}
        if bodies - self._bodies and not self.app.rebalancing:
            self._bodies = bodies
            await self._follow_new_ingest_topics()

    async def _measure_ingest(self) -> None:
        """The backlog of each ingest topic (a metric) and the records on each ingest partition (what
        the group's next assignment weighs, if this worker leads it)."""
        if self.app.rebalancing:  # the partitions are changing hands; the next round measures
            return
        topics = self.subscription.names
        try:
            lag = await self.backlog.measure(self.app.consumer, topics, self._next_offset)
            self.app.volumes = await self.backlog.volumes(self.app.consumer, topics)
        except KafkaError as exc:  # costs this round of the measures, not the routing
            log.warning("cannot measure the ingest topics: %r", exc)
            return
        for topic in topics:
            self.metrics.lag.labels(topic=topic).set(lag[topic])
        await self._respread_if_uneven()

    async def _respread_if_uneven(self) -> None:
        """As the member that dealt out the group's assignment: ask for a new deal when the volumes
        measured since say it is uneven (dealt before they were known, or outgrown by them)."""
        dealt = cast(BodySpreadingAssignor, self.app.assignor).led
        if dealt is None or time.monotonic() < self._next_respread:
            return
        gain = dealt.gain(self.app.volumes)
        if gain < RESPREAD_GAIN:
            return
        log.info(
            "the bodies' partitions are dealt out unevenly for their volumes: a new deal takes %.0f%%"
            " of their records off the busiest worker; asking the group for it",
            100 * gain,
        )
        self._next_respread = time.monotonic() + RESPREAD_AT_MOST_EVERY
        await self.app.request_rebalance()

    async def _serve_metrics(self) -> None:
        """Serve /metrics if a port is set; a port already taken costs the metrics, not the routing."""
        host, port = self.config.metrics_host, self.config.metrics_port
        if port is None:
            return
        try:
            self.metrics.serve(host, port)
        except OSError as exc:
            log.error("cannot serve metrics on %s:%d: %s; routing carries on without them", host, port, exc)
            return
        log.info("metrics on http://%s:%d/metrics", host, port)

    def _publishers_key(self, topic: str) -> bytes | None:
        """The key of every record on an ingest topic: its body's id, as the SDK keys them
        (producers/staging.py), so that they keep their order."""
        topics = self.config.topics
        return topics.body_of(topic).encode() if re.match(topics.ingest_pattern, topic) else None

    def _checkpoint(self, chain: str, head: Head) -> Write:
        """A chain's head, signed with the bus's key, for the checkpoint topic."""
        checkpoint = Checkpoint.sign(chain, head, self.config.bus_key)
        topic = self.config.topics.checkpoints
        return Write(topic, chain, checkpoint.model_dump_json().encode(), "checkpoint", "Checkpoint")

    async def _declare(self, name: str) -> None:
        await self.maker.ensure(name)


def client_id() -> str:
    """How the broker, and `fourfold router status`, name this worker: its host and process."""
    return f"fourfold-router.{socket.gethostname()}.{os.getpid()}"


def _record_of(event: faust.EventT) -> IngestRecord:
    message = event.message
    return IngestRecord(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        timestamp=datetime.fromtimestamp(message.timestamp, UTC),
        value=event.value,
    )
