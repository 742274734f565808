"""Outbox delivery: publish() stores locally; a background sender drains the outbox to Kafka."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Sequence

from producers.errors import (
    NotAuthenticated,
    NotAuthorised,
    OutboxError,
    PublishError,
    PublishTimeout,
    TopicMissing,
    is_permanent,
    translate,
)
from producers.link import KafkaLink
from producers.metrics import BodyMetrics
from producers.outbox import Outbox, OutboxRow
from producers.retry import RetryPolicy
from producers.staged import Outgoing
from producers.status import DeliveryStatus

log = logging.getLogger(__name__)

_SURFACED = (TopicMissing, NotAuthorised, NotAuthenticated)
"""Errors flush() raises as themselves when they keep the outbox from draining."""


class OutboxDelivery:
    """Events wait in the outbox until the broker acknowledges them, across broker outages and
    restarts of this process. One sender per body and outbox file.

    After sending a batch smaller than ``batch_size`` the sender lingers (50 ms by default) so
    the next one is larger, unless flush() is waiting: one batch costs about as much in SQLite
    and Kafka round trips as one event, and batches of a few events tripled the CPU per event.
    """

    def __init__(
        self,
        outbox: Outbox,
        link: KafkaLink,
        metrics: BodyMetrics,
        *,
        body_id: str,
        retry: RetryPolicy,
        ack_timeout: float,
        batch_size: int = 1000,
        poll_interval: float = 0.5,
        linger: float = 0.05,
    ):
        self.outbox = outbox
        self._link = link
        self._metrics = metrics
        self._body = body_id
        self._retry = retry
        self._ack_timeout = ack_timeout
        self._batch = batch_size
        self._poll = poll_interval
        self._linger = linger
        self._wake = threading.Event()
        self._hurry = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: PublishError | None = None

    def submit(self, events: Sequence[Outgoing]) -> list[bool]:
        """Store ``events`` in one transaction, numbered; for each, False if it was already in the
        outbox."""
        stored = self.outbox.add(self._body, self._link.topic, events)
        self.start()
        self._wake.set()
        return stored

    def start(self) -> None:
        """Start the sender unless it runs; it first sends what an earlier run left behind."""
        if self._thread is None or not self._thread.is_alive():
            self._stopping.clear()
            self._hurry.clear()
            self._thread = threading.Thread(target=self._run, name=f"outbox-{self._body}", daemon=True)
            self._thread.start()

    def depth(self) -> int:
        return self.outbox.depth(self._link.topic)

    def flush(self, timeout: float) -> None:
        """Return once the outbox holds nothing unacknowledged for this body, or raise."""
        self.start()
        self._hurry.set()
        self._wake.set()
        deadline = time.monotonic() + timeout
        try:
            while (depth := self.depth()) > 0:
                if time.monotonic() >= deadline:
                    raise self._stuck(depth, timeout)
                time.sleep(0.02)
        finally:
            self._hurry.clear()

    def status(self, event_id: uuid.UUID) -> DeliveryStatus:
        return self.outbox.status(event_id)

    def close(self, timeout: float) -> None:
        """Try to drain for ``timeout`` seconds; what remains stays safe in the outbox. A sender
        thread still inside a send after that keeps its outbox connection open: closing a SQLite
        connection under another thread's statement can crash the process (a Ctrl-C of
        ``fourfold publish`` once ended in SIGSEGV)."""
        try:
            if self._thread is not None:
                self.flush(timeout)
        except PublishError as exc:
            log.warning("closing with events still in the outbox %s: %s", self.outbox.path, exc)
        finally:
            self.stop(max(0.2, min(timeout, 5.0)))
            if self._thread is None or not self._thread.is_alive():
                self.outbox.close()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the sender; events it had in flight stay pending and are sent again next time."""
        self._stopping.set()
        self._hurry.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._link.close(0.0 if self._thread is not None and self._thread.is_alive() else timeout)

    def _stuck(self, depth: int, timeout: float) -> PublishError:
        cause = self.last_error
        message = f"{depth} events still in the outbox {self.outbox.path} after {timeout:.0f}s"
        if cause is not None:
            message += f"; last error: {cause}"
        kind = type(cause) if isinstance(cause, _SURFACED) else PublishTimeout
        return kind(message)

    def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                rows = self.outbox.pending(self._link.topic, limit=self._batch)
                if not rows:
                    self._metrics.outbox_depth(0)
                    self._wake.wait(self._poll)
                    self._wake.clear()
                    continue
                error = self._deliver(rows)
                self._metrics.outbox_depth(self.depth())
                if len(rows) < self._batch:
                    self._hurry.wait(self._linger)
            except OutboxError as exc:
                error = exc
            except Exception as exc:  # a bug must not end the sender: log it, back off, go on
                log.exception("outbox sender (%s) failed unexpectedly", self._body)
                error = PublishError(f"unexpected error in the outbox sender: {exc!r}")
            if error is None:
                failures = 0
                continue
            failures += 1
            self.last_error = error
            delay = self._retry.delay(failures)
            log.warning("outbox sender (%s): %s; retrying in %.1fs", self._body, error, delay)
            self._stopping.wait(delay)

    def _deliver(self, rows: list[OutboxRow]) -> PublishError | None:
        """Send one batch and record each row's outcome; the first error met, if any."""
        error: PublishError | None = None
        sent = []
        try:
            for row in rows:
                if self._stopping.is_set():
                    break
                future = self._link.send(row.key, row.value)
                future.add_callback(self._acked, row.event_type, time.monotonic())
                sent.append((row, future))
                if row.attempts:
                    self._metrics.retried(row.event_type)
        except PublishError as exc:
            error = exc
        if sent:
            try:
                self._link.flush(self._ack_timeout)
            except PublishTimeout as exc:
                error = error or exc
        acks: list[tuple[int, int, int]] = []
        failed: list[int] = []
        for row, future in sent:
            if future.succeeded():
                acks.append((row.seq, future.value.partition, future.value.offset))
                continue
            self._metrics.failed(row.event_type)
            cause = translate(future.exception, self._link.topic) if future.exception else None
            if is_permanent(future.exception):  # the broker refuses this record for good
                self.outbox.mark_failed([row.seq], str(cause), give_up=True)
            else:
                failed.append(row.seq)
            error = error or cause
        failed += [row.seq for row in rows[len(sent) :]]
        self.outbox.mark_sent(acks)
        if error is not None:
            self.outbox.mark_failed(failed, str(error))
            self._link.reset()
        return error

    def _acked(self, event_type: str, started: float, _metadata: object) -> None:
        self._metrics.published(event_type, time.monotonic() - started)
