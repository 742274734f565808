"""Read-model schema versions: each version is built in its own namespace, and a pointer says which is live.

A schema change is never migrated in place. The new code's projector builds version N+1 from offset 0
beside version N (a PostgreSQL schema ``readmodels_v<N>``, or a SQLite file ``<name>.v<N>.db`` beside
the configured one) while N keeps serving; once it has caught up with the log it switches the pointer,
and the read API follows the pointer. The pointer lives in the configured database itself, outside
every version; users and API tokens live in another database altogether (projections/identity.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, make_url, select, text
from sqlalchemy.dialects import postgresql, sqlite

from projections.db import UtcDateTime, create_schema, make_engine

SCHEMA_VERSION = 3
"""Bump when any read-model table changes shape or meaning (see docs/read-models.md)."""

control = MetaData()
"""Tables of the configured database that outlive read-model versions: the pointer."""

pointer = Table(
    "readmodel_pointer",
    control,
    Column("name", String(16), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("switched_at", UtcDateTime, nullable=False),
    Column("note", String(255), nullable=False),
)


class UnsupportedDatabase(ValueError):
    """Raised for a database URL that cannot hold versioned read models (SQLite and PostgreSQL can)."""


class ReadStore:
    """One database's read models: an engine per schema version, and the pointer to the live one."""

    def __init__(self, url: str):
        self.url = url
        self._engines: dict[int, Engine] = {}
        backend = make_url(url).get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise UnsupportedDatabase(f"read models need SQLite or PostgreSQL, not {backend!r}")
        self.backend = backend

    @cached_property
    def control(self) -> Engine:
        """The configured database itself, with the pointer table."""
        if self.backend == "sqlite":
            self._sqlite_path().parent.mkdir(parents=True, exist_ok=True)
        engine = make_engine(self.url)
        control.create_all(engine)
        return engine

    def engine(self, version: int = SCHEMA_VERSION) -> Engine:
        """The engine whose unqualified table names are those of ``version``; created if missing."""
        if version not in self._engines:
            self._engines[version] = self._open(version)
        return self._engines[version]

    def location(self, version: int = SCHEMA_VERSION) -> str:
        """Where a version's tables are, for people."""
        if self.backend == "sqlite":
            return str(self._version_path(version))
        return f"schema {_schema(version)} of {make_url(self.url).render_as_string(hide_password=True)}"

    def live_version(self) -> int | None:
        with self.control.connect() as conn:
            return conn.scalar(select(pointer.c.version).where(pointer.c.name == "live"))

    def switch(self, version: int, note: str = "", *, only_if_newer: bool = False) -> bool:
        """Point the live pointer at ``version``; with ``only_if_newer``, never backwards.
        Returns whether the pointer moved."""
        dialect = postgresql if self.backend == "postgresql" else sqlite
        stmt = dialect.insert(pointer).values(
            name="live", version=version, switched_at=datetime.now(UTC), note=note[:255]
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[pointer.c.name],
            set_={c: stmt.excluded[c] for c in ("version", "switched_at", "note")},
            where=(pointer.c.version < stmt.excluded.version) if only_if_newer else None,
        )
        current = select(pointer.c.version).where(pointer.c.name == "live")
        with self.control.begin() as conn:
            before = conn.scalar(current)
            conn.execute(stmt)
            return before != version and conn.scalar(current) == version

    def versions(self) -> list[int]:
        """The versions that have a namespace in this database."""
        if self.backend == "sqlite":
            path = self._sqlite_path()
            found = (
                p.name.removeprefix(f"{path.stem}.v").removesuffix(path.suffix)
                for p in path.parent.glob(f"{path.stem}.v*{path.suffix}")
            )
            return sorted(int(v) for v in found if v.isdigit())
        query = text("SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE :p")
        with self.control.connect() as conn:
            names = list(conn.scalars(query, {"p": f"{SCHEMA_PREFIX}%"}))
        return sorted(int(v) for n in names if (v := n.removeprefix(SCHEMA_PREFIX)).isdigit())

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        if "control" in self.__dict__:
            self.control.dispose()

    def _open(self, version: int) -> Engine:
        if self.backend == "sqlite":
            self.control  # noqa: B018 - the pointer's database exists before any version's
            engine = make_engine(
                make_url(self.url)
                .set(database=str(self._version_path(version)))
                .render_as_string(hide_password=False)
            )
        else:
            with self.control.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{_schema(version)}"'))
            engine = make_engine(self.url, connect_args={"options": f"-csearch_path={_schema(version)}"})
        if version == SCHEMA_VERSION:
            create_schema(engine)
        return engine

    def _sqlite_path(self) -> Path:
        database = make_url(self.url).database
        if not database or database == ":memory:":
            raise UnsupportedDatabase("versioned read models need a SQLite file, not an in-memory database")
        return Path(database).resolve()

    def _version_path(self, version: int) -> Path:
        path = self._sqlite_path()
        return path.with_name(f"{path.stem}.v{version}{path.suffix}")


SCHEMA_PREFIX = "readmodels_v"


def _schema(version: int) -> str:
    return f"{SCHEMA_PREFIX}{version}"
