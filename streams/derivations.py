"""Which derived flows each event sets off: the table, and the function that applies it."""

from __future__ import annotations

from typing import Any

from schemas import Envelope
from streams.deadlines import detect_systemic_issues, flag_overdue_plan_items, flag_overdue_rectifications
from streams.derived import Derivation, Policy
from streams.flows import propose_collaboration, request_briefings, share_outstanding_issue, transfer_clue
from streams.overdue import flag_late_briefings, flag_overdue_reforms, flag_overdue_reports
from streams.registry import Registry
from streams.second_half import hand_over_clue, require_rectification
from streams.state import BusState
from streams.units import MATTER_TYPES

DERIVATIONS: dict[str, list[Derivation]] = {
    "ProblemClueReceived": [transfer_clue],
    "SupervisionFindingRecorded": [share_outstanding_issue],
    "InspectionRoundPlanned": [request_briefings],
    "InspectionFindingReported": [require_rectification],
    "ClueHandedOver": [hand_over_clue],
    "ClockTicked": [
        flag_overdue_rectifications,
        flag_overdue_plan_items,
        detect_systemic_issues,
        flag_late_briefings,
        flag_overdue_reports,
        flag_overdue_reforms,
    ],
}
"""Event type -> the flows it sets off. Every matter event may also make its matter cross-boundary."""

for _event_type in sorted(MATTER_TYPES):
    DERIVATIONS.setdefault(_event_type, []).append(propose_collaboration)

NEEDS_WHOLE_LOG = frozenset({"ClockTicked"})
"""Flows that look across all matters: the worker first catches up with the whole log."""


def derive(event: Envelope[Any], registry: Registry, state: BusState, policy: Policy) -> list[Envelope[Any]]:
    """The unsigned events ``event`` derives, given the state before it; in a fixed order."""
    return [d for flow in DERIVATIONS.get(event.event_type, []) for d in flow(event, registry, state, policy)]
