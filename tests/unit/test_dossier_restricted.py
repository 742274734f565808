"""A unit's dossier shows a restricted finding (confidential, never passed on, with consent) only to
the bodies the bus delivered it to; ordinary findings to every body whose jurisdiction covers the unit."""

from __future__ import annotations

from sqlalchemy import insert

from fourfold.registrar import DEMO_REGISTRY
from projections import queries
from projections.db import create_schema, make_engine
from projections.dispatch import changes_for
from projections.inbox import inbox, inbox_row
from projections.testing import reference_history
from projections.writer import write_changes
from schemas.enums import Handling
from schemas.records import Delivery
from streams.testing import finding


def test_a_restricted_finding_is_in_the_dossier_of_its_recipients_only() -> None:
    engine = make_engine("sqlite://")
    create_schema(engine)
    ordinary = finding("yuzhong-hospital", "city-office-1", finding_id="f-open")
    with_consent = finding(
        "yuzhong-hospital", "city-office-1", finding_id="f-held", handling=Handling.WITH_CONSENT
    )
    delivered = Delivery(
        recipient="city-office-1", reasons=("source",), event=with_consent.model_dump(mode="json")
    )
    with engine.begin() as conn:
        for e in [*reference_history(DEMO_REGISTRY), ordinary, with_consent]:
            write_changes(conn, changes_for(e))
        conn.execute(insert(inbox), [inbox_row(delivered)])
    with engine.connect() as conn:

        def seen(reader: str | None) -> set[str]:
            found = queries.dossier(conn, "yuzhong-hospital", reader)
            assert found is not None
            return {f["finding_id"] for f in found["findings"]}

        assert seen("city-office-1") == {"f-open", "f-held"}
        assert seen("yuzhong-commission") == {"f-open"}
        assert seen(None) == {"f-open", "f-held"}  # no reader: the read model whole (replay, digest)
