"""The body that published a clue sees the informant it wrote; other bodies without the right do not."""

from __future__ import annotations

import pytest

from schemas.events.clues import Informant
from streams.routing import withheld_from
from streams.testing import Bench, demo_bench
from streams.testing import clue as shared_clue


@pytest.fixture(scope="module")
def bench() -> Bench:
    return demo_bench()


@pytest.mark.parametrize(
    ("source", "body_id", "withheld"),
    [
        ("yuzhong-commission", "yuzhong-commission", ()),  # the source, a commission
        ("city-office-1", "city-office-1", ()),  # the source, a supervision office
        ("yuzhong-commission", "city-commission", ("payload.informant",)),  # the holder
        ("yuzhong-commission", "city-review", ("payload.informant",)),
        ("city-office-1", "yuzhong-commission", ("payload.informant",)),
        ("yuzhong-commission", "city-case-mgmt", ()),
        ("yuzhong-commission", "yuzhong-letters", ()),
    ],
)
def test_the_source_sees_its_own_informant_and_others_as_before(
    bench: Bench, source: str, body_id: str, withheld: tuple[str, ...]
) -> None:
    clue = shared_clue("cadre-qian", "yuzhong-hospital", source, informant=Informant(name="B. Citizen"))
    assert withheld_from(clue, body_id, bench.registry) == withheld
