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
import ssl
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from pathlib import Path

from kafka import KafkaAdminClient
from kafka import errors as kafka_errors
from kafka.admin import (
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePatternFilter,
    ResourceType,
)

from fourfold.access import SCRAM, KafkaAccess, Passwords
from fourfold.tls import TlsFiles, ensure_tls
from schemas.files import private_dir, private_file

log = logging.getLogger(__name__)

DEPLOY_DIR = Path(__file__).resolve().parent.parent / "deploy" / "kafka"
MIN_JAVA = 17
FOREIGN_PATIENCE = 10.0
"""Seconds a process found on the broker's port may take to answer as Kafka before it is refused."""
BROKER = "broker"
"""The broker's own principal: its inter-broker traffic (SCRAM) and its controller connection (TLS)."""
OPERATOR = "operator"
"""The principal fourfold administers the local broker with (topics, ACLs, users)."""
SAFE_PASSWORD = re.compile(r"[A-Za-z0-9._~-]+")
"""What a password may hold: it goes unescaped into a JAAS line and a kafka-storage argument."""
ANY_ACL = ACLFilter(
    principal=None,
    host=None,
    operation=ACLOperation.ANY,
    permission_type=ACLPermissionType.ANY,
    resource_pattern=ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY),
)


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


@dataclass(frozen=True)
class BrokerSecurity:
    """What the local broker runs with: TLS files of the local CA, and the passwords of its two
    super users, ``broker`` and ``operator`` (SCRAM credentials set when its storage is formatted)."""

    tls: TlsFiles
    broker_password: str = field(repr=False)
    operator_password: str = field(repr=False)

    def __post_init__(self) -> None:
        for principal, password in self.credentials.items():
            if not SAFE_PASSWORD.fullmatch(password):
                raise BrokerError(f"the {principal} password may hold only letters, digits and ._~-")

    @property
    def credentials(self) -> dict[str, str]:
        """Principal -> password of the SCRAM credentials set when storage is formatted."""
        return {BROKER: self.broker_password, OPERATOR: self.operator_password}

    @classmethod
    def ensure(cls, tls_directory: Path, passwords: Passwords) -> BrokerSecurity:
        """The local CA's files and the two passwords, each made on first use."""
        return cls(ensure_tls(tls_directory), passwords.ensure(BROKER), passwords.ensure(OPERATOR))

    def operator_access(self, bootstrap: str) -> KafkaAccess:
        return KafkaAccess(bootstrap, OPERATOR, self.operator_password, self.tls.ca_cert)


@dataclass(frozen=True)
class Listener:
    name: str
    protocol: str
    address: str


@dataclass(frozen=True)
class BrokerDescription:
    """What ``fourfold broker status`` shows: how the broker runs, and the security it runs with."""

    status: BrokerStatus
    listeners: tuple[Listener, ...]
    """From the broker's config file; empty when this home has none (a broker started elsewhere)."""
    authorizer: str | None
    allow_everyone_if_no_acl_found: bool
    super_users: tuple[str, ...]
    acls: int | None
    """How many ACLs the broker holds; None when it does not answer or has no authorizer."""


class Probe(Enum):
    """What a probe of the broker's port found."""

    ANSWERS = "answers"
    REFUSED = "takes our TLS but refuses the credentials"
    UNTRUSTED = "presents a certificate our CA did not sign"
    PLAINTEXT = "answers only without security"
    SILENT = "does not answer as Kafka"


