"""Which of the router's decisions read state another partition key wrote: the ground for
partitioning the router's state (docs/partitioned-state.md, §2 and §3).

A router over a scenario that sets off every rule reading state across entities
(``tests/bus_scenario.py``): each map of its ``BusState`` is watched. Folding an event records it
as a writer of every entry it touches; deciding records each entry read and the function that read
it. A read is co-partitioned when every writer of what it read shares the reader's key: the body
for ``sequences`` (the ingest topic's key), the matter (``correlation_id``, the log's key) for
everything else. The reads that are not must be exactly those the proposal lists: a new
cross-matter read fails here until the proposal says how it is served, and a listed one the code
no longer makes fails too.
"""

from __future__ import annotations

import inspect
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from schemas import Envelope
from schemas.catalogue import CLOCK_TYPES
from streams import router as router_module
from streams.state import BusState
from streams.testing import Bench, demo_bench
from tests.bus_scenario import POLICY, as_the_sdk_sends, scenario

EVERY = object()
"""The key of a read that scans a whole map."""
DEFERRED: Any = object()
"""The reader while the gate decodes: not known yet."""

_HELPERS = {
    str(Path(inspect.getfile(m)).resolve())
    for m in (sys.modules["streams.state"], sys.modules["streams.followups"], sys.modules[__name__])
}
"""Files whose frames are not the rule that read: the state's own helpers, and the watch."""


@dataclass
class Watch:
    """Who wrote each entry, and each read a decision made of one written under another key."""

    writers: dict[str, dict[Any, list[Envelope[Any]]]] = field(default_factory=lambda: defaultdict(dict))
    reader: list[Envelope[Any] | None] = field(default_factory=list)
    folding: list[Envelope[Any]] = field(default_factory=list)
    pending: list[tuple[str, Any, str, list[Envelope[Any]]]] = field(default_factory=list)
    tick_reads: set[str] = field(default_factory=set)
    """The maps a clock tick's flows read: every partition's, by design (§3)."""
    crossed: dict[tuple[str, str], str] = field(default_factory=dict)
    """(reading function, map) -> an example: who read, under which key, what another key wrote."""

    def reading_for(self, event: Envelope[Any] | None) -> AbstractContextManager[None]:
        return _on(self.reader, event)

    def fold_of(self, event: Envelope[Any]) -> AbstractContextManager[None]:
        return _on(self.folding, event)

    @contextmanager
    def admitting(self) -> Iterator[list[Envelope[Any] | None]]:
        """Reads made before the event is known (the gate decodes it): judged once it is."""
        admitted: list[Envelope[Any] | None] = []
        start = len(self.pending)
        try:
            with _on(self.reader, DEFERRED):
                yield admitted
        finally:
            held, self.pending[start:] = self.pending[start:], []
            if admitted and admitted[0] is not None:
                for name, key, decider, writers in held:
                    self._judge(admitted[0], name, key, decider, writers)

    def touched(self, name: str, key: Any) -> None:
        if self.folding:
            if key is not EVERY:
                self.writers[name].setdefault(key, []).append(self.folding[-1])
            return
        reader = self.reader[-1] if self.reader else None
        if reader is None:  # not a decision: the bench numbering an event, the gate on a forgery
            return
        if reader is not DEFERRED and reader.event_type in CLOCK_TYPES:
            self.tick_reads.add(name)
            return
        written = self.writers[name]
        writers = [w for ws in written.values() for w in ws] if key is EVERY else list(written.get(key, []))
        if reader is DEFERRED:
            self.pending.append((name, key, _decider(), writers))
        else:
            self._judge(reader, name, key, _decider(), writers)

    def _judge(
        self, reader: Envelope[Any], name: str, key: Any, decider: str, writers: list[Envelope[Any]]
    ) -> None:
        mine = partition_key(name, reader)
        other = [w for w in writers if partition_key(name, w) != mine]
        if other:
            shown = "*" if key is EVERY else key
            self.crossed.setdefault(
                (decider, name),
                f"{reader.event_type} under {mine!r} read {name}[{shown}], "
                f"written by {other[0].event_type} under {partition_key(name, other[0])!r}",
            )


