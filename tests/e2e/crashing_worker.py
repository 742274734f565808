"""A router worker that dies (as if SIGKILLed) once its first batch is sent and acked, before the
batch's transaction is committed: run as ``python -m tests.e2e.crashing_worker`` with the bus's
settings in the environment. The batch's records reach the broker, so they must be aborted."""

from __future__ import annotations

import os
from typing import Any

from faust.worker import Worker

from fourfold.bootstrap import Container
from fourfold.operations import prepare
from streams.sink import TransactionalSink

DIED = 9


def main() -> None:
    write = TransactionalSink.write

    async def write_then_die(self: TransactionalSink, batch: Any) -> None:
        await write(self, batch)
        if any(item.writes for item in batch):
            await self.transaction.flush()
            os._exit(DIED)

    TransactionalSink.write = write_then_die  # type: ignore[method-assign]
    container = Container()
    prepare(container)
    Worker(container.router().app, loglevel="info", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
