"""Dashboard pages against the JSON API: render time p50/p95 of each page and of the same query
through the read API, on read models filled with many copies of the sample history.

The read models are filled in-process (records as the router writes them, applied as the projector
applies them), so no broker is needed. Both sides go through the same FastAPI app in-process (ASGI,
no network), signed in as a person (page) or with the body's bearer token (API).

    python bench/bench_dashboard.py                  # 60 stories into SQLite (about 2,000 events)
    python bench/bench_dashboard.py --stories 30000  # about 1 million events, 90,000 clues
    python bench/bench_dashboard.py --postgres       # a fresh database on FOURFOLD_TEST_POSTGRES_URL
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text

from fourfold.registrar import DEMO_REGISTRY
from fourfold.settings import Settings
from projections import tokens
from projections.batch import apply_batch
from projections.testing import history, log_records, reference_history, sample_recipients, sealed_intake
from projections.versions import SCHEMA_VERSION, ReadStore
from schemas import Topics
from tests.web_fixtures import PASSWORD, dashboard_app, people_store

TOPICS = Topics("bench")
BATCH = 5000
REPEATS = 20
HALF_START = datetime(2026, 1, 1, tzinfo=UTC)


def fill(store: ReadStore, stories: int) -> tuple[int, int]:
    """Write ``stories`` copies of the sample history, spread over the first half of 2026."""
    engine = store.engine()
    intake = sealed_intake(TOPICS)
    events = records = 0
    spacing = timedelta(days=170) / max(1, stories)
    pending = reference_history(DEMO_REGISTRY)
    for i in range(stories + 1):
        if i:
            pending += history(f"s{i}", HALF_START + spacing * i)
        if len(pending) * 2.4 < BATCH and i < stories:
            continue
        batch = log_records(TOPICS, pending, _recipients)
        with engine.begin() as conn:
            apply_batch(conn, batch, intake, {})
        reported = events // 100_000
        events, records, pending = events + len(pending), records + len(batch), []
        if events // 100_000 > reported:
            print(f"  {i:,}/{stories:,} stories, {events:,} events", file=sys.stderr, flush=True)
    store.switch(SCHEMA_VERSION, "bench")
    return events, records


def _recipients(event: object) -> dict[str, tuple[str, ...]]:
    correlation = event.correlation_id  # type: ignore[attr-defined]
    tag = correlation.rsplit("-", 1)[-1] if "-s" in correlation else ""
    return sample_recipients(event, tag)  # type: ignore[arg-type]


PAGES: list[tuple[str, str, str, list[str]]] = [
    # (name, user, page, the same query through the API)
    ("inbox", "wang", "/ui/inbox", ["/bodies/city-commission/inbox"]),
    ("clue", "wang", "/ui/clues/clue-1-s1", ["/clues/clue-1-s1"]),
    ("dossier", "zhou", "/ui/units/yuzhong-hospital", ["/units/yuzhong-hospital/dossier"]),
    ("rectification board", "chen", "/ui/rectifications", ["/rectifications"]),
    ("inspection rounds", "chen", "/ui/rounds", ["/inspection-rounds"]),
    ("coordination", "zhang", "/ui/coordination", ["/systemic-issues", "/oversight-matters", "/plans"]),
    ("leadership", "liu", "/ui/leadership", ["/aggregates"]),
    ("half-yearly report", "liu", "/ui/report?half=2026H1", []),
]
BODIES = {"wang": "city-commission", "zhou": "yuzhong-commission", "chen": "city-office-1",
          "zhang": "city-comprehensive", "liu": "city-leadership"}  # fmt: skip


def timings(call: Callable[[], object], repeats: int) -> list[float]:
    call()  # warm
    out = []
    for _ in range(repeats):
        began = time.perf_counter()
        call()
        out.append(time.perf_counter() - began)
    return out


def p(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] * 1000 if len(values) > 1 else 0.0
    )


def measure(store: ReadStore, people_dir: Path, repeats: int) -> None:
    people = people_store(people_dir)
    app = dashboard_app(store, people)
    browsers: dict[str, TestClient] = {}
    for user in BODIES:
        client = TestClient(app)
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/ui/login").text)[1]
        client.post("/ui/login", data={"user_id": user, "password": PASSWORD, "csrf_token": token})
        browsers[user] = client
    machine = TestClient(app)
    keys = {user: tokens.issue(people.engine, body) for user, body in BODIES.items()}
    print(f"{'page':<22}{'page p50':>12}{'p95':>12}{'API p50':>12}{'p95':>12}{'page/API':>10}")
    for name, user, page, api in PAGES:
        browser = browsers[user]
        assert browser.get(page).status_code == 200, (name, browser.get(page).status_code)
        shown = timings(lambda b=browser, pg=page: b.get(pg), repeats)
        headers = {"Authorization": f"Bearer {keys[user]}"}

        def through_api(paths: list[str] = api, h: dict[str, str] = headers) -> None:
            for path in paths:
                assert machine.get(path, headers=h).status_code == 200, path

        line = f"{name:<22}{p(shown, 50):>10.1f}ms{p(shown, 95):>10.1f}ms"
        if api:
            queried = timings(through_api, repeats)
            ratio = statistics.median(shown) / statistics.median(queried)
            line += f"{p(queried, 50):>10.1f}ms{p(queried, 95):>10.1f}ms{ratio:>9.2f}×"
        else:
            line += f"{'(no API equivalent)':>34}"
        print(line)
    people.dispose()


def postgres_database(admin_url: str) -> Iterator[str]:
    name = f"ff_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--stories", type=int, default=60, help="copies of the sample history (34 events each)"
    )
    parser.add_argument("--repeats", type=int, default=REPEATS, help="timed requests per page and per query")
    parser.add_argument(
        "--postgres", action="store_true", help="a fresh database on FOURFOLD_TEST_POSTGRES_URL"
    )
    args = parser.parse_args()
    with TemporaryDirectory() as tmp:
        admin = Settings().test_postgres_url
        if args.postgres and admin is None:
            sys.exit("--postgres needs FOURFOLD_TEST_POSTGRES_URL")
        databases = postgres_database(admin.get_secret_value()) if args.postgres and admin else None
        url = next(databases) if databases else f"sqlite:///{Path(tmp) / 'readmodels.db'}"
        store = ReadStore(url)
        began = time.perf_counter()
        events, records = fill(store, args.stories)
        backend = make_url(url).get_backend_name()
        print(
            f"bench_dashboard: {backend}, {args.stories:,} stories: {events:,} log events"
            f" ({records:,} records), {args.stories * 3:,} clues,"
            f" filled in {time.perf_counter() - began:.0f}s; {args.repeats} requests each"
        )
        measure(store, Path(tmp), args.repeats)
        store.dispose()
        if databases:
            databases.close()


if __name__ == "__main__":
    main()
