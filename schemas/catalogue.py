"""The explicit registry from event_type to payload class."""

from __future__ import annotations

from schemas.envelope import Payload
from schemas.errors import UnknownEventType
from schemas.events import clock, clues, coordination, inspection, rectification, reference, sharing

_MODULES = (reference, clock, clues, inspection, rectification, sharing, coordination)

EVENT_TYPES: dict[str, type[Payload]] = {
    cls.event_type: cls
    for module in _MODULES
    for cls in vars(module).values()
    if isinstance(cls, type) and issubclass(cls, Payload) and cls is not Payload
}

REFERENCE_TYPES = frozenset(
    name for name, cls in EVENT_TYPES.items() if cls.__module__ == reference.__name__
)
DERIVED_TYPES = frozenset(
    name for name, cls in EVENT_TYPES.items() if not cls.publishers and name != "ClockTicked"
)


def payload_class(event_type: str) -> type[Payload]:
    try:
        return EVENT_TYPES[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None
