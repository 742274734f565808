"""What integrity costs, in one run: the router's decision with and without the ownership checks, the
projector's batch with and without the seal check, and the seal against a signature per record.

No broker: the router is the same ``Router`` the worker runs (streams/testing.py's bench), the
projector's batches go into a SQLite file. Each figure is the best of a few alternated rounds, so a
burst of load elsewhere hits both sides alike. bench_replay.py and bench_router.py measure the same
code on the real broker.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_router import workload  # noqa: E402
from projections.batch import Intake, Record, apply_batch  # noqa: E402
from projections.db import make_engine  # noqa: E402
from projections.testing import history, log_records, sample_recipients, sealed_intake  # noqa: E402
from schemas import SigningKey, Topics, encode_event  # noqa: E402
from schemas.seal import Seal  # noqa: E402
from streams import admission  # noqa: E402
from streams.testing import demo_bench  # noqa: E402

EVENTS = 3_000
STORIES = 60
ROUNDS = 3


class _Unchecked(Intake):
    """The projector's intake before the seal: takes every record."""

    def refusal(self, record: Record) -> str | None:
        return None


def best_rate(run: Callable[[], int]) -> float:
    rates = []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        n = run()
        rates.append(n / (time.perf_counter() - began))
    return max(rates)


def router_rates() -> tuple[float, float]:
    """Events/s of Router.handle on a fresh state, with and without the ownership checks."""
    signed = []
    bench = demo_bench()
    for e in workload(EVENTS):
        signed.append((e.source_body, encode_event(bench.sign(e))))

    def run(checked: bool) -> Callable[[], int]:
        def once() -> int:
            fresh = bench.fresh()
            original = admission.check_ownership
            if not checked:
                admission.check_ownership = lambda *args: None  # type: ignore[assignment]
            try:
                for body_id, raw in signed:
                    fresh.send_raw(body_id, raw)
            finally:
                admission.check_ownership = original
            return len(signed)

        return once

    with_checks, without = [], []
    for _ in range(ROUNDS):
        with_checks.append(best_rate(run(True)))
        without.append(best_rate(run(False)))
    return max(with_checks), max(without)


def projector_rates() -> tuple[float, float]:
    """Records/s of apply_batch into SQLite, with and without the seal check."""
    topics = Topics("bench")
    records = [r for i in range(STORIES) for r in log_records(topics, history(f"s{i}"), sample_recipients)]

    def run(intake: Intake) -> Callable[[], int]:
        def once() -> int:
            with tempfile.TemporaryDirectory() as tmp:
                engine = make_engine(f"sqlite:///{tmp}/bench.db")
                from projections.db import create_schema

                create_schema(engine)
                for start in range(0, len(records), 1000):
                    with engine.begin() as conn:
                        apply_batch(conn, records[start : start + 1000], intake, {})
                engine.dispose()
            return len(records)

        return once

    checked, unchecked = sealed_intake(topics), _Unchecked(topics, Seal(b"x" * 32))
    return best_rate(run(checked)), best_rate(run(unchecked))


def per_record_micros(check: Callable[[], Any], n: int = 20_000) -> float:
    began = time.perf_counter()
    for _ in range(n):
        check()
    return (time.perf_counter() - began) / n * 1e6


def main() -> None:
    checked, unchecked = router_rates()
    print(f"router decision, {EVENTS} events, best of {ROUNDS} alternated rounds:")
    print(f"  with ownership checks    {checked:8,.0f} events/s")
    print(f"  without (before)         {unchecked:8,.0f} events/s   ratio {checked / unchecked:.2f}")
    sealed, unsealed = projector_rates()
    print(f"projector batches into SQLite ({STORIES} stories):")
    print(f"  with the seal check      {sealed:8,.0f} records/s")
    print(f"  without (before)         {unsealed:8,.0f} records/s   ratio {sealed / unsealed:.2f}")
    seal = Seal(b"k" * 32)
    value = encode_event(history()[5])
    headers = seal.headers("t", b"k", value)
    key = SigningKey.generate("bench:1")
    signature = key.sign(value)
    verify = key.verify_key
    mac = per_record_micros(lambda: seal.refusal("t", b"k", value, headers))
    ed = per_record_micros(lambda: verify.verify(signature, value), 5_000)
    print(f"per record: seal check {mac:.1f} µs, Ed25519 verify {ed:.1f} µs ({ed / mac:.0f}× the seal)")


if __name__ == "__main__":
    main()
