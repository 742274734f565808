"""Response models of the integration-health answer (projections/health_report.py)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class ObligationCount(BaseModel):
    """One kind of obligation: briefing, report, rectification, acknowledgement, notification, clue_wait."""

    kind: str
    total: int
    on_time: int
    late: int
    overdue_open: int
    open: int
    mean_wait_hours: float | None


class IntegrationHealth(BaseModel):
    """Obligations due in [start, end) for one body, or for every body (``body_id`` null)."""

    body_id: str | None
    start: datetime | None
    end: datetime | None
    kinds: list[ObligationCount]
