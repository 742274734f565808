"""Dashboard pages against the JSON API: render time p50/p95 of each page and of the same query
through the read API, on read models filled with many copies of the sample history.

The read models are filled in-process, so no broker is needed: the first ``--template`` stories
(200 by default) as records the router writes, applied by the projector's own code; on PostgreSQL
the remaining stories are copies of those rows written with COPY, each copy with its ids, event ids,
log offsets and times renumbered (``clone``), which is how a million events fit in minutes instead of
an hour. On SQLite every story goes through the projector. Both sides go through the same FastAPI app
in-process (ASGI, no network), signed in as a person (page) or with the body's bearer token (API).

    python bench/bench_dashboard.py                                   # 60 stories into SQLite
    python bench/bench_dashboard.py --postgres --stories 34000 --repeats 5
        # a fresh database on FOURFOLD_TEST_POSTGRES_URL: 1.16 million log events, 102,000 clues
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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient
from sqlalchemy import Column, Engine, String, Table, func, select, text

from fourfold.registrar import DEMO_REGISTRY
from fourfold.settings import Settings
from projections import tokens
from projections.batch import apply_batch
from projections.clues import clues
from projections.db import UtcDateTime, utc_text
from projections.inbox import inbox
from projections.log_index import log_events
from projections.schema import read_model_tables
from projections.testing import (
    NAMESPACE,
    fresh_postgres_database,
    history,
    log_records,
    reference_history,
    sample_recipients,
    sealed_intake,
)
from projections.versions import SCHEMA_VERSION, ReadStore
from schemas import Topics
from tests.web_fixtures import PASSWORD, dashboard_app, people_store

TOPICS = Topics("bench")
BATCH = 5000
REPEATS = 20
HALF_START = datetime(2026, 1, 1, tzinfo=UTC)


def fill(store: ReadStore, stories: int, template: int) -> str:
    """Write ``stories`` copies of the sample history, spread over the first half of 2026: the first
    ``template`` through the projector, the rest cloned from them (PostgreSQL). Says how."""
    engine = store.engine()
    projected = stories if store.backend == "sqlite" else min(stories, template)
    spacing = timedelta(days=170) / max(1, stories)
    pending = reference_history(DEMO_REGISTRY)
    for i in range(1, projected + 1):
        pending += history(f"s{i}", HALF_START + spacing * i)
        if len(pending) * 2.4 >= BATCH or i == projected:
            with engine.begin() as conn:
                apply_batch(conn, log_records(TOPICS, pending, _recipients), sealed_intake(TOPICS), {})
            pending = []
    how = f"{projected:,} stories through the projector"
    if stories > projected:
        began = time.perf_counter()
        rows = clone(engine, projected, stories, spacing * projected)
        took = time.perf_counter() - began
        how += f", {stories - projected:,} cloned from them with COPY ({rows:,} rows in {took:.0f}s)"
    if store.backend == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    store.switch(SCHEMA_VERSION, "bench")
    return how


STORY_TAG = r"-s(\d+)(?!\d)"
"""How a story's ids end (``clue-1-s12``); tags are numbered 1, 2, 3 ..."""
COPIED = re.compile(
    rf"(?P<tag>{STORY_TAG})"
    r"|(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"|(?P<stamp>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)"
)
"""What a copy renumbers inside text (ids, version strings, payloads as delivered): story tags, event
ids and instants."""


class Copy:
    """The ``n``-th copy of the template stories: story ``i`` becomes story ``i + n * size``, every
    event id a new one derived from the old, every instant ``n * shift`` later."""

    def __init__(self, n: int, size: int, shift: timedelta):
        self.n, self.size, self.shift = n, size, shift
        self.ids: dict[str, str] = {}

    def text(self, value: str) -> str:
        return COPIED.sub(self._renumbered, value)

    def _renumbered(self, match: re.Match[str]) -> str:
        if match["tag"]:
            return f"-s{int(match[2]) + self.n * self.size}"
        if match["uuid"]:
            old = match["uuid"]
            if old not in self.ids:
                self.ids[old] = str(uuid.uuid5(NAMESPACE, f"{old}/{self.n}"))
            return self.ids[old]
        return utc_text(datetime.fromisoformat(match["stamp"].replace("Z", "+00:00")) + self.shift)

    def row(self, row: tuple[Any, ...], kinds: list[str], offset_span: int) -> tuple[Any, ...]:
        return tuple(
            self.text(v) if k == "text" and v else v + self.shift if k == "time" and v else
            v + self.n * offset_span if k == "offset" else v
            for v, k in zip(row, kinds, strict=True)
        )  # fmt: skip


def clone(engine: Engine, size: int, stories: int, shift: timedelta) -> int:
    """Copy every row of the ``size`` template stories until there are ``stories``; rows that belong
    to no story (reference data) are left alone. Returns the rows written."""
    written = 0
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table in read_model_tables():
            with engine.connect() as conn:
                rows = [tuple(r) for r in conn.execute(select(table))]
            names = ", ".join(f'"{c.name}"' for c in table.columns)
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in _copies(table, rows, size, stories, shift):
                    copy.write_row(row)
                    written += 1
            print(f"  cloned {table.name}: {written:,} rows so far", file=sys.stderr, flush=True)
        raw.commit()
    finally:
        raw.close()
    return written


def _copies(
    table: Table, rows: list[tuple[Any, ...]], size: int, stories: int, shift: timedelta
) -> Iterator[tuple[Any, ...]]:
    kinds = [_kind(c) for c in table.columns]
    tag = re.compile(STORY_TAG)
    story_rows = [(int(m[1]), r) for r in rows if (m := _first_tag(tag, r, kinds))]
    offsets = [r[kinds.index("offset")] for _, r in story_rows] if "offset" in kinds else []
    span = max(offsets, default=0) + 1
    for n in range(1, (stories - 1) // size + 1):
        renumber = Copy(n, size, shift)
        yield from (renumber.row(r, kinds, span) for story, r in story_rows if story + n * size <= stories)


def _kind(column: Column[Any]) -> str:
    if column.name == "offset":
        return "offset"
    if isinstance(column.type, UtcDateTime):
        return "time"
    return "text" if isinstance(column.type, String) else "other"


def _first_tag(tag: re.Pattern[str], row: tuple[Any, ...], kinds: list[str]) -> re.Match[str] | None:
    return next(
        (m for v, k in zip(row, kinds, strict=True) if k == "text" and v and (m := tag.search(v))), None
    )


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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--stories", type=int, default=60, help="copies of the sample history (34 events each)"
    )
    parser.add_argument(
        "--template",
        type=int,
        default=200,
        help="stories through the projector; the rest cloned (PostgreSQL)",
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
        databases = fresh_postgres_database(admin.get_secret_value()) if args.postgres and admin else None
        url = next(databases) if databases else f"sqlite:///{Path(tmp) / 'readmodels.db'}"
        store = ReadStore(url)
        began = time.perf_counter()
        how = fill(store, args.stories, args.template)
        took = time.perf_counter() - began
        with store.engine().connect() as conn:
            events, deliveries, clue_count = (
                conn.scalar(select(func.count()).select_from(t)) for t in (log_events, inbox, clues)
            )
        print(
            f"bench_dashboard: {store.backend}, {args.stories:,} stories: {events:,} log events,"
            f" {deliveries:,} inbox rows, {clue_count:,} clues; filled in {took:.0f}s ({how});"
            f" {args.repeats} requests each"
        )
        measure(store, Path(tmp), args.repeats)
        store.dispose()
        if databases:
            databases.close()


if __name__ == "__main__":
    main()
