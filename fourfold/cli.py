"""The ``fourfold`` command line.

Each command imports what it needs when it runs: ``fourfold --help`` and the local commands start
without Kafka's client, faust, SQLAlchemy or FastAPI.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fourfold.commands_clock import register as register_clock_command
from fourfold.commands_encryption import encryption_app, keys_directory
from fourfold.commands_publish import keys_app, publish
from fourfold.commands_read import out
from fourfold.commands_read import register as register_read_commands
from fourfold.commands_report import register as register_report_command
from fourfold.commands_router import register as register_router_commands
from fourfold.commands_users import register as register_user_commands

if TYPE_CHECKING:
    from fourfold.bootstrap import Container
    from fourfold.registrar import RegistryInvalid

app = typer.Typer(
    help="Fourfold: the information-sharing bus of the four supervisions.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
broker_app = typer.Typer(help="Run a local single-node Kafka broker (KRaft).", no_args_is_help=True)
app.add_typer(broker_app, name="broker")
app.add_typer(keys_app, name="keys")
keys_app.add_typer(encryption_app, name="encryption")
keys_app.command("directory")(keys_directory)
acl_app = typer.Typer(
    help="What each principal may do on the broker, derived from the registry.", no_args_is_help=True
)
app.add_typer(acl_app, name="acl")
app.command("publish")(publish)
register_read_commands(app)
register_user_commands(app)
register_report_command(app)
register_clock_command(app)
register_router_commands(app)

EXIT_INVALID = 2


def _container() -> Container:
    from fourfold.bootstrap import Container

    return Container()


@broker_app.command("up")
def broker_up() -> None:
    """Fetch Kafka from Maven Central if needed, format its storage and start it."""
    from fourfold.broker import BrokerError

    container = _container()
    if not container.settings.uses_local_broker:
        out().print(f"Using the configured cluster {container.settings.bootstrap_servers}; no local broker.")
        return
    with out().status("Starting Kafka (the first run fetches it from Maven Central)…"):
        try:
            status = container.local_broker.start()
        except BrokerError as exc:
            out().print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from None
    out().print(f"Kafka is up on {status.bootstrap} (pid {status.pid}).")


@broker_app.command("down")
def broker_down() -> None:
    """Stop the local broker started by `broker up`."""
    stopped = _container().local_broker.stop()
    out().print("Kafka stopped." if stopped else "Kafka was not running.")


@broker_app.command("status")
def broker_status() -> None:
    """Say whether the local broker runs and answers, its listeners, authorizer and ACL count."""
    described = _container().local_broker.describe()
    status = described.status
    if status.answering:
        out().print(f"running, answering on {status.bootstrap} (pid {status.pid})")
    elif status.running:
        out().print(f"running (pid {status.pid}) but not answering on {status.bootstrap}")
    else:
        out().print("not running")
        raise typer.Exit(3)
    for listener in described.listeners:
        out().print(f"listener {listener.name}: {listener.protocol} on {listener.address}")
    everyone = "allowed" if described.allow_everyone_if_no_acl_found else "refused"
    out().print(f"authorizer: {described.authorizer or 'none'} (without an ACL: {everyone})")
    out().print(f"super users: {', '.join(described.super_users) or 'none'}; ACLs: {described.acls}")


@app.command("registry")
def registry_load(
    path: Annotated[
        Path | None,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="Registry JSON: regions, bodies, units, cadres, jurisdictions (the demo's when omitted).",
        ),
    ] = None,
) -> None:
    """Publish reference data as the registrar, creating topics and keys for new bodies (signing keys,
    and encryption keys for those that may read an informant), then write the key directory.

    The whole file is checked first: if any entry breaks a rule, nothing is created or published,
    every problem is listed with its place in the file, and the exit code is 2.
    """
    from fourfold.operations import publish_registry
    from fourfold.registrar import DEMO_REGISTRY, RegistryInvalid, load_registry_file

    path = path or DEMO_REGISTRY
    try:
        load_registry_file(path)
    except RegistryInvalid as exc:
        _print_problems(exc)
        raise typer.Exit(EXIT_INVALID) from None
    container = _container()
    container.ensure_broker()
    count = publish_registry(container, path)
    out().print(f"Published {count} reference events from {path}.")


def _print_problems(exc: RegistryInvalid) -> None:
    err = out(stderr=True)
    err.print(
        f"[red]{exc.path} has {len(exc.problems)} problem(s); nothing was created or published:[/red]",
        highlight=False,
        soft_wrap=True,
    )
    for problem in exc.problems:
        err.print(f"  {problem}", markup=False, highlight=False, soft_wrap=True)


@acl_app.command("sync")
def acl_sync() -> None:
    """Make the broker's users and ACLs match the registry on the log: every active body and the
    bus's services get what they need; a retired body (every key revoked) loses its grants."""
    from fourfold.operations import sync_acls

    container = _container()
    container.ensure_broker()
    added, removed = sync_acls(container)
    for grant in sorted(added):
        out().print(f"[green]+[/green] {grant.principal:<24} {grant}")
    for grant in sorted(removed):
        out().print(f"[red]-[/red] {grant.principal:<24} {grant}")
    out().print(f"{len(added)} grants added, {len(removed)} removed.")


