"""`fourfold clock advance`: the instants it publishes ticks for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import typer

from fourfold.commands_clock import MAX_TICKS, tick_times

T = datetime(2026, 3, 1, tzinfo=UTC)


def test_ticks_from_start_to_end_inclusive() -> None:
    assert tick_times(T, T + timedelta(days=2), timedelta(days=1)) == [
        T,
        T + timedelta(days=1),
        T + timedelta(days=2),
    ]
    assert tick_times(T, T, timedelta(hours=1)) == [T]
    assert tick_times(T, T - timedelta(days=1), timedelta(hours=1)) == []


@pytest.mark.parametrize(
    ("end", "step"),
    [(T + timedelta(days=1), timedelta(0)), (T + timedelta(seconds=MAX_TICKS), timedelta(seconds=1))],
)
def test_a_bad_step_or_too_many_ticks_is_refused(end: datetime, step: timedelta) -> None:
    with pytest.raises(typer.BadParameter):
        tick_times(T, end, step)
