"""``fourfold report``: the half-yearly report on the four supervisions, as HTML or PDF."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fourfold.commands_read import moment, out

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from fourfold.bootstrap import Container

EXIT_INVALID = 2


def _container() -> Container:
    from fourfold.bootstrap import Container

    return Container()


def register(app: typer.Typer) -> None:
    """Add ``fourfold report`` to the command line."""
    app.command("report")(report)


def report(
    half: Annotated[str, typer.Option("--half", help="The half-year, e.g. 2026H1 (Jan-Jun) or 2026H2.")],
    output: Annotated[Path, typer.Option("--out", help="Where to write it: a .pdf or .html file.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Replay the log as it stood at this moment first (ISO 8601)."),
    ] = None,
    lang: Annotated[str, typer.Option(help="zh_CN (the default) or en.")] = "zh_CN",
) -> None:
    """Write the half-yearly report from the read models (or from a replay as of a moment), naming the
    log position and the digest it was made from."""
    from projections.halfyear import BadHalf, Half, snapshot
    from projections.halfyear import report as figures_of
    from projections.web.i18n import Language, chosen
    from projections.web.report import pdf, standalone_html

    try:
        chosen_half = Half.parse(half)
    except BadHalf as exc:
        raise typer.BadParameter(str(exc)) from None
    if output.suffix.lower() not in (".pdf", ".html", ".htm"):
        raise typer.BadParameter(f"{output}: the report is written as .pdf or .html")
    container = _container()
    engine = _replayed(container, moment(as_of)) if as_of else container.engine
    with snapshot(engine) as conn:
        figures = figures_of(conn, chosen_half, made_at=datetime.now(UTC))
    language = Language(chosen(lang))
    if output.suffix.lower() == ".pdf":
        output.write_bytes(pdf(figures, language))
    else:
        output.write_text(standalone_html(figures, language), encoding="utf-8")
    out().print(
        f"Report {chosen_half} written to {output}: {figures['log_records']:,} log records"
        f" ({figures['all_records']:,} with the inboxes), digest {figures['digest']}",
        highlight=False,
    )


def _replayed(container: Container, stop: datetime) -> Engine:
    """A fresh SQLite file under home/replays with the read models as the log stood at ``stop``."""
    from fourfold.acl import PROJECTOR
    from projections.replay import replay
    from projections.versions import ReadStore

    container.ensure_broker()
    directory = (container.settings.home / "replays").resolve()
    directory.mkdir(parents=True, exist_ok=True)
    name = datetime.now(UTC).strftime("report-%Y%m%dT%H%M%S%fZ.db")
    engine = ReadStore(f"sqlite:///{directory / name}").engine()
    with out().status(f"Replaying the log as of {stop.isoformat()}…"):
        replay(engine, container.access(PROJECTOR), container.intake(), as_of=stop)
    return engine
