"""Any arrival order, any number of copies, any batching: the same read models and the same digest."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from projections.changes import Memory
from projections.clues import clue_custody, clues
from projections.digest import memory_digest
from projections.dispatch import changes_for
from projections.testing import derived, history, published

EVENTS = history()
EXPECTED = memory_digest(Memory().apply([c for e in EVENTS for c in changes_for(e)]).state)


@settings(max_examples=60, deadline=None)
@given(order=st.permutations(EVENTS), copies=st.lists(st.sampled_from(EVENTS), max_size=10))
def test_order_and_duplicates_do_not_change_the_result(order, copies):
    memory = Memory()
    for event in [*order, *copies]:
        memory.apply(changes_for(event))
    assert memory_digest(memory.state) == EXPECTED


def test_a_derived_transfer_at_the_instant_of_receipt_comes_after_it():
    """The router derives events at their cause's time; the rank keeps the chain in order."""
    received = next(s.event for s in published() if s.event.payload.__dict__.get("clue_id") == "clue-3")
    transfer = next(s.event for s in derived() if s.event.payload.__dict__.get("clue_id") == "clue-3")
    same_instant = transfer.model_copy(update={"occurred_at": received.occurred_at})
    for order in ([received, same_instant], [same_instant, received]):
        memory = Memory()
        for event in order:
            memory.apply(changes_for(event))
        assert memory.row(clues, "clue-3")["holder"] == "yuzhong-commission"
        chain = sorted(memory.rows(clue_custody), key=lambda r: r["entry_version"])
        assert [r["holder"] for r in chain] == ["inspection-team-1", "yuzhong-commission"]


def test_projections_read_no_clock():
    """The same events folded at different times give the same rows (nothing reads the wall clock)."""
    first = Memory().apply([c for e in EVENTS for c in changes_for(e)])
    again = Memory().apply([c for e in reversed(EVENTS) for c in changes_for(e)])
    assert first.state == again.state