@contextmanager
def _on(stack: list[Any], item: Any) -> Iterator[None]:
    """``item`` on top of ``stack`` for the duration."""
    stack.append(item)
    try:
        yield
    finally:
        stack.pop()


def partition_key(name: str, event: Envelope[Any]) -> str:
    """The key a read of ``name`` is co-partitioned on today: the ingest topic's (the source body)
    for sequence numbers, the log's (the matter) for everything else."""
    if name == "sequences":
        return event.source_body if event.event_type != "EventRefused" else event.payload.sender
    return event.correlation_id


def _decider() -> str:
    """The first function up the stack outside the state's own helpers: the rule that read."""
    frame = sys._getframe(1)
    while frame.f_code.co_filename in _HELPERS:
        frame = frame.f_back  # type: ignore[assignment]
    module = frame.f_globals.get("__name__", "?")
    return f"{module.removeprefix('streams.')}.{frame.f_code.co_name}"


class Watched:
    """A map or set of the state whose every access by key or scan is told to a ``Watch``."""

    def __init__(self, inner: Any, name: str, watch: Watch):
        self._inner, self._name, self._watch = inner, name, watch

    def _by(self, key: Any) -> None:
        self._watch.touched(self._name, key)

    def _all(self) -> None:
        self._watch.touched(self._name, EVERY)

    def get(self, key: Any, default: Any = None) -> Any:
        self._by(key)
        return self._inner.get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self._by(key)
        return self._inner[key]

    def __contains__(self, key: Any) -> bool:
        self._by(key)
        return key in self._inner

    def __setitem__(self, key: Any, value: Any) -> None:
        self._by(key)
        self._inner[key] = value

    def __delitem__(self, key: Any) -> None:
        self._by(key)
        del self._inner[key]

    def setdefault(self, key: Any, default: Any) -> Any:
        self._by(key)
        return self._inner.setdefault(key, default)

    def add(self, key: Any) -> None:
        self._by(key)
        self._inner.add(key)

    def items(self) -> Any:
        self._all()
        return self._inner.items()

    def values(self) -> Any:
        self._all()
        return self._inner.values()

    def keys(self) -> Any:
        self._all()
        return self._inner.keys()

    def __iter__(self) -> Iterator[Any]:
        self._all()
        return iter(self._inner)

    def __len__(self) -> int:
        self._all()
        return len(self._inner)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"the watch does not see {self._name}.{name}: add it to Watched")


def watch_state(bench: Bench, monkeypatch: pytest.MonkeyPatch) -> Watch:
    """Watch every map of ``bench``'s state, and tell the watch which event each rule decides for."""
    watch = Watch()
    state = bench.state
    for owner in (state, state.followups):
        for name, value in vars(owner).items():
            if isinstance(value, dict | set) or hasattr(value, "hot"):
                setattr(owner, name, Watched(value, name, watch))
    _watch_steps(bench, watch, monkeypatch)
    return watch


def _watch_steps(bench: Bench, watch: Watch, monkeypatch: pytest.MonkeyPatch) -> None:
    router = bench.router
    real_apply, real_derive, real_deliveries = (
        BusState.apply,
        router_module.derive,
        router_module.deliveries_for,
    )
    real_admit, real_route = router.admit, router.route

    def apply(state: BusState, event: Envelope[Any]) -> bool:
        with watch.fold_of(event):
            return real_apply(state, event)

    def derive(event: Envelope[Any], *args: Any) -> Any:
        with watch.reading_for(event):
            return real_derive(event, *args)

    def deliveries_for(event: Envelope[Any], *args: Any) -> Any:
        with watch.reading_for(event):
            return real_deliveries(event, *args)

    def admit(record: Any) -> Any:
        with watch.admitting() as admitted:
            outcome = real_admit(record)
            admitted.append(outcome if isinstance(outcome, Envelope) else outcome.authentic)
            return outcome

    def route(record: Any, admitted: Any) -> Any:
        event = admitted if isinstance(admitted, Envelope) else admitted.authentic
        with watch.reading_for(event):
            return real_route(record, admitted)

    monkeypatch.setattr(BusState, "apply", apply)
    monkeypatch.setattr(router_module, "derive", derive)
    monkeypatch.setattr(router_module, "deliveries_for", deliveries_for)
    monkeypatch.setattr(router, "admit", admit)
    monkeypatch.setattr(router, "route", route)


