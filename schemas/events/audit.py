"""Who looked at what: the dashboards record each opening of a clue or a unit dossier."""

from __future__ import annotations

from pydantic import Field

from schemas.enums import BodyKind, ViewedRecord
from schemas.envelope import Payload
from schemas.types import ID_PATTERN, BodyId, UserName


class RecordViewed(Payload):
    """A person signed in to the dashboards opened a clue or a unit dossier their body may read.

    Says who, for which body, and what (kind and id), never what the page showed: no protected
    field, no content. The dashboards sign it with their own key, so "who viewed clue C" is on the
    log like every other fact."""

    publishers = frozenset({BodyKind.DASHBOARD})
    receivers = (
        "case management of the viewer's commission, and case management keeping the register of what"
        " was viewed (the clue's holder's commission; the commission with jurisdiction over the unit)"
    )
    viewer: UserName
    viewer_body: BodyId = Field(description="The body the person signed in for.")
    record: ViewedRecord = Field(description="What was opened: a clue or a unit dossier.")
    record_id: str = Field(pattern=ID_PATTERN, description="The clue's id, or the unit's id for a dossier.")
