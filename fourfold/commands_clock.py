"""``fourfold clock advance``: drive bus time on a simulation or backfill bus, never in production."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from fourfold.commands_read import moment, out

if TYPE_CHECKING:
    from fourfold.bootstrap import Container

EXIT_REFUSED = 2
MAX_TICKS = 100_000


def register(app: typer.Typer) -> None:
    """Add ``fourfold clock`` to the command line."""
    clock_app = typer.Typer(help="Bus time on a bus configured for simulation (FOURFOLD_SIMULATION=true).")
    clock_app.command("advance")(advance)
    app.add_typer(clock_app, name="clock")


def tick_times(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """The instants from ``start`` to ``end`` (both included) ``step`` apart."""
    if step <= timedelta(0):
        raise typer.BadParameter("--step must be positive")
    count = int((end - start) / step) + 1
    if count > MAX_TICKS:
        raise typer.BadParameter(f"{count} ticks; at most {MAX_TICKS} at a time (widen --step)")
    return [start + n * step for n in range(max(count, 0))]


def advance(
    to: Annotated[str, typer.Option("--to", help="The last tick, ISO 8601.")],
    start: Annotated[
        str | None, typer.Option("--from", help="The first tick, ISO 8601; --to alone publishes one tick.")
    ] = None,
    step_hours: Annotated[float, typer.Option("--step-hours", help="Hours between ticks.")] = 24.0,
) -> None:
    """Publish the bus clock's ClockTicked events from --from to --to, signed with the bus's key,
    as the router's own clock would; every deadline then fires on that event time."""
    from fourfold.acl import ROUTER
    from producers import Publisher
    from schemas import encode_event, sign_event
    from streams.clock import CLOCK_MATTER, clock_tick

    container = _container()
    s = container.settings
    if not s.simulation:
        out(stderr=True).print(
            "[red]This bus is not configured for simulation (FOURFOLD_SIMULATION=true); its time is"
            " the bus clock's alone.[/red]"
        )
        raise typer.Exit(EXIT_REFUSED)
    step = timedelta(hours=step_hours)
    times = tick_times(moment(start) if start else moment(to), moment(to), step)
    bus_key = container.trust.load_bus_key()
    publisher = Publisher(
        s.bus_body,
        bus_key,
        s.bootstrap_servers,
        topics=container.topics,
        producer_config=container.access(ROUTER).security(),
    )
    with publisher:
        for at in times:
            tick = sign_event(clock_tick(at, s.bus_body), bus_key)
            publisher.send_raw(CLOCK_MATTER, encode_event(tick))
    span = f"{times[0].isoformat()} to {times[-1].isoformat()}"
    out().print(f"Published {len(times)} tick(s) of the bus clock, {span}.")


def _container() -> Container:
    from fourfold.bootstrap import Container

    return Container()
