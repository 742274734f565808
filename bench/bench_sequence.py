"""What per-body sequence numbers cost the SDK's outbox path, in one run (no broker): before, each
event signed whole and the signed rows stored; now, each event prepared (checked, with a size
bound), then numbered and signed inside the transaction that stores it, after looking up the ids
the outbox holds. Batches of 500, as the bulk import stores them. Best of a few rounds each.
"""

from __future__ import annotations

import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_integrity import best_rate  # noqa: E402
from bench.common import workload  # noqa: E402
from producers import Outbox, StagedEvent  # noqa: E402
from producers.staged import Outgoing  # noqa: E402
from producers.staging import Stager  # noqa: E402
from schemas import Envelope, SigningKey  # noqa: E402
from schemas.signing import sign_to_wire  # noqa: E402

EVENTS = 5_000
BATCH = 500
BODY = "city-office-1"


def main() -> None:
    key = SigningKey.generate(f"{BODY}:1")
    stager = Stager(BODY, key, body_kind=None, max_event_bytes=1 << 20)
    events = [e.model_copy(update={"source_body": BODY}) for e in workload(EVENTS)]

    def signed_whole(e: Envelope[Any]) -> Outgoing:
        _, value = sign_to_wire(e, key)
        return StagedEvent(e.event_id, e.event_type, BODY.encode(), value)

    with tempfile.TemporaryDirectory() as tmp:

        def stored(stage: Callable[[Envelope[Any]], Outgoing]) -> Callable[[], int]:
            def run() -> int:
                box = Outbox(Path(tmp) / f"{uuid.uuid4().hex}.db", synchronous="NORMAL")
                for at in range(0, EVENTS, BATCH):
                    box.add(BODY, "bench.ingest", [stage(e) for e in events[at : at + BATCH]])
                box.close()
                return EVENTS

            return run

        before = best_rate(stored(signed_whole))
        now = best_rate(stored(stager.prepare))
    print(f"{EVENTS} events into the outbox, best of rounds:")
    print(f"signed whole, then stored (before numbers): {before:7.0f} events/s")
    print(f"prepared, numbered and signed as stored:    {now:7.0f} events/s  ratio {now / before:.2f}")


if __name__ == "__main__":
    main()
