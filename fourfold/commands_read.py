"""Commands over the read models: replay, digest, serve, audit questions, tokens and versions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from fourfold.bootstrap import Container

audit_app = typer.Typer(help="Audit questions answered from the log and the inboxes.", no_args_is_help=True)
tokens_app = typer.Typer(help="The read API's per-body bearer tokens.", no_args_is_help=True)
readmodels_app = typer.Typer(help="Read-model schema versions and the live pointer.", no_args_is_help=True)

ValidAt = Annotated[
    str | None,
    typer.Option(
        "--valid-at",
        help="Event time, ISO 8601: only facts that had occurred by then (as the log knows them now,"
        " unless --as-of also limits what was recorded).",
    ),
]


@cache
def out(*, stderr: bool = False) -> Console:
    """The console (or the error console), made when first used: rich costs time to import."""
    from rich.console import Console

    return Console(stderr=stderr)


def _container() -> Container:
    from fourfold.bootstrap import Container

    return Container()


def register(app: typer.Typer) -> None:
    """Add these commands to the ``fourfold`` command line."""
    from fourfold.commands_verify import verify

    app.command("replay")(replay)
    app.command("verify")(verify)
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
    valid_at: ValidAt = None,
    into: Annotated[
        str | None,
        typer.Option("--into", help="A fresh database URL; a new SQLite file under home when unset."),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Records per transaction.")] = 5000,
) -> None:
    """Verify the log, then rebuild every read model from offset 0 (or as of a moment) into a fresh
    database; print its digest."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from fourfold.acl import PROJECTOR
    from fourfold.commands_verify import verified_or_exit
    from projections.digest import counts
    from projections.digest import digest as digest_of
    from projections.replay import replay as run_replay
    from projections.versions import SCHEMA_VERSION, ReadStore

    console = out()
    container = _container()
    container.ensure_broker()
    stop = moment(as_of) if as_of else None
    valid = moment(valid_at) if valid_at else None
    url = into or _fresh_sqlite(container)
    store = ReadStore(url)
    engine = store.engine()
    if any(counts(engine).values()):
        console.print(
            f"[red]{store.location()} already holds read models; replay needs a fresh database.[/red]"
        )
        raise typer.Exit(2)
    verified_or_exit(container, console)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("Replaying the log and inboxes", total=None)
        result = run_replay(
            engine,
            container.access(PROJECTOR),
            container.intake(),
            as_of=stop,
            valid_at=valid,
            batch_size=batch_size,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    note = (f"as of {stop.isoformat()}" if stop else "to the end") + (
        f", events valid at {valid.isoformat()}" if valid else ""
    )
    store.switch(SCHEMA_VERSION, f"replay {note}")
    _print_counts(counts(engine))
    console.print(
        f"{result.records} records ({result.events} events) in {result.seconds:.2f}s,"
        f" {result.rate:,.0f} records/s, into {store.location()}"
        + (f", as of {stop.isoformat()}" if stop else "")
        + (f", events valid at {valid.isoformat()}" if valid else "")
    )
    typer.echo(f"digest {digest_of(engine)}")


def digest(
    url: Annotated[str | None, typer.Option(help="Database URL; the configured one when unset.")] = None,
) -> None:
    """Print the digest of the read models (SHA-256 over every read-model table, sorted)."""
    from projections.digest import digest as digest_of
    from projections.versions import ReadStore

    engine = ReadStore(url).engine() if url else _container().engine
    typer.echo(f"digest {digest_of(engine)}")


def serve(
    host: Annotated[str | None, typer.Option(help="Interface; settings' api_host when unset.")] = None,
    port: Annotated[int | None, typer.Option(help="Port; settings' api_port when unset.")] = None,
) -> None:
    """Run the read API (OpenAPI at /openapi.json, docs at /docs) until stopped."""
    import uvicorn

    container = _container()
    s = container.settings
    uvicorn.run(
        container.read_api(), host=host or s.api_host, port=port or s.api_port, log_level=s.log_level.lower()
    )


def openapi() -> None:
    """Print the read API's OpenAPI document."""
    typer.echo(json.dumps(_container().read_api().openapi(), indent=2, ensure_ascii=False))


@audit_app.command("clue")
def audit_clue(clue_id: Annotated[str, typer.Argument(help="The clue, e.g. clue-0001.")]) -> None:
    """Who held clue C, and when (exit 1 if the log shows no custody of it)."""
    from projections.audit import custody, in_register

    with _container().engine.connect() as conn:
        spells = custody(conn, clue_id)
        registered = not spells and in_register(conn, clue_id)
    if registered:
        out().print(
            f"Clue {clue_id} has no custody on the log: the clue register knows it from a later event,"
            " but no ProblemClueReceived or ClueHandedOver for it has been projected.",
            highlight=False,
        )
        raise typer.Exit(1)
    if not spells:
        out().print(
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

    with _container().engine.connect() as conn:
        event, receipts = logged_event(conn, event_id), recipients(conn, event_id)
    if event is None:
        out().print(f"Event {event_id} is not on the log.")
        raise typer.Exit(1)
    out().print(
        f"{event['event_type']} by {event['source_body']} about {event['subject']},"
        f" occurred {_show(event['occurred_at'])}, logged {_show(event['logged_at'])}"
        f" at partition {event['partition']} offset {event['offset']}"
    )
    _table(f"Recipients of {event_id}", receipts, ("recipient", "delivered_at", "reasons", "redacted"))


@audit_app.command("knew")
def audit_knew(
    body_id: Annotated[str, typer.Argument(help="The body, e.g. city-commission.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Knowledge time, ISO 8601: what had reached B by then.")
    ] = None,
    valid_at: ValidAt = None,
) -> None:
    """What body B knew as of D (--as-of, knowledge time), or what had happened by V as B knows it
    now (--valid-at, event time); both together: what had happened by V as B knew it on D."""
    from projections.audit import knowledge

    if as_of is None and valid_at is None:
        raise typer.BadParameter("give --as-of, --valid-at or both")
    with _container().engine.connect() as conn:
        rows = knowledge(
            conn, body_id, moment(as_of) if as_of else None, moment(valid_at) if valid_at else None
        )
    columns = ("delivered_at", "occurred_at", "event_type", "source_body", "subject", "reasons", "redacted")
    when = " and ".join(
        [*([f"as of {as_of}"] if as_of else []), *([f"of facts valid at {valid_at}"] if valid_at else [])]
    )
    _table(f"What {body_id} knew {when}", rows, columns)


@audit_app.command("viewers")
def audit_viewers(
    record: Annotated[str, typer.Argument(help="clue or dossier.")],
    record_id: Annotated[str, typer.Argument(help="The clue's id, or the unit's for a dossier.")],
) -> None:
    """Who opened clue C (or unit U's dossier) on the dashboards, and when."""
    from projections.audit import viewers
    from schemas.enums import ViewedRecord

    if record not in ViewedRecord.__members__.values():
        raise typer.BadParameter(f"{record!r}: say clue or dossier")
    with _container().engine.connect() as conn:
        rows = viewers(conn, record, record_id)
    _table(f"Who opened {record} {record_id}", rows, ("viewed_at", "viewer", "viewer_body", "recorded_by"))


@audit_app.command("viewed")
def audit_viewed(
    user_id: Annotated[str, typer.Argument(help="The person's sign-in name, e.g. wang.li.")],
) -> None:
    """What person U opened on the dashboards (clues and dossiers), and when."""
    from projections.audit import viewed_by

    with _container().engine.connect() as conn:
        rows = viewed_by(conn, user_id)
    _table(f"What {user_id} opened", rows, ("viewed_at", "record", "record_id", "viewer_body"))


@tokens_app.command("issue")
def tokens_issue(
    body_ids: Annotated[
        list[str], typer.Argument(metavar="BODY", help="The bodies, one token each.", show_default=False)
    ],
    force: Annotated[bool, typer.Option(help="Issue even for a body registered nowhere.")] = False,
) -> None:
    """Issue a bearer token for each BODY: printed once, stored only as its SHA-256.

    One body: the token alone is printed. Several: one line `BODY TOKEN` each.

    A body registered on the log that the projector has not reached yet gets its token, with a note.

    If any body is registered nowhere, no token is issued (exit 2), unless --force.
    """
    from projections.access import known_bodies
    from projections.tokens import issue_tokens

    bodies = list(dict.fromkeys(body_ids))
    container = _container()
    with container.engine.connect() as conn:
        unseen = [b for b in bodies if b not in known_bodies(conn, bodies)]
    if unseen and not force:
        _check_registered(container, unseen)
    for body_id, token in issue_tokens(container.identity.engine, bodies):
        typer.echo(token if len(bodies) == 1 else f"{body_id} {token}")


def _check_registered(container: Container, unseen: list[str]) -> None:
    """Note each body the projector has not reached yet; exit 2 if any is registered nowhere."""
    from kafka.errors import KafkaError

    from fourfold.acl import OPERATOR
    from fourfold.operations import registered_bodies

    err = out(stderr=True)
    try:
        on_log = registered_bodies(container.access(OPERATOR), container.topics.reference)
    except (KafkaError, TimeoutError) as exc:
        err.print(
            f"[red]Not in the read models yet: {', '.join(unseen)}; and the log could not be read to tell"
            f" whether they are registered ({type(exc).__name__}: {exc}). If they are, the projector"
            " has not caught up: try again shortly, or use --force. No token issued.[/red]",
            highlight=False,
        )
        raise typer.Exit(2) from None
    for body_id in unseen:
        if body_id in on_log:
            err.print(
                f"[yellow]{body_id} is registered on the log, but the projector has not reached its"
                " registration yet: the token works, and the read API answers for it once the projector"
                " has caught up (is `fourfold project` running?).[/yellow]",
                highlight=False,
            )
    nowhere = [b for b in unseen if b not in on_log]
    for body_id in nowhere:
        err.print(
            f"[red]{body_id} is not a registered body: it is neither in the read models nor in the log's"
            " reference data. Check the name, or publish its registration first (`fourfold registry"
            " FILE`; the router takes it in within seconds); --force issues a token anyway.[/red]",
            highlight=False,
        )
    if nowhere:
        err.print("No token issued.")
        raise typer.Exit(2)


@tokens_app.command("revoke")
def tokens_revoke(body_id: Annotated[str, typer.Argument(help="The body whose tokens to revoke.")]) -> None:
    """Revoke every live token of a body."""
    from projections.tokens import revoke

    count = revoke(_container().identity.engine, body_id)
    out().print(f"Revoked {count} token(s) of {body_id}.")


@tokens_app.command("list")
def tokens_list() -> None:
    """List tokens by body (never the tokens themselves)."""
    from projections.tokens import listed

    _table("API tokens", listed(_container().identity.engine), ("body_id", "issued_at", "revoked_at"))


@readmodels_app.command("status")
def readmodels_status() -> None:
    """Schema versions in the database, the live pointer, and how far behind the log this version is."""
    from fourfold.acl import PROJECTOR
    from projections.projector import behind
    from projections.versions import SCHEMA_VERSION

    container = _container()
    store = container.read_store
    container.ensure_broker()
    lag = behind(container.engine, container.access(PROJECTOR), container.topics)
    out().print(f"this code builds and reads schema v{SCHEMA_VERSION} at {store.location()}")
    out().print(f"versions present: {store.versions()}; live: {store.live_version()}; behind the log: {lag}")


@readmodels_app.command("switch")
def readmodels_switch(
    version: Annotated[int, typer.Argument(help="The schema version to make live.")],
) -> None:
    """Point the live pointer at a version by hand (the projector does it once a new version caught up)."""
    store = _container().read_store
    if version not in store.versions():
        out().print(f"[red]No read models of v{version} here; present: {store.versions()}[/red]")
        raise typer.Exit(2)
    store.switch(version, "switched by hand")
    out().print(f"live: v{store.live_version()}")


def _fresh_sqlite(container: Container) -> str:
    directory = (container.settings.home / "replays").resolve()
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory / datetime.now(UTC).strftime('replay-%Y%m%dT%H%M%S%fZ.db')}"


def _print_counts(counts: dict[str, int]) -> None:
    from rich.table import Table

    table = Table(title="Read models")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in counts.items():
        table.add_row(name, str(n))
    out().print(table)


def _show(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return "-" if value is None or value == "" else str(value)


def _table(title: str, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    from rich.table import Table

    table = Table(title=f"{title} ({len(rows)})")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(_show(row[c]) for c in columns))
    out().print(table)