@acl_app.command("show")
def acl_show(principal: Annotated[str, typer.Argument(help="A body id, or router, projector, api.")]) -> None:
    """Print what PRINCIPAL may do on this bus's topics, groups and transactional ids."""
    container = _container()
    container.ensure_broker()
    grants = sorted(g for g in container.acl.current(container.topics) if g.principal == principal)
    if not grants:
        out().print(f"{principal} may do nothing on this bus (no grants).")
        raise typer.Exit(1)
    out().print(f"{principal} may:")
    for grant in grants:
        out().print(f"  {grant}", markup=False, highlight=False)


@app.command("init")
def init() -> None:
    """Make this bus's trust anchors, signing key and seal key under FOURFOLD_HOME, where missing.

    Run once on the bus's home before the first `fourfold worker` or `fourfold project`: they refuse
    to start without them rather than make new ones (docs/security.md).
    """
    made = _container().trust.init()
    for item in made:
        out().print(f"Made the {item}.")
    if not made:
        out().print("The trust anchors, the bus key and the seal key are all in place.")


def _trusted_container() -> Container:
    """The container, once the bus's trust anchors and secrets are in place; else exit saying why."""
    from fourfold.trust import TrustMissing

    container = _container()
    try:
        container.trust.check()
    except TrustMissing as exc:
        out().print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_INVALID) from None
    return container


def _service_container() -> Container:
    """The trusted container of a long-lived service, once the configured broker takes connections;
    else exit saying how to start it. A service never starts a broker: under a FOURFOLD_HOME that is
    not the broker's it would fetch, format and start a second one, which dies on the port."""
    from fourfold.reach import BrokerUnreachable

    container = _trusted_container()
    try:
        container.require_broker()
    except BrokerUnreachable as exc:
        out(stderr=True).print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(1) from None
    return container


@app.command("worker")
def worker() -> None:
    """Run the router: check, log and route every ingest event (faust worker, runs until stopped)."""
    from fourfold.heap import freeze_startup_objects, return_large_blocks
    from fourfold.operations import prepare

    return_large_blocks()
    container = _service_container()
    prepare(container)
    router = container.router()
    from faust.worker import Worker

    class FrozenOnceStarted(Worker):
        """faust's worker, which freezes the objects start-up made once the app is running:
        faust's services and clients are made after the router, and each full collection walked
        them again (13-26 ms pauses left against 32-59 ms with the router alone frozen)."""

        async def on_startup_finished(self) -> None:
            await super().on_startup_finished()
            freeze_startup_objects()

    FrozenOnceStarted(
        router.app, loglevel=container.settings.log_level.lower(), quiet=True
    ).execute_from_commandline()


@app.command("project")
def project() -> None:
    """Run the projector: apply the log and the inbox topics to the read models (runs until stopped)."""
    import signal

    from fourfold.heap import freeze_startup_objects
    from fourfold.operations import prepare

    container = _service_container()
    prepare(container)
    projector = container.projector()
    freeze_startup_objects()
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        projector.run(lambda: stopping)
    finally:
        projector.close()


@app.command("inbox")
def inbox(body_id: Annotated[str, typer.Argument(help="The receiving body, e.g. city-commission.")]) -> None:
    """Print what the bus delivered to one body."""
    from rich.table import Table

    from projections.inbox import inbox_of

    rows = inbox_of(_container().engine, body_id)
    table = Table(title=f"Inbox of {body_id} ({len(rows)})")
    for column in (
        "occurred_at",
        "event_type",
        "source_body",
        "subject",
        "classification",
        "reasons",
        "redacted",
    ):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["occurred_at"].strftime("%Y-%m-%d %H:%M"),
            row["event_type"],
            row["source_body"],
            row["subject"],
            row["classification"],
            row["reasons"],
            row["redacted"] or "-",
        )
    out().print(table)


@app.command("quarantine")
def quarantine() -> None:
    """List refused events with their reasons."""
    from rich.table import Table

    from fourfold.acl import OPERATOR
    from fourfold.operations import read_topic

    container = _container()
    records = read_topic(container.access(OPERATOR), container.topics.quarantine)
    table = Table(title=f"Quarantine ({len(records)})")
    for column in ("reason", "event_type", "source_topic", "detail"):
        table.add_column(column)
    for r in records:
        table.add_row(r["reason"], r.get("event_type") or "-", r["source_topic"], r["detail"])
    out().print(table)


@app.command("demo")
def demo(
    keep_running: Annotated[bool, typer.Option(help="Leave the worker and projector running.")] = False,
) -> None:
    """Run the bus on embedded defaults with a small scenario and show the resulting inboxes."""
    from fourfold.demo import run_demo

    sys.exit(run_demo(_container(), out(), keep_running=keep_running))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
