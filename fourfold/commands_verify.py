"""`fourfold verify`: is the log what the router appended? And the check `fourfold replay` makes first."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from fourfold.bootstrap import Container

EXIT_BROKEN = 1


def verify(
    export: Annotated[
        Path | None,
        typer.Option("--export", help="Also write every checkpoint to this file, for an auditor to keep."),
    ] = None,
    against: Annotated[
        Path | None,
        typer.Option("--against", help="Also check the log against checkpoints exported earlier."),
    ] = None,
) -> None:
    """Walk the log's hash chains and checkpoints; name the first deleted, inserted, reordered or
    altered record and exit 1, or say the log is intact."""
    from fourfold.acl import PROJECTOR
    from fourfold.bootstrap import Container
    from fourfold.commands_read import out
    from fourfold.log_audit import export as export_checkpoints

    console = out()
    container = Container()
    verified_or_exit(container, console, against=against)
    if export is not None:
        n = export_checkpoints(container, container.access(PROJECTOR), export)
        console.print(f"exported {n} checkpoints to {export}")


def verified_or_exit(container: Container, console: Console, *, against: Path | None = None) -> None:
    """Verify the log with a progress bar; print what was checked, or the first break and exit 1."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from fourfold.acl import PROJECTOR
    from fourfold.log_audit import verify as verify_log

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("Verifying the log's chains", total=None)
        result = verify_log(
            container,
            container.access(PROJECTOR),
            against=against,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    if result.first is not None:
        console.print(f"[red]the log is not what the router appended: {result.first}[/red]")
        for other in result.breaks[1:10]:
            console.print(f"  also {other}")
        if len(result.breaks) > 10:
            console.print(f"  … {len(result.breaks) - 10} more")
        raise typer.Exit(EXIT_BROKEN)
    console.print(
        f"log verified: {result.records} records in {result.chains} chains,"
        f" {result.checkpoints} signed checkpoints, nothing deleted, inserted, reordered or altered"
    )