class LocalBroker:
    """Fetch, format, start, probe and stop one broker whose files all live under ``root``."""

    def __init__(
        self,
        root: Path,
        *,
        port: int,
        controller_port: int,
        heap: str = "1g",
        libs: Path | None = None,
        security: BrokerSecurity | None = None,
    ):
        """``libs``: where the jars are kept, if not under ``root`` (e.g. ``shared_libs()``, one set for
        every home of the user); fetched there once by whichever broker needs them first.
        ``security``: SASL/SCRAM over TLS and ACLs; None runs the broker without any (PLAINTEXT)."""
        self.root = root.resolve()
        self.security = security
        self.port = port
        self.controller_port = controller_port
        self.heap = heap
        self.libs = libs.resolve() if libs is not None else self.root / "libs"
        self.data = self.root / "data"
        self.logs = self.root / "logs"
        self.pid_file = self.root / "broker.pid"
        self.config_file = self.root / "server.properties"
        self.formatted_for = self.root / "formatted-for"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def security_protocol(self) -> str:
        """The client listener's security protocol."""
        return "PLAINTEXT" if self.security is None else "SASL_SSL"

    @property
    def access(self) -> KafkaAccess:
        """How this process reaches the broker: as the operator, or without security."""
        if self.security is None:
            return KafkaAccess(self.bootstrap)
        return self.security.operator_access(self.bootstrap)

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
        """Write the server config (0600: it holds the broker's password) and format KRaft storage,
        with the SCRAM credentials of ``broker`` and ``operator``, unless already formatted."""
        for directory in (self.root, self.logs, self.data):
            private_dir(directory)
        formatted = (self.data / "meta.properties").exists()
        if formatted:
            self._check_formatted_for()
        private_file(self.config_file).chmod(0o600)
        self.config_file.write_text(self.config())
        if formatted:
            return
        # first: no storage goes unmarked
        private_file(self.formatted_for).write_text(self.security_protocol + "\n")
        with self._scram_arguments() as arguments:
            secrets = () if self.security is None else tuple(self.security.credentials.values())
            _run(self.format_command(_cluster_id(), *arguments), "formatting KRaft storage", secrets)

    def config(self) -> str:
        """The text of ``server.properties``."""
        values = {"port": self.port, "controller_port": self.controller_port, "data_dir": self.data}
        if self.security is None:
            security = (DEPLOY_DIR / "security-plaintext.properties.template").read_text()
        else:
            security = (DEPLOY_DIR / "security-sasl-ssl.properties.template").read_text()
            tls = self.security.tls
            values |= {
                "broker_principal": BROKER,
                "operator_principal": OPERATOR,
                "broker_password": self.security.broker_password,
                "keystore": tls.keystore,
                "ca_cert": tls.ca_cert,
            }
        template = (DEPLOY_DIR / "server.properties.template").read_text()
        return template.format(security=security.format(**values).strip(), **values)

    def format_command(self, cluster_id: str, *arguments: str) -> list[str]:
        """kafka-storage's command line; ``--cluster-id=ID`` in one argument, so that an id that
        begins with '-' is never read as an option. ``arguments``: more of them, e.g. '@FILE'."""
        config = str(self.config_file)
        return self._java(
            "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", "--config", config, *arguments
        )

    @contextmanager
    def _scram_arguments(self) -> Iterator[tuple[str, ...]]:
        """kafka-storage's ``--add-scram`` options for ``broker`` and ``operator``, as ``@FILE``: the
        tool reads them, one a line, from a 0600 file deleted afterwards, so that the passwords
        never show in the process list."""
        if self.security is None:
            yield ()
            return
        lines = []
        for principal, password in self.security.credentials.items():
            lines += ["--add-scram", f"{SCRAM}=[name={principal},password={password}]"]
        path = self.root / "scram.arguments"
        path.unlink(missing_ok=True)
        try:
            private_file(path).write_text("\n".join(lines) + "\n")
            yield (f"@{path}",)
        finally:
            path.unlink(missing_ok=True)

    def _check_formatted_for(self) -> None:
        """Refuse storage formatted for other security than ours: a home from before the broker
        was secured has no SCRAM credentials, and they are set only when storage is formatted."""
        found = self.formatted_for.read_text().strip() if self.formatted_for.exists() else "PLAINTEXT"
        wanted = self.security_protocol
        if found != wanted:
            raise BrokerError(
                f"the broker's storage under {self.data} was formatted for {found}, not {wanted};"
                f" run `fourfold broker down`, then `make clean` or delete {self.root}, to format it again"
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
        owner_only(self.root)
        out = open(private_file(self.logs / "stdout.log"), "ab")  # noqa: SIM115 - handed to the child process
        process = subprocess.Popen(
            self._java("kafka.Kafka", str(self.config_file), heap=True),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            umask=0o077,  # Kafka's segments, indexes and log4j files: 0600, as the rest of the home
        )
        private_file(self.pid_file).write_text(str(process.pid))
        log.info("started Kafka broker pid %d on %s", process.pid, self.bootstrap)
        return self.wait_until_answering(timeout, process)

    def _started_elsewhere(self) -> BrokerStatus | None:
        """The Kafka broker that answers on our port though it was not started from ``root``; None
        when our ports are free. Anything else on them is an error: a broker started regardless
        would only die on the port it found taken."""
        if _listening(self.port):
            deadline = time.monotonic() + FOREIGN_PATIENCE
            while not _answers(self.access):
                if time.monotonic() >= deadline:
                    raise BrokerError(self._refusal(_probe(self.access)))
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
        """Wait until the broker answers us; a broker that answers, but refuses our credentials or
        security, is an error as soon as that is clear."""
        deadline = time.monotonic() + timeout
        diagnose_at = time.monotonic() + FOREIGN_PATIENCE
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise BrokerError(f"Kafka exited with code {process.returncode}; see {self.logs}")
            if _answers(self.access):
                return self.status()
            if time.monotonic() >= diagnose_at and self.security is not None:
                probe = _probe(self.access)
                if probe is not Probe.SILENT:
                    raise BrokerError(self._refusal(probe))
                diagnose_at = time.monotonic() + FOREIGN_PATIENCE
            time.sleep(0.5)
        raise BrokerError(f"Kafka did not answer on {self.bootstrap} within {timeout:.0f}s; see {self.logs}")

    def _refusal(self, probe: Probe) -> str:
        """Why the broker on our port cannot be used, and what to do about it."""
        again = f"run `fourfold broker down`, then `make clean` or delete {self.root}, to format it again"
        if probe is Probe.PLAINTEXT:
            return (
                f"the Kafka broker on port {self.port} runs without security (PLAINTEXT), as brokers did"
                f" before SASL/SCRAM and TLS; {again} with them"
            )
        if probe is Probe.UNTRUSTED and self.security is not None:
            return (
                f"the Kafka broker on port {self.port} presents a TLS certificate that"
                f" {self.security.tls.ca_cert} did not sign (another home's broker?); stop it, or give"
                " this one another port (FOURFOLD_KAFKA_PORT)"
            )
        if probe is Probe.REFUSED:
            return (
                f"the Kafka broker on port {self.port} refuses the {OPERATOR!r} principal's password (its"
                f" storage was formatted with other passwords); {again}"
            )
        return (
            f"port {self.port} is taken by a process that does not answer as a Kafka broker;"
            " stop it, or give the local broker another port (FOURFOLD_KAFKA_PORT)"
        )

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
            pid=pid, answering=pid is not None and _answers(self.access), bootstrap=self.bootstrap
        )

    def describe(self) -> BrokerDescription:
        """For ``fourfold broker status``: the status, the listeners and security settings of this
        home's config, and the number of ACLs the broker holds (asked as the operator)."""
        config = _read_properties(self.config_file)
        protocols = dict(
            pair.split(":", 1) for pair in config.get("listener.security.protocol.map", "").split(",") if pair
        )
        listeners = []
        for listener in filter(None, config.get("listeners", "").split(",")):
            name, address = listener.split("://", 1)
            listeners.append(Listener(name, protocols.get(name, name), address))
        super_users = config.get("super.users", "")
        return BrokerDescription(
            status=self.status(),
            listeners=tuple(listeners),
            authorizer=config.get("authorizer.class.name") or None,
            allow_everyone_if_no_acl_found=config.get("allow.everyone.if.no.acl.found") == "true",
            super_users=tuple(user.strip() for user in super_users.split(";") if user.strip()),
            acls=_count_acls(self.access),
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


def owner_only(root: Path) -> None:
    """Directories 0700 and files 0600 under ``root``: what an older start left readable by others."""
    for directory, _, files in os.walk(root):
        os.chmod(directory, 0o700)
        for name in files:
            os.chmod(os.path.join(directory, name), 0o600)


def _run(command: list[str], what: str, secrets: tuple[str, ...] = ()) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = result.stdout + result.stderr
        for secret in secrets:
            output = output.replace(secret, "***")
        raise BrokerError(f"{what} failed ({result.returncode}): {output[-2000:]}")


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def _admin(access: KafkaAccess) -> KafkaAdminClient | None:
    """An admin client connected with ``access``; None when it cannot get in within a few seconds.
    kafka-python retries a refused password until its bootstrap timeout: it never says why."""
    host, port = access.bootstrap_servers.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return None
    try:
        return KafkaAdminClient(**access.kafka_python(), request_timeout_ms=3000, bootstrap_timeout_ms=3000)
    except kafka_errors.KafkaError:
        return None


def _answers(access: KafkaAccess) -> bool:
    admin = _admin(access)
    if admin is None:
        return False
    try:
        admin.describe_cluster()
        return True
    except kafka_errors.KafkaError:
        return False
    finally:
        admin.close()


def _probe(access: KafkaAccess) -> Probe:
    """Why a broker does not answer ``access``: kafka-python does not tell a refused password from
    a port that does not speak Kafka, so ask without security, then try TLS alone."""
    if _answers(access):
        return Probe.ANSWERS
    if not access.secured:
        return Probe.SILENT
    if _answers(KafkaAccess(access.bootstrap_servers)):
        return Probe.PLAINTEXT
    host, port = access.bootstrap_servers.rsplit(":", 1)
    try:
        with (
            socket.create_connection((host, int(port)), timeout=3) as raw,
            access.ssl_context().wrap_socket(raw, server_hostname=host),
        ):
            return Probe.REFUSED
    except ssl.SSLCertVerificationError:
        return Probe.UNTRUSTED
    except OSError:
        return Probe.SILENT


def _count_acls(access: KafkaAccess) -> int | None:
    admin = _admin(access)
    if admin is None:
        return None
    try:
        acls, _ = admin.describe_acls(ANY_ACL)
    except kafka_errors.KafkaError:  # SecurityDisabledError: no authorizer
        return None
    finally:
        admin.close()
    return len(acls)


def _read_properties(path: Path) -> dict[str, str]:
    """``key=value`` lines of a Java properties file as Kafka's templates write them."""
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs if not key.lstrip().startswith("#")}


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
