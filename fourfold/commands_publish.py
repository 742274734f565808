"""The ``fourfold publish`` and ``fourfold keys`` commands."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:  # the rest is imported by the command that needs it, so the CLI starts quickly
    from rich.console import Console
    from rich.progress import Progress

    from fourfold.bootstrap import Container
    from fourfold.bulk import ImportResult
    from producers import Publisher
    from producers.lines import Format
    from schemas.events.reference import (
        EncryptionKeyRegistered,
        EncryptionKeyRevoked,
        SigningKeyRegistered,
        SigningKeyRevoked,
    )

keys_app = typer.Typer(help="Bodies' signing keys.", no_args_is_help=True)

EXIT_REFUSED = 1
EXIT_UNDELIVERED = 3
EXIT_INTERRUPTED = 130


@cache
def _console() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def _container() -> Container:
    from fourfold.bootstrap import Container

    return Container()


def publish(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Events: JSON Lines or CSV.")],
    body_id: Annotated[str, typer.Option("--as", help="The publishing body, e.g. city-letters.")],
    key: Annotated[Path, typer.Option("--key", exists=True, dir_okay=False, help="The body's key file.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="jsonl or csv; by default from the file's suffix.")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="Where refused lines go; FILE.refused.jsonl by default.")
    ] = None,
    wait: Annotated[bool, typer.Option(help="Wait until Kafka has acknowledged every event.")] = True,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the acknowledgements.")] = 120.0,
) -> None:
    """Validate, sign and publish every line of FILE as BODY, through the local outbox.

    Exit codes: 0 all published; 1 some lines refused (see the report); 3 accepted events still
    wait in the outbox (sent on the next run); 130 interrupted (what was accepted is in the outbox).
    """
    from fourfold.bulk import write_report
    from producers.keyfile import read_key_file
    from producers.lines import format_of

    container = _container()
    try:
        signing_key = read_key_file(key, default_key_id=f"{body_id}:1")
    except ValueError as exc:
        _console().print(f"[red]Cannot read the key file {key}: {exc}[/red]")
        raise typer.Exit(2) from None
    form: Format = "csv" if (fmt or format_of(file)) == "csv" else "jsonl"
    publisher = container.publisher(body_id, signing_key, outbox=True)
    with _interruptible() as interrupted:
        result = _import(publisher, file, form, interrupted)
        delivered = not interrupted() and wait and _wait_for_delivery(publisher, timeout, interrupted)
        stopped = interrupted()
    waiting = publisher.outbox_depth
    publisher.close(timeout=5 if delivered else 0)
    report = report or file.with_name(file.name + ".refused.jsonl")
    if result.refused:
        write_report(report, result.refused)
    _print_summary(result, publisher.body_id, report, delivered if wait else None, waiting)
    if stopped:
        raise typer.Exit(EXIT_INTERRUPTED)
    if result.refused:
        raise typer.Exit(EXIT_REFUSED)
    if wait and not delivered:
        raise typer.Exit(EXIT_UNDELIVERED)


def _import(publisher: Publisher, file: Path, form: Format, interrupted: Any) -> ImportResult:
    from fourfold.bulk import import_file
    from producers.lines import count_lines

    total = count_lines(file, form)
    with _progress() as progress:
        task = progress.add_task(f"Publishing as {publisher.body_id}", total=total)
        return import_file(
            publisher, file, form, stopping=interrupted, advance=lambda n: progress.advance(task, n)
        )


def _wait_for_delivery(publisher: Publisher, timeout: float, interrupted: Any) -> bool:
    from producers import NotAuthenticated, NotAuthorised, PublishError, TopicMissing

    deadline = time.monotonic() + timeout
    with _progress() as progress:
        depth = publisher.outbox_depth
        task = progress.add_task("Waiting for Kafka's acknowledgements", total=depth or 1)
        while not interrupted():
            try:
                publisher.flush(timeout=0.5)
                progress.update(task, completed=depth or 1)
                return True
            except (TopicMissing, NotAuthorised, NotAuthenticated) as exc:
                _console().print(f"[red]{exc}[/red]")
                return False
            except PublishError as exc:
                if time.monotonic() >= deadline:
                    _console().print(f"[yellow]{exc}[/yellow]")
                    return False
            progress.update(task, completed=max(0, depth - publisher.outbox_depth))
    return False


def _print_summary(
    result: ImportResult, body_id: str, report: Path, delivered: bool | None, waiting: int
) -> None:
    from rich.table import Table

    table = Table(title=f"Published as {body_id}", show_header=False)
    table.add_row("lines read", str(result.read))
    table.add_row("accepted (stored in the outbox)", str(result.accepted))
    table.add_row("already accepted by an earlier run", str(result.already))
    table.add_row("refused", f"{len(result.refused)}" + (f" (see {report})" if result.refused else ""))
    if delivered is not None:
        table.add_row("delivered to Kafka", "all" if delivered else "not yet")
    table.add_row("still waiting in the outbox", str(waiting))
    _console().print(table)
    if result.stopped_after is not None:
        _console().print(
            f"[yellow]Interrupted after line {result.stopped_after}: every line up to it was accepted"
            " or refused; accepted events are safe in the outbox and go out on the next run.[/yellow]"
        )


@contextmanager
def _interruptible() -> Iterator[Any]:
    """The first Ctrl-C asks to stop between lines; a second one stops at once."""
    asked = False

    def _ask(signum: int, frame: object) -> None:
        nonlocal asked
        if asked:
            raise KeyboardInterrupt
        asked = True

    previous = signal.signal(signal.SIGINT, _ask)
    try:
        yield lambda: asked
    finally:
        signal.signal(signal.SIGINT, previous)


def _progress() -> Progress:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_console(),
        transient=False,
    )


@keys_app.command("new")
def keys_new(
    body_id: Annotated[str, typer.Argument(help="The body the key is for.")],
    register: Annotated[bool, typer.Option(help="Publish the public key's registration.")] = True,
) -> None:
    """Create a key pair for BODY (a new key id if it has one) and register its public key."""
    container = _container()
    key = container.keys.create(body_id)
    _console().print(f"Key {key.key_id} written to {container.keys.path(body_id)}")
    _console().print(f"Public key: {key.verify_key.text}")
    if register:
        keys_register(body_id)


@keys_app.command("register")
def keys_register(body_id: Annotated[str, typer.Argument(help="The body whose key to register.")]) -> None:
    """Publish, as the registrar, the registration of BODY's current public key."""
    from fourfold.acl import OPERATOR
    from fourfold.operations import provision, revoked_keys
    from schemas.events.reference import SigningKeyRegistered

    container = _container()
    container.ensure_broker()
    provision(container, [body_id])
    key = container.keys.load(body_id).verify_key
    revoked = revoked_keys(container.access(OPERATOR), container.topics.reference)
    if (body_id, key.key_id) in revoked:
        _console().print(
            f"[red]Cannot register {key.key_id}: it was revoked ({revoked[body_id, key.key_id]}),"
            f" and a revoked key is never valid again. Make a new one: fourfold keys new {body_id}[/red]"
        )
        raise typer.Exit(2)
    payload = SigningKeyRegistered(body_id=body_id, key_id=key.key_id, public_key=key.text)
    event_id = _publish_as_registrar(container, payload, retry=f"fourfold keys register {body_id}")
    _console().print(f"Registered {key.key_id} as the registrar (event {event_id}).")


