"""A single-node Apache Kafka (KRaft) broker that the project fetches from Maven Central and runs."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kafka import KafkaAdminClient
from kafka import errors as kafka_errors

from schemas.files import private_dir

log = logging.getLogger(__name__)

DEPLOY_DIR = Path(__file__).resolve().parent.parent / "deploy" / "kafka"
MIN_JAVA = 17
FOREIGN_PATIENCE = 10.0
"""Seconds a process found on the broker's port may take to answer as Kafka before it is refused."""


class BrokerError(RuntimeError):
    """Raised when the local broker cannot be fetched, formatted, started or stopped."""


@dataclass(frozen=True)
class BrokerStatus:
    pid: int | None
    answering: bool
    bootstrap: str

    @property
    def running(self) -> bool:
        return self.pid is not None


class LocalBroker:
    """Fetch, format, start, probe and stop one broker whose files all live under ``root``."""

    def __init__(
        self, root: Path, *, port: int, controller_port: int, heap: str = "1g", libs: Path | None = None
    ):
        """``libs``: where the jars are kept, if not under ``root`` (e.g. ``shared_libs()``, one set for
        every home of the user); fetched there once by whichever broker needs them first."""
        self.root = root.resolve()
        self.port = port
        self.controller_port = controller_port
        self.heap = heap
        self.libs = libs.resolve() if libs is not None else self.root / "libs"
        self.data = self.root / "data"
        self.logs = self.root / "logs"
        self.pid_file = self.root / "broker.pid"
        self.config_file = self.root / "server.properties"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def fetch(self) -> None:
        """Resolve the broker and tools jars with Maven into ``libs``, once. Maven writes into a
        directory of its own beside ``libs``, renamed into place when whole: a broker never sees
        half a set, and homes fetching at the same time each end up with one whole set."""
        if _fetched(self.libs):
            return
        _require_java()
        mvn = shutil.which("mvn")
        if mvn is None:
            raise BrokerError("Maven (mvn) is needed to fetch Kafka from Maven Central; install it first")
        log.info("fetching Apache Kafka jars from Maven Central into %s", self.libs)
        partial = Path(tempfile.mkdtemp(prefix="libs.partial-", dir=private_dir(self.libs.parent)))
        try:
            _run(
                [
                    mvn,
                    "-q",
                    "-B",
                    "-f",
                    str(DEPLOY_DIR / "pom.xml"),
                    "dependency:copy-dependencies",
                    f"-DoutputDirectory={partial}",
                    "-DincludeScope=runtime",
                ],
                "fetching Kafka with Maven",
            )
            try:
                partial.rename(self.libs)
            except OSError:
                if not _fetched(self.libs):
                    raise
                log.info("%s was fetched meanwhile by another process; using that", self.libs)
        finally:
            shutil.rmtree(partial, ignore_errors=True)

    def format(self) -> None:
        """Write the server config and format KRaft storage, unless already formatted."""
        for directory in (self.root, self.logs, self.data):
            private_dir(directory)
        template = (DEPLOY_DIR / "server.properties.template").read_text()
        self.config_file.write_text(
            template.format(port=self.port, controller_port=self.controller_port, data_dir=self.data)
        )
        if (self.data / "meta.properties").exists():
            return
        _run(self.format_command(_cluster_id()), "formatting KRaft storage")

    def format_command(self, cluster_id: str) -> list[str]:
        """kafka-storage's command line; ``--cluster-id=ID`` in one argument, so that an id that
        begins with '-' is never read as an option."""
        config = str(self.config_file)
        return self._java(
            "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", "--config", config
        )

    def start(self, timeout: float = 90.0) -> BrokerStatus:
        """Start the broker in the background unless it already runs; wait until it answers. A
        broker that already answers on the port, started from elsewhere (another home), is used."""
        status = self.status()
        if status.answering:
            return status
        if status.running:
            return self.wait_until_answering(timeout)
        elsewhere = self._started_elsewhere()
        if elsewhere is not None:
            return elsewhere
        self.fetch()
        self.format()
        out = open(self.logs / "stdout.log", "ab")  # noqa: SIM115 - handed to the child process
        process = subprocess.Popen(
            self._java("kafka.Kafka", str(self.config_file), heap=True),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.pid_file.write_text(str(process.pid))
        log.info("started Kafka broker pid %d on %s", process.pid, self.bootstrap)
        return self.wait_until_answering(timeout, process)

    def _started_elsewhere(self) -> BrokerStatus | None:
        """The Kafka broker that answers on our port though it was not started from ``root``; None
        when our ports are free. Anything else on them is an error: a broker started regardless
        would only die on the port it found taken."""
        if _listening(self.port):
            deadline = time.monotonic() + FOREIGN_PATIENCE
            while not _answers(self.bootstrap):
                if time.monotonic() >= deadline:
                    raise BrokerError(
                        f"port {self.port} is taken by a process that does not answer as a Kafka broker;"
                        " stop it, or give the local broker another port (FOURFOLD_KAFKA_PORT)"
                    )
                time.sleep(0.5)
            log.info("using the Kafka broker on %s, not started from %s", self.bootstrap, self.root)
            return BrokerStatus(pid=None, answering=True, bootstrap=self.bootstrap)
        if _listening(self.controller_port):
            raise BrokerError(
                f"controller port {self.controller_port} is taken by another process; stop it, or give"
                " the local broker another one (FOURFOLD_KAFKA_CONTROLLER_PORT)"
            )
        return None

    def wait_until_answering(
        self, timeout: float, process: subprocess.Popen[bytes] | None = None
    ) -> BrokerStatus:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise BrokerError(f"Kafka exited with code {process.returncode}; see {self.logs}")
            if _answers(self.bootstrap):
                return self.status()
            time.sleep(0.5)
        raise BrokerError(f"Kafka did not answer on {self.bootstrap} within {timeout:.0f}s; see {self.logs}")

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop the broker by its own pid; False when it was not running."""
        pid = self._pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.2)
        if _alive(pid):
            log.warning("Kafka pid %d ignored SIGTERM for %.0fs; killing it", pid, timeout)
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True

    def status(self) -> BrokerStatus:
        pid = self._pid()
        return BrokerStatus(
            pid=pid, answering=pid is not None and _answers(self.bootstrap), bootstrap=self.bootstrap
        )

    def _pid(self) -> int | None:
        """The pid in our pid file, if that process is alive and is a Kafka broker."""
        try:
            pid = int(self.pid_file.read_text())
        except (FileNotFoundError, ValueError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        return pid if b"kafka.Kafka" in cmdline and _alive(pid) else None

    def _java(self, main: str, *args: str, heap: bool = False) -> list[str]:
        opts = [f"-Xmx{self.heap}", "-Xms256m", "-XX:+UseG1GC"] if heap else ["-Xmx256m"]
        return [
            _java_binary(),
            *opts,
            f"-Dkafka.logs.dir={self.logs}",
            f"-Dlog4j2.configurationFile={DEPLOY_DIR / 'log4j2.properties'}",
            "-cp",
            f"{self.libs}/*",
            main,
            *args,
        ]


def _java_binary() -> str:
    java = shutil.which("java")
    if java is None:
        raise BrokerError(f"Java {MIN_JAVA}+ is needed to run Kafka; none found on PATH")
    return java


def _require_java() -> None:
    result = subprocess.run([_java_binary(), "-version"], capture_output=True, text=True, check=False)
    match = re.search(r'version "(\d+)', result.stderr)
    if match is None or int(match.group(1)) < MIN_JAVA:
        raise BrokerError(f"Kafka 4 needs Java {MIN_JAVA}+, found: {result.stderr.strip()[:120]}")


def _cluster_id() -> str:
    """A random cluster id as Kafka's own ``Uuid.randomUuid()`` makes one: base64url of 16 random
    bytes, drawn again when it would begin with '-' (about one in 64)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def shared_libs(cache_dir: Path) -> Path:
    """The jars of the pom's Kafka version in the user's cache, shared by all their homes. The
    directory names the Kafka version and a digest of the pom, so that changing any dependency's
    version (log4j's, say) fetches a new set rather than reusing one that no longer matches."""
    return cache_dir / f"kafka-{kafka_version()}-{_pom_digest()}" / "libs"


@lru_cache(maxsize=1)
def kafka_version() -> str:
    """The Kafka version that ``deploy/kafka/pom.xml`` fetches."""
    pom = (DEPLOY_DIR / "pom.xml").read_text()
    match = re.search(r"<kafka\.version>\s*([^<\s]+)\s*</kafka\.version>", pom)
    if match is None:
        raise BrokerError(f"{DEPLOY_DIR / 'pom.xml'} sets no <kafka.version>")
    return match.group(1)


@lru_cache(maxsize=1)
def _pom_digest() -> str:
    return hashlib.sha256((DEPLOY_DIR / "pom.xml").read_bytes()).hexdigest()[:12]


def _fetched(libs: Path) -> bool:
    return any(libs.glob("kafka_2.13-*.jar"))


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BrokerError(f"{what} failed ({result.returncode}): {(result.stdout + result.stderr)[-2000:]}")


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def _answers(bootstrap: str) -> bool:
    host, port = bootstrap.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return False
    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    except kafka_errors.KafkaError:
        return False
    try:
        admin.describe_cluster()
        return True
    except kafka_errors.KafkaError:
        return False
    finally:
        admin.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.split(") ", 1)[1][:1] != "Z"
