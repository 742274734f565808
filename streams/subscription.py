"""Adds topics to a running agent's subscription; faust-streaming fixes an agent's topics at start.

An agent never reads the Topic it is declared with: it iterates a copy (a clone of a clone), and
that copy is what the Conductor (``app.topics``) indexes, subscribes the consumer to and feeds.
Renaming only the declared Topic's topics and adding it to the Conductor subscribes a channel that
no stream reads: the new topic's records pile up in that channel's queue, never routed nor acked,
so its offsets are never committed. The Conductor also waits 45 s after a change before it
resubscribes, and drops a change that comes while the group rebalances.

``AgentTopics.add`` renames every copy and tells the Conductor, which indexes the topics (so their
records are acked and committed) and resubscribes the consumer. But aiokafka drops the assignment
the moment the subscription changes, before the rebalance, so faust's revocation finds nothing
assigned and skips what it does when a worker joins (stop the flow, wait for the records in hand,
commit their offsets in their partitions' transactions), and its fetcher, still handing out
records, crashes the worker ("Partition is not assigned"). So the consumer's ``subscribe`` is
wrapped to do those steps first; the rebalance then resumes the flow as usual. Reassigned, faust
begins a transaction for every partition; one with nothing to commit was left open, which faust
logs as a warning ("Invalid state transition IN_TRANSACTION -> IN_TRANSACTION") while the
partition carries on in that same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import faust
from faust.transport.conductor import Conductor
from faust.types import AgentT, TopicT

RESUBSCRIBE_AFTER = 1.0
"""Seconds the Conductor waits after a change before it resubscribes (faust waits 45)."""


class AgentTopics:
    """The topics one agent reads, which may grow while the worker runs."""

    def __init__(self, app: faust.App, agent: AgentT):
        self._app = app
        self._agent = agent
        self._guarded = False

    @property
    def names(self) -> list[str]:
        return list(cast(TopicT, self._agent.channel).topics)

    def missing(self, names: Iterable[str]) -> list[str]:
        """Those of ``names`` the agent does not read, or that faust left out of its subscription."""
        read = self.names
        started = any(self._subscribed(n) for n in read)  # faust's first subscription is done
        return [n for n in names if n not in read or (started and not self._subscribed(n))]

    def _subscribed(self, name: str) -> bool:
        """Whether the Conductor has indexed ``name``, which it does just before it subscribes."""
        return self._app.topics.acks_enabled_for(name)

    def add(self, names: Iterable[str]) -> None:
        """Read ``names`` as well (again, if a rebalance made faust drop an earlier change)."""
        self._drain_before_subscribing()
        conductor = cast(Conductor, self._app.topics)
        old = self.names
        copies = [c for c in conductor if list(c.topics) == old]  # no other channel reads these
        wanted = sorted({*old, *names})
        for channel in (self._agent.channel, self._agent.channel_iterator, *copies):
            cast(TopicT, channel).topics = wanted
        conductor._resubscribe_sleep_lock_seconds = RESUBSCRIBE_AFTER
        for copy in copies:  # how the Conductor learns that a channel's topics changed
            conductor.discard(copy)
            conductor.add(copy)

    def _drain_before_subscribing(self) -> None:
        """Make the consumer finish and commit the records in hand before its subscription changes."""
        if self._guarded:
            return
        app, consumer = self._app, self._app.consumer
        subscribe = consumer.subscribe

        async def subscribe_after_draining(*args: Any, **kwargs: Any) -> None:
            assigned = consumer.assignment()
            if assigned:  # as faust's App._on_partitions_revoked does while the assignment lasts
                consumer.stop_flow()
                app.flow_control.suspend()
                consumer.pause_partitions(assigned)
                app.flow_control.clear()
                await consumer.wait_empty()
                await app.producer.flush()
            await subscribe(*args, **kwargs)

        consumer.subscribe = subscribe_after_draining  # type: ignore[method-assign]
        self._guarded = True