CROSS_KEY_READS: dict[tuple[str, str], str] = {
    ("router._accept", "seen"): "stage B, by event id: an id reused by another body, in another matter",
    ("admission._check_authenticated", "seen"): "stage B: an id another body logged skips the remit checks",
    ("ownership._check_new_ids", "taken"): "stage C, by entity id: entity ids are tied to no matter",
    ("authority._team_remit", "rounds"): "a global table: an inspection office plans a team's round",
    ("routing.route_finding", "rounds"): "a global table: the rounds covering a unit at a time",
    ("second_half.require_rectification", "rounds"): "a global table: the round a finding names",
    ("second_half._already_required", "rectifications"): "left open: the scan by finding id",
    ("handling.check_handling", "restricted"): "left open: citations across matters",
    ("routing.current_holder", "clues"): "left open: the clue a view names",
}
"""Decisions that read state written under another key, and how the proposal serves each
(docs/partitioned-state.md §2 and §4). Follow-ups of a plan, a joint oversight, a rectification,
a reform or a briefing request, and consents to pass a fact on, are not here: the gate refuses them
outside the matter of what they follow (``wrong_matter``). Reads by a clock tick are §3's, listed
apart."""


TICK_SCANS: dict[str, str] = {
    "seen": "B, by event id: whether what it derives is logged already",
    "rectifications": "D",
    "rect_statuses": "D",
    "overdue_notified": "D",
    "plans": "D",
    "plan_overdue_notified": "D",
    "briefings": "D",
    "briefed": "D",
    "briefing_overdue": "D",
    "reforms": "D",
    "reform_overdue": "D",
    "findings": "E, by category",
    "claimed_findings": "E, by category",
    "relations": "F, by reporting body",
    "reports": "F, by reporting body",
    "report_overdue": "F, by reporting body",
}
"""What a tick's flows read (§3), and the stage that holds each: a tick reaches every partition."""

REFUSED = {"RectificationRequired": "duplicate_id_reuse", "SupervisionFindingRecorded": "duplicate_id"}
"""The scenario's two reuses, by the event type refused."""


@dataclass
class Routed:
    crossed: dict[tuple[str, str], str]
    ticks: set[str]
    refused: dict[str, str]
    derived: list[str]


@pytest.fixture(scope="module")
def routed() -> Iterator[Routed]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        bench = demo_bench(policy=POLICY)
        watch = watch_state(bench, monkeypatch)
        refused: dict[str, str] = {}
        derived: list[str] = []
        for e in map(as_the_sdk_sends, scenario()):
            outcome = bench.publish(e)
            if outcome.quarantined:
                refused[e.event_type] = outcome.quarantined.reason
            derived += [d.event_type for d in outcome.logged[1:]]
        yield Routed(watch.crossed, watch.tick_reads, refused, derived)


def test_the_scenario_sets_off_every_rule_it_is_meant_to(routed: Routed) -> None:
    assert routed.refused == REFUSED
    assert set(routed.derived) >= {
        "BriefingRequested",
        "RectificationRequired",
        "RectificationOverdue",
        "BriefingOverdue",
        "SystemicIssueDetected",
        "DailyReportOverdue",
        "CaseReformOverdue",
        "PlanItemOverdue",
    }


def test_every_read_across_keys_is_one_the_proposal_lists(routed: Routed) -> None:
    unlisted = {k: v for k, v in routed.crossed.items() if k not in CROSS_KEY_READS}
    assert not unlisted, (
        f"a decision reads state written under another key; say in the proposal how: {unlisted}"
    )
    gone = sorted(set(CROSS_KEY_READS) - set(routed.crossed))
    assert not gone, f"listed as reading across keys, but no longer does: {gone}"


def test_a_tick_reads_only_the_maps_the_proposal_gives_its_stages(routed: Routed) -> None:
    assert routed.ticks == set(TICK_SCANS)
