"""``fourfold users``: the people who sign in to the dashboards, each of one body with one role."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from fourfold.commands_read import out

if TYPE_CHECKING:
    from fourfold.bootstrap import Container

users_app = typer.Typer(help="Dashboard users: sign-in per person (identity database).", no_args_is_help=True)

EXIT_INVALID = 2


def _container() -> Container:
    from fourfold.bootstrap import Container

    return Container()


def register(app: typer.Typer) -> None:
    """Add ``fourfold users`` to the command line."""
    app.add_typer(users_app, name="users")


@users_app.command("add")
def users_add(
    user_id: Annotated[str, typer.Argument(help="The sign-in name, e.g. wang.li.")],
    body_id: Annotated[str, typer.Option("--body", help="The body the person acts for.")],
    role: Annotated[str, typer.Option(help="staff, head, auditor or operator.")] = "staff",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (scripts).")
    ] = False,
    force: Annotated[bool, typer.Option(help="Add even if the read models do not know the body.")] = False,
) -> None:
    """Add a user; the password is asked for twice (or read from stdin) and kept only as its argon2 hash."""
    from projections.access import known_bodies
    from projections.identity import IdentityError, add_user

    container = _container()
    if not force:
        with container.engine.connect() as conn:
            if not known_bodies(conn, [body_id]):
                out(stderr=True).print(
                    f"[red]{body_id} is not a body the read models know (is the projector running?);"
                    " --force adds the user anyway.[/red]",
                    highlight=False,
                )
                raise typer.Exit(EXIT_INVALID)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = add_user(container.identity.engine, user_id, body_id, role, password)
    except IdentityError as exc:
        out(stderr=True).print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(EXIT_INVALID) from None
    out().print(f"Added {user.user_id} ({user.role} of {user.body_id}).", highlight=False)


@users_app.command("disable")
def users_disable(user_id: Annotated[str, typer.Argument(help="The user to disable.")]) -> None:
    """Disable a user: no sign-in, and their open sessions end at the next request."""
    from projections.identity import IdentityError, disable_user

    try:
        disable_user(_container().identity.engine, user_id)
    except IdentityError as exc:
        out(stderr=True).print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(1) from None
    out().print(f"Disabled {user_id}.", highlight=False)


@users_app.command("list")
def users_list() -> None:
    """List users with body, role and state (never a password hash)."""
    from rich.table import Table

    from projections.identity import listed

    rows = listed(_container().identity.engine)
    table = Table(title=f"Users ({len(rows)})")
    columns = ("user_id", "body_id", "role", "created_at", "disabled_at", "locked_until")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("-" if row[c] is None else str(row[c]) for c in columns))
    out().print(table)
