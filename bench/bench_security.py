"""What TLS and SASL/SCRAM cost, in one run: the same work against the secured local broker and a
plain-text broker started beside it for the comparison (a temporary home, free ports).

- SDK: one body's direct publishing of signed findings (events/s);
- router: one `fourfold worker` routing a backlog, as in bench_router.py (events/s);
- replay: every read model rebuilt into SQLite from the log and inboxes (records/s).

Prints both figures and the ratio secured/plain.
"""

from __future__ import annotations

import socket
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_replay import ours, publish  # noqa: E402
from bench.bench_router import PARTITIONS, route_backlog, workload  # noqa: E402
from fourfold.bootstrap import Container  # noqa: E402
from fourfold.operations import provision  # noqa: E402
from fourfold.registrar import DEMO_REGISTRY, body_ids, load_registry_file  # noqa: E402
from fourfold.settings import Settings  # noqa: E402
from producers import Publisher  # noqa: E402
from schemas import SigningKey  # noqa: E402
from schemas.categories import FindingCategory  # noqa: E402
from schemas.enums import HowFound, Severity  # noqa: E402

EVENTS = 3_000
ROUTED = 2_000
BODY = "city-office-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sdk_rate(container: Container) -> float:
    provision(container, [BODY])
    key = SigningKey.generate(f"{BODY}:1")
    security = container.access(BODY).security()
    with Publisher(
        BODY, key, container.settings.bootstrap_servers, topics=container.topics, producer_config=security
    ) as publisher:
        began = time.perf_counter()
        for i in range(EVENTS):
            publisher.record_finding(
                finding_id=f"f-{i}",
                unit_id="city-bank",
                category=FindingCategory.EIGHT_POINT_RULES,
                severity=Severity.LOW,
                how_found=HowFound.DAILY_SUPERVISION,
                summary="Banquets paid by a borrower.",
            )
        publisher.flush(timeout=60)
        return EVENTS / (time.perf_counter() - began)


def router_rate(settings: Settings, home: Path) -> float:
    """A bus of its own (a fresh home beside the broker's), routing the benchmark's backlog."""
    own = {
        "home": home,
        "partitions": PARTITIONS,
        "clock_interval": 0,
        "topic_prefix": f"r{uuid.uuid4().hex[:8]}",
    }
    container = Container(settings.model_copy(update=own))
    events = workload(ROUTED)
    seconds = route_backlog(container, events).seconds
    return len(events) / seconds


def replay_rate(container: Container, tmp: Path) -> float:
    provision(container, body_ids(load_registry_file(DEMO_REGISTRY)))
    publish(container)
    rate, _ = ours(container, f"sqlite:///{tmp / f'{uuid.uuid4().hex}.db'}")
    return rate


def main() -> None:
    base = Settings()
    if not base.home.is_absolute():  # workers run as child processes: give them absolute paths
        base = base.model_copy(update={"home": ROOT / base.home})
    prefix = f"benchsec{uuid.uuid4().hex[:6]}"
    secured = Container(base.model_copy(update={"topic_prefix": prefix, "log_level": "WARNING"}))
    secured.ensure_broker()
    with tempfile.TemporaryDirectory() as tmp:
        plain_settings = base.model_copy(
            update={
                "home": Path(tmp) / "plain",
                "kafka_security": "plaintext",
                "kafka_port": _free_port(),
                "kafka_controller_port": _free_port(),
                "topic_prefix": prefix,
                "log_level": "WARNING",
            }
        )
        plain = Container(plain_settings)
        plain.ensure_broker()
        try:
            secured_settings = secured.settings.model_copy(
                update={"kafka_credentials_dir": base.credentials_dir, "kafka_ca_file": base.ca_file}
            )
            rows = [
                ("SDK direct publish, events/s", sdk_rate(secured), sdk_rate(plain)),
                (
                    "router (1 worker), events/s",
                    router_rate(secured_settings, Path(tmp) / "secured-bus"),
                    router_rate(plain_settings, Path(tmp) / "plain-bus"),
                ),
                (
                    "replay into SQLite, records/s",
                    replay_rate(secured, Path(tmp)),
                    replay_rate(plain, Path(tmp)),
                ),
            ]
        finally:
            plain.local_broker.stop()
    print(f"{'':<32} {'TLS+SASL':>10} {'plain':>10} {'ratio':>7}")
    for name, with_security, without in rows:
        print(f"{name:<32} {with_security:>10,.0f} {without:>10,.0f} {with_security / without:>7.2f}")


if __name__ == "__main__":
    main()