@keys_app.command("revoke")
def keys_revoke(
    body_id: Annotated[str, typer.Argument(help="The body whose key to revoke.")],
    key_id: Annotated[str, typer.Argument(help="The key to revoke, e.g. city-office-1:1.")],
    reason: Annotated[str, typer.Option(help="Why, in a few words; on the log for every body to read.")],
) -> None:
    """Publish, as the registrar, that BODY's key KEY_ID is withdrawn.

    The router refuses every event signed with it from then on (a lost laptop, a leaked key file).
    """
    from pydantic import ValidationError

    from producers.staging import refusal
    from schemas.events.reference import SigningKeyRevoked

    container = _container()
    container.ensure_broker()
    try:
        payload = SigningKeyRevoked(body_id=body_id, key_id=key_id, reason=reason)
    except ValidationError as exc:
        _console().print(f"[red]Cannot revoke: {refusal('SigningKeyRevoked', exc)}[/red]")
        raise typer.Exit(2) from None
    event_id = _publish_as_registrar(
        container, payload, retry=f"fourfold keys revoke {body_id} {key_id} --reason {reason!r}"
    )
    _console().print(f"Revoked {key_id} of {body_id} as the registrar (event {event_id}).")
    if container.keys.path(body_id).exists() and container.keys.key_id(body_id) == key_id:
        _console().print(f"It is {body_id}'s current key here; make a new one: fourfold keys new {body_id}")


def _publish_as_registrar(
    container: Container,
    payload: SigningKeyRegistered | SigningKeyRevoked | EncryptionKeyRegistered | EncryptionKeyRevoked,
    *,
    retry: str,
) -> uuid.UUID:
    """Publish a key fact about a body on the registrar's ingest topic, or exit saying how to retry."""
    from fourfold.registrar import correlation_of
    from producers import PublishError
    from schemas import Subject
    from schemas.enums import SubjectKind

    registrar = container.settings.registrar_body
    container.keys.load_or_create(registrar)
    subject = Subject(kind=SubjectKind.BODY, id=payload.body_id)
    try:
        with container.publisher(registrar) as publisher:
            return publisher.publish(
                payload,
                subject=subject,
                occurred_at=datetime.now(UTC),
                correlation_id=correlation_of((payload, subject)),
            )
    except PublishError as exc:
        _console().print(f"[red]Publishing {payload.event_type} of {payload.key_id} failed: {exc}[/red]")
        _console().print(f"Try again with: {retry}")
        raise typer.Exit(1) from None
