"""The tick's systemic rule over the findings inside the window: the sliding window
(``streams.deadlines.systemic_runs``) against the rule's definition read literally, one window per
finding (``streams.testing.literal_systemic_runs``), on the same findings in the same run.

The findings are at one unit, a minute apart, so no window is systemic: each tick looks at every
window, the case the literal reading pays for most. Prints both times and the ratio. No broker.

Usage: bench_systemic.py [FINDINGS]   (default 3000)
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from schemas.enums import Classification, Handling  # noqa: E402
from streams.deadlines import systemic_runs  # noqa: E402
from streams.derived import Policy  # noqa: E402
from streams.state import Finding  # noqa: E402
from streams.testing import demo_bench, literal_systemic_runs  # noqa: E402

FINDINGS = int(sys.argv[1]) if len(sys.argv) > 1 else 3000


def main() -> None:
    registry, policy = demo_bench().registry, Policy()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    findings = [
        Finding(
            f"f-{n}",
            "eight_point_rules",
            "yuzhong-hospital",
            start + timedelta(minutes=n),
            f"e-{n:08d}",
            Classification.INTERNAL,
            Handling.WITHIN_JURISDICTION,
        )
        for n in range(FINDINGS)
    ]
    began = time.perf_counter()
    sliding = list(systemic_runs(findings, registry, policy))
    slid = time.perf_counter() - began
    began = time.perf_counter()
    literal = literal_systemic_runs(findings, registry, policy)
    read = time.perf_counter() - began
    assert sliding == literal, "the sliding window disagrees with the definition"
    print(f"systemic rule over {FINDINGS:,} findings in one window, none systemic:")
    print(f"  sliding window:           {slid * 1e3:10.1f} ms")
    print(f"  one window per finding:   {read * 1e3:10.1f} ms")
    print(f"ratio: {read / slid:.0f}x faster")


if __name__ == "__main__":
    main()
