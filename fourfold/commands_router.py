"""`fourfold router status`: the router's workers, the bodies each holds, and what waits for them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from fourfold.commands_read import out

if TYPE_CHECKING:
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
    from rich.table import Table

    console = out()
    waiting = f"{status.behind:,} events waiting"
    if not status.workers:
        console.print(
            f"[yellow]No router worker is running[/yellow] (group {status.group}: {status.state});"
            f" {waiting}. Start one with `fourfold worker`."
        )
    else:
        workers = f"{len(status.workers)} worker{'s' if len(status.workers) != 1 else ''}"
        console.print(f"Router group {status.group}: {status.state}, {workers}; {waiting}.")
        table = Table(title="Workers")
        for column, justify in (
            ("worker", "left"),
            ("bodies", "right"),
            ("events", "right"),
            ("waiting", "right"),
        ):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for worker in status.workers:
            held = status.held_by(worker)
            table.add_row(
                worker, str(len(held)), _n(sum(b.records for b in held)), _n(sum(b.behind for b in held))
            )
        console.print(table)
    shown = [body for body in status.bodies if every_body or body.behind]
    if not shown:
        console.print("No body has events waiting." + ("" if every_body else " (--all lists every body.)"))
        return
    table = Table(title="Bodies" if every_body else "Bodies with events waiting")
    for column, justify in (("body", "left"), ("worker", "left"), ("events", "right"), ("waiting", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for body in shown:
        table.add_row(body.body_id, body.worker or "[yellow]none[/yellow]", _n(body.records), _n(body.behind))
    console.print(table)


def _n(count: int) -> str:
    return f"{count:,}"
