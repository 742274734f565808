"""`fourfold router status`: the router's workers, the bodies each holds, and what waits for them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from fourfold.commands_read import out

if TYPE_CHECKING:
    from rich.table import Table

    from fourfold.router_status import RouterStatus

router_app = typer.Typer(
    help="The router's workers and their backlog (run a worker with `fourfold worker`).", no_args_is_help=True
)

EXIT_NO_WORKER = 3
"""As `fourfold broker status` says the broker is not running."""


def register(app: typer.Typer) -> None:
    """Add these commands to the ``fourfold`` command line."""
    app.add_typer(router_app, name="router")


@router_app.command("status")
def router_status(
    every_body: Annotated[
        bool, typer.Option("--all", help="List every body, not only those with events waiting.")
    ] = False,
) -> None:
    """The router group's workers, the bodies each holds, and the events waiting for each body, asked
    of the broker as the operator. Exits 3 when no worker runs, 2 when the broker cannot be asked."""
    from fourfold.access import CredentialsMissing
    from fourfold.acl import OPERATOR
    from fourfold.bootstrap import Container
    from fourfold.reach import BrokerUnreachable
    from fourfold.router_status import router_status as status_of

    container = Container()
    try:
        container.require_broker(timeout=5.0)
        status = status_of(container.access(OPERATOR), container.topics)
    except (BrokerUnreachable, CredentialsMissing) as exc:
        out(stderr=True).print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    _print(status, every_body)
    if not status.workers:
        raise typer.Exit(EXIT_NO_WORKER)


def _print(status: RouterStatus, every_body: bool) -> None:
    waiting = f"{status.behind:,} events waiting"
    if not status.workers:
        out().print(
            f"[yellow]No router worker is running[/yellow] (group {status.group}: {status.state});"
            f" {waiting}. Start one with `fourfold worker`."
        )
    else:
        workers = f"{len(status.workers)} worker{'s' if len(status.workers) != 1 else ''}"
        out().print(f"Router group {status.group}: {status.state}, {workers}; {waiting}.")
        _print_workers(status)
    _print_bodies(status, every_body)


def _print_workers(status: RouterStatus) -> None:
    table = _table("Workers", ("worker",), ("bodies", "events", "waiting"))
    for worker in status.workers:
        held = status.held_by(worker)
        table.add_row(
            worker,
            *(f"{n:,}" for n in (len(held), sum(b.records for b in held), sum(b.behind for b in held))),
        )
    out().print(table)


def _print_bodies(status: RouterStatus, every_body: bool) -> None:
    shown = [body for body in status.bodies if every_body or body.behind]
    if not shown:
        out().print("No body has events waiting." + ("" if every_body else " (--all lists every body.)"))
        return
    table = _table(
        "Bodies" if every_body else "Bodies with events waiting", ("body", "worker"), ("events", "waiting")
    )
    for body in shown:
        table.add_row(
            body.body_id, body.worker or "[yellow]none[/yellow]", f"{body.records:,}", f"{body.behind:,}"
        )
    out().print(table)


def _table(title: str, names: tuple[str, ...], counts: tuple[str, ...]) -> Table:
    """A table of ``names`` columns, then ``counts`` columns aligned right."""
    from rich.table import Table

    table = Table(title=title)
    for column in names:
        table.add_column(column)
    for column in counts:
        table.add_column(column, justify="right")
    return table
