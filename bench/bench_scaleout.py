"""Router scale-out: 1, 2 and 3 `fourfold worker` processes on one backlog (3 partitions per ingest
topic), each count on a bus of its own with the same events, timed from the first to the last
record on the log. Prints events/s for each and the ratio to one worker, the baseline.

On a 2-core machine three workers share two cores with the broker, so the ratio shows how the
work divides, not how far it would go on more cores.

Usage: bench_scaleout.py [EVENTS]   (default 3000; or FOURFOLD_BENCH_EVENTS)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import PARTITIONS, bench_bus, route_backlog, shared_broker, workload  # noqa: E402

EVENTS = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("FOURFOLD_BENCH_EVENTS", 3000))
WORKERS = (1, 2, 3)


def main() -> None:
    base = shared_broker()
    events = workload(EVENTS)
    rates: dict[int, float] = {}
    for workers in WORKERS:
        with bench_bus(base) as container:
            types, seconds = route_backlog(container, events, workers=workers)
        rates[workers] = EVENTS / seconds
        print(
            f"{workers} worker(s): {rates[workers]:8.0f} events/s  ({types['accepted']} accepted"
            f" + {types['derived']} derived in {seconds:.1f} s)",
            flush=True,
        )
    print(f"{EVENTS} events, {PARTITIONS} partitions per ingest topic; ratio to one worker:")
    print("  " + "   ".join(f"{n} workers {rates[n] / rates[1]:.2f}x" for n in WORKERS))


if __name__ == "__main__":
    main()
