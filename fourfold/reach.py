"""Whether the configured Kafka cluster takes connections: the long-lived services (router worker,
projector) check it before they start, and never start a broker themselves."""

from __future__ import annotations

import socket
import time


class BrokerUnreachable(RuntimeError):
    """Raised when no bootstrap server of the configured cluster accepts a connection in time."""


def addresses(bootstrap_servers: str) -> list[tuple[str, int]]:
    """``host:port,host:port`` as (host, port) pairs; a bracketed IPv6 host loses its brackets."""
    pairs = []
    for server in filter(None, (s.strip() for s in bootstrap_servers.split(","))):
        host, _, port = server.rpartition(":")
        pairs.append((host.strip("[]"), int(port)))
    return pairs


def reachable(bootstrap_servers: str, per_try: float = 1.0) -> bool:
    """Whether any of the servers accepts a TCP connection within ``per_try`` seconds."""
    for host, port in addresses(bootstrap_servers):
        try:
            socket.create_connection((host, port), timeout=per_try).close()
        except OSError:
            continue
        return True
    return False


def require_reachable(bootstrap_servers: str, *, timeout: float, how_to_start: str) -> None:
    """Wait up to ``timeout`` seconds for one of the servers to take a connection, else raise
    BrokerUnreachable saying what to do (``how_to_start``)."""
    deadline = time.monotonic() + timeout
    while not reachable(bootstrap_servers):
        if time.monotonic() >= deadline:
            raise BrokerUnreachable(
                f"no Kafka broker answers on {bootstrap_servers} (tried for {timeout:.0f} s); {how_to_start}."
                " This command never starts a broker itself."
            )
        time.sleep(0.5)
