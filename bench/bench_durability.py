"""What fsync on every commit costs the SDK's outbox: events stored per second, one transaction each
(as ``publish()`` stores them), with ``synchronous=FULL`` (the default: a clue taken in survives a
power cut) against ``NORMAL`` (survives only the process dying), in one run. No broker needed."""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from producers.outbox import Outbox  # noqa: E402
from producers.staging import Stager  # noqa: E402
from schemas import SigningKey  # noqa: E402
from streams.testing import finding  # noqa: E402

EVENTS = 1_000
ROUNDS = 3
BODY = "city-office-1"


def main() -> None:
    stager = Stager(BODY, SigningKey.generate(f"{BODY}:1"), body_kind=None, max_event_bytes=65_536)
    staged = [
        stager.prepare(finding("city-bank", BODY, finding_id=f"f-{i}", event_id=uuid.uuid4()))
        for i in range(EVENTS)
    ]
    rates: dict[str, list[float]] = {"FULL": [], "NORMAL": []}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(ROUNDS):  # alternated, so load elsewhere hits both alike
            for mode in rates:
                outbox = Outbox(Path(tmp) / f"{mode}-{round_}.db", synchronous=mode)  # type: ignore[arg-type]
                began = time.perf_counter()
                for event in staged:
                    outbox.add(BODY, f"bench.ingest.{BODY}", [event])
                rates[mode].append(EVENTS / (time.perf_counter() - began))
                outbox.close()
    full, normal = max(rates["FULL"]), max(rates["NORMAL"])
    print(f"outbox intake, one transaction per event, best of {ROUNDS}:")
    print(f"  synchronous=FULL    {full:8,.0f} events/s")
    print(f"  synchronous=NORMAL  {normal:8,.0f} events/s   ratio FULL/NORMAL {full / normal:.2f}")


if __name__ == "__main__":
    main()
