"""Commands over the read models: replay, digest, serve, audit questions, tokens and versions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from fourfold.bootstrap import Container

console = Console()
audit_app = typer.Typer(help="Audit questions answered from the log and the inboxes.", no_args_is_help=True)
tokens_app = typer.Typer(help="The read API's per-body bearer tokens.", no_args_is_help=True)
readmodels_app = typer.Typer(help="Read-model schema versions and the live pointer.", no_args_is_help=True)

AsOf = Annotated[str, typer.Option("--as-of", help="A moment, ISO 8601 (UTC unless it names a zone).")]


def register(app: typer.Typer) -> None:
    """Add these commands to the ``fourfold`` command line."""
    app.command("replay")(replay)
    app.command("digest")(digest)
    app.command("serve")(serve)
    app.command("openapi")(openapi)
    app.add_typer(audit_app, name="audit")
    app.add_typer(tokens_app, name="tokens")
    app.add_typer(readmodels_app, name="readmodels")


def moment(text: str) -> datetime:
    """An ISO 8601 time; one without a zone is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 time, e.g. 2026-03-02T10:00:00Z") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def replay(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Stop at this moment (record time, ISO 8601).")
    ] = None,
    into: Annotated[
        str | None,
        typer.Option("--into", help="A fresh database URL; a new SQLite file under home when unset."),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Records per transaction.")] = 5000,
) -> None:
    """Rebuild every read model from offset 0 (or as of a moment) into a fresh database; print its digest."""
    from projections.digest import counts
    from projections.digest import digest as digest_of
    from projections.replay import replay as run_replay
    from projections.versions import SCHEMA_VERSION, ReadStore

    container = Container()
    bootstrap = container.ensure_broker()
    stop = moment(as_of) if as_of else None
    url = into or _fresh_sqlite(container)
    store = ReadStore(url)
    engine = store.engine()
    if any(counts(engine).values()):
        console.print(
            f"[red]{store.location()} already holds read models; replay needs a fresh database.[/red]"
        )
        raise typer.Exit(2)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("Replaying the log and inboxes", total=None)
        result = run_replay(
            engine,
            bootstrap,
            container.topics,
            as_of=stop,
            batch_size=batch_size,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    store.switch(SCHEMA_VERSION, f"replay as of {stop.isoformat()}" if stop else "replay to the end")
    _print_counts(counts(engine))
    console.print(
        f"{result.records} records ({result.events} events) in {result.seconds:.2f}s,"
        f" {result.rate:,.0f} records/s, into {store.location()}"
        + (f", as of {stop.isoformat()}" if stop else "")
    )
    typer.echo(f"digest {digest_of(engine)}")


def digest(
    url: Annotated[str | None, typer.Option(help="Database URL; the configured one when unset.")] = None,
) -> None:
    """Print the digest of the read models (SHA-256 over every read-model table, sorted)."""
    from projections.digest import digest as digest_of
    from projections.versions import ReadStore

    engine = ReadStore(url).engine() if url else Container().engine
    typer.echo(f"digest {digest_of(engine)}")


def serve(
    host: Annotated[str | None, typer.Option(help="Interface; settings' api_host when unset.")] = None,
    port: Annotated[int | None, typer.Option(help="Port; settings' api_port when unset.")] = None,
) -> None:
    """Run the read API (OpenAPI at /openapi.json, docs at /docs) until stopped."""
    import uvicorn

    container = Container()
    s = container.settings
    uvicorn.run(
        container.read_api(), host=host or s.api_host, port=port or s.api_port, log_level=s.log_level.lower()
    )


def openapi() -> None:
    """Print the read API's OpenAPI document."""
    typer.echo(json.dumps(Container().read_api().openapi(), indent=2, ensure_ascii=False))


@audit_app.command("clue")
def audit_clue(clue_id: Annotated[str, typer.Argument(help="The clue, e.g. clue-0001.")]) -> None:
    """Who held clue C, and when (exit 1 if the log shows no custody of it)."""
    from projections.audit import custody, in_register

    with Container().engine.connect() as conn:
        spells = custody(conn, clue_id)
        registered = not spells and in_register(conn, clue_id)
    if registered:
        console.print(
            f"Clue {clue_id} has no custody on the log: the clue register knows it from a later event,"
            " but no ProblemClueReceived or ClueHandedOver for it has been projected.",
            highlight=False,
        )
        raise typer.Exit(1)
    if not spells:
        console.print(
            f"Clue {clue_id} is unknown: it has no custody on the log, as no ProblemClueReceived or"
            " ClueHandedOver for it has been projected (check the id; the projector may be behind).",
            highlight=False,
        )
        raise typer.Exit(1)
    _table(f"Custody of {clue_id}", spells, ("holder", "since", "until", "from_body", "via", "reason"))


@audit_app.command("event")
def audit_event(event_id: Annotated[str, typer.Argument(help="The event's id (a UUID).")]) -> None:
    """Which bodies received event E, and when."""
    from projections.audit import logged_event, recipients

    with Container().engine.connect() as conn:
        event, receipts = logged_event(conn, event_id), recipients(conn, event_id)
    if event is None:
        console.print(f"Event {event_id} is not on the log.")
        raise typer.Exit(1)
    console.print(
        f"{event['event_type']} by {event['source_body']} about {event['subject']},"
        f" occurred {_show(event['occurred_at'])}, logged {_show(event['logged_at'])}"
        f" at partition {event['partition']} offset {event['offset']}"
    )
    _table(f"Recipients of {event_id}", receipts, ("recipient", "delivered_at", "reasons", "redacted"))


@audit_app.command("knew")
def audit_knew(
    body_id: Annotated[str, typer.Argument(help="The body, e.g. city-commission.")], as_of: AsOf
) -> None:
    """What body B knew as of D: every delivery it had received by then."""
    from projections.audit import knowledge

    with Container().engine.connect() as conn:
        rows = knowledge(conn, body_id, moment(as_of))
    columns = ("delivered_at", "occurred_at", "event_type", "source_body", "subject", "reasons", "redacted")
    _table(f"What {body_id} knew as of {as_of}", rows, columns)


@tokens_app.command("issue")
def tokens_issue(
    body_id: Annotated[str, typer.Argument(help="The body the token speaks for.")],
    force: Annotated[
        bool, typer.Option(help="Issue even if the read models do not know the body yet.")
    ] = False,
) -> None:
    """Issue a bearer token for a body; it is printed once and stored only as its SHA-256."""
    from projections.access import reader
    from projections.tokens import issue

    container = Container()
    with container.engine.connect() as conn:
        known = reader(conn, body_id).kind is not None
    if not known and not force:
        console.print(f"[red]No body {body_id!r} in the read models (use --force to issue anyway).[/red]")
        raise typer.Exit(2)
    typer.echo(issue(container.read_store.control, body_id))


@tokens_app.command("revoke")
def tokens_revoke(body_id: Annotated[str, typer.Argument(help="The body whose tokens to revoke.")]) -> None:
    """Revoke every live token of a body."""
    from projections.tokens import revoke

    count = revoke(Container().read_store.control, body_id)
    console.print(f"Revoked {count} token(s) of {body_id}.")


@tokens_app.command("list")
def tokens_list() -> None:
    """List tokens by body (never the tokens themselves)."""
    from projections.tokens import listed

    _table("API tokens", listed(Container().read_store.control), ("body_id", "issued_at", "revoked_at"))


@readmodels_app.command("status")
def readmodels_status() -> None:
    """Schema versions in the database, the live pointer, and how far behind the log this version is."""
    from projections.projector import behind
    from projections.versions import SCHEMA_VERSION

    container = Container()
    store = container.read_store
    lag = behind(container.engine, container.ensure_broker(), container.topics)
    console.print(f"this code builds and reads schema v{SCHEMA_VERSION} at {store.location()}")
    console.print(
        f"versions present: {store.versions()}; live: {store.live_version()}; behind the log: {lag}"
    )


@readmodels_app.command("switch")
def readmodels_switch(
    version: Annotated[int, typer.Argument(help="The schema version to make live.")],
) -> None:
    """Point the live pointer at a version by hand (the projector does it once a new version caught up)."""
    store = Container().read_store
    if version not in store.versions():
        console.print(f"[red]No read models of v{version} here; present: {store.versions()}[/red]")
        raise typer.Exit(2)
    store.switch(version, "switched by hand")
    console.print(f"live: v{store.live_version()}")


def _fresh_sqlite(container: Container) -> str:
    directory = (container.settings.home / "replays").resolve()
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory / datetime.now(UTC).strftime('replay-%Y%m%dT%H%M%S%fZ.db')}"


def _print_counts(counts: dict[str, int]) -> None:
    table = Table(title="Read models")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in counts.items():
        table.add_row(name, str(n))
    console.print(table)


def _show(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return "-" if value is None or value == "" else str(value)


def _table(title: str, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    table = Table(title=f"{title} ({len(rows)})")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(_show(row[c]) for c in columns))
    console.print(table)
