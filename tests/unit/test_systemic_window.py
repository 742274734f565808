"""The systemic rule's sliding window (streams/deadlines.py) cuts findings into the same systemic
runs as the rule's definition read literally: from the earliest finding, the window starting there
if systemic (its findings then count in no other), else the next finding's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.enums import Classification, Handling
from streams.deadlines import systemic_runs
from streams.derived import Policy
from streams.state import Finding
from streams.testing import demo_bench, literal_systemic_runs

REGISTRY = demo_bench().registry
UNITS = [*sorted(u.unit_id for u in REGISTRY.units()), "unregistered-unit"]
START = datetime(2026, 1, 1, tzinfo=UTC)


findings_at = st.lists(st.tuples(st.integers(0, 90), st.sampled_from(UNITS)), max_size=60)


@settings(max_examples=200, deadline=None)
@given(findings_at, st.integers(1, 4), st.integers(1, 40))
def test_the_sliding_window_finds_the_runs_the_definition_does(days_units, at_least, window_days):
    findings = sorted(
        (
            Finding(
                f"f-{n}",
                "c",
                unit,
                START + timedelta(days=day),
                f"e-{n:03d}",
                Classification.INTERNAL,
                Handling.WITHIN_JURISDICTION,
            )
            for n, (day, unit) in enumerate(days_units)
        ),
        key=lambda f: (f.occurred_at, f.event_id),
    )
    policy = Policy(
        systemic_min_units=at_least,
        systemic_min_regions=at_least + 1,
        systemic_min_sectors=at_least,
        systemic_window=timedelta(days=window_days),
    )
    assert list(systemic_runs(findings, REGISTRY, policy)) == literal_systemic_runs(
        findings, REGISTRY, policy
    )
