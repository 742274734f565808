"""The local broker secured: SASL/SCRAM over TLS for clients, mutual TLS on the controller listener,
and the StandardAuthorizer refusing whatever no ACL allows to anyone but the two super users."""

from __future__ import annotations

import ipaddress
import shutil
import socket
import ssl
import stat
import struct
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka import errors as kafka_errors
from kafka.admin import NewTopic, ScramMechanism, UserScramCredentialUpsertion

import fourfold.broker as broker_module
from fourfold.access import KafkaAccess, Passwords
from fourfold.broker import BrokerError, BrokerSecurity, LocalBroker, shared_libs
from fourfold.settings import Settings
from fourfold.tls import ensure_tls

pytestmark = pytest.mark.integration

SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("secured-home")


@pytest.fixture(scope="module")
def broker(home: Path) -> Iterator[LocalBroker]:
    """A secured broker of this module's own, on free ports, on the jars every home shares."""
    security = BrokerSecurity.ensure(home / "tls", Passwords(home / "passwords"))
    broker = LocalBroker(
        home / "kafka",
        port=_free_port(),
        controller_port=_free_port(),
        heap="512m",
        libs=shared_libs(Settings().cache_dir),
        security=security,
    )
    try:
        broker.start(timeout=120)
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="module")
def topic(broker: LocalBroker) -> str:
    """A topic the operator created: only a super user or an ACL lets anyone use it."""
    name = f"t{uuid.uuid4().hex[:12]}.secured"
    admin = KafkaAdminClient(**broker.access.kafka_python())
    try:
        admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)])
    finally:
        admin.close()
    return name


def _security(broker: LocalBroker) -> BrokerSecurity:
    assert broker.security is not None
    return broker.security


def _as(broker: LocalBroker, principal: str, password: str) -> KafkaAccess:
    return KafkaAccess(broker.bootstrap, principal, password, _security(broker).tls.ca_cert)


def test_the_operator_describes_the_cluster_and_creates_a_topic(broker: LocalBroker, topic: str):
    admin = KafkaAdminClient(**broker.access.kafka_python())
    try:
        assert [b["port"] for b in admin.describe_cluster()["brokers"]] == [broker.port]
        assert topic in admin.list_topics()
    finally:
        admin.close()


def test_a_wrong_password_is_refused(broker: LocalBroker, home: Path):
    """kafka-python retries a refused SCRAM exchange until its bootstrap timeout and only then
    raises; Kafka's own admin client says why."""
    wrong = _as(broker, "operator", "not-the-password")
    with pytest.raises(kafka_errors.KafkaTimeoutError, match="Unable to bootstrap"):
        KafkaAdminClient(**wrong.kafka_python(), bootstrap_timeout_ms=4000)
    result = _cluster_tool(broker, "-b", broker.bootstrap, config=_client_config(home, wrong))
    assert result.returncode != 0
    assert "SaslAuthenticationException" in result.stdout
    assert "invalid credentials with SASL mechanism SCRAM-SHA-512" in result.stdout


def test_a_plaintext_client_cannot_talk_to_the_port(broker: LocalBroker):
    with pytest.raises(kafka_errors.KafkaTimeoutError):
        KafkaAdminClient(bootstrap_servers=broker.bootstrap, bootstrap_timeout_ms=4000)


def test_the_controller_listener_takes_only_the_brokers_own_certificate(broker: LocalBroker, home: Path):
    """Kafka 4's admin clients may bootstrap from the controllers and send CreateAcls there: the
    operator's password does not get in; only a certificate of the local CA (the broker's) does."""
    controller = f"127.0.0.1:{broker.controller_port}"
    operator = _client_config(home, broker.access)
    refused = _cluster_tool(broker, "-C", controller, config=operator)
    assert refused.returncode != 0
    assert "SslAuthenticationException" in refused.stdout
    tls = _security(broker).tls
    assert _api_versions_over_tls(broker.controller_port, tls.ca_cert, None) is None
    assert _api_versions_over_tls(broker.controller_port, tls.ca_cert, tls.keystore) == 0


def test_the_authorizer_refuses_a_user_that_no_acl_allows(broker: LocalBroker, topic: str):
    description = broker.describe()
    assert description.authorizer == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert description.allow_everyone_if_no_acl_found is False
    assert description.super_users == ("User:broker", "User:operator")
    assert description.acls == 0
    assert {(x.name, x.protocol) for x in description.listeners} == {
        ("SASL_SSL", "SASL_SSL"),
        ("CONTROLLER", "SSL"),
    }

    admin = KafkaAdminClient(**broker.access.kafka_python())
    try:
        upsert = UserScramCredentialUpsertion("alice", ScramMechanism.SCRAM_SHA_512, "alices-password")
        assert admin.alter_user_scram_credentials([upsert]) == {"alice": None}
    finally:
        admin.close()
    alice = _as(broker, "alice", "alices-password")
    _wait_until_admitted(alice)
    producer = KafkaProducer(**alice.kafka_python(), max_block_ms=10_000)
    try:
        with pytest.raises(kafka_errors.TopicAuthorizationFailedError):
            producer.send(topic, b"no ACL allows this").get(timeout=10)
    finally:
        producer.close(timeout=5)


def test_transaction_markers_travel_the_brokers_authenticated_listener(broker: LocalBroker, topic: str):
    """Even on one node the commit markers go through the inter-broker listener as User:broker:
    a read_committed consumer sees the record only once they are written."""
    producer = KafkaProducer(**broker.access.kafka_python(), transactional_id=f"tx-{uuid.uuid4().hex}")
    try:
        producer.init_transactions()
        producer.begin_transaction()
        producer.send(topic, b"committed")
        producer.commit_transaction()
    finally:
        producer.close(timeout=5)
    consumer = KafkaConsumer(
        topic,
        **broker.access.kafka_python(),
        isolation_level="read_committed",
        auto_offset_reset="earliest",
        consumer_timeout_ms=15_000,
    )
    try:
        assert any(record.value == b"committed" for record in consumer), "no committed record"
    finally:
        consumer.close()


def test_the_config_keeps_its_secrets(broker: LocalBroker):
    config = broker.config_file.read_text()
    assert "unclean.leader.election.enable=false\n" in config
    assert "auto.create.topics.enable=false\n" in config
    assert stat.S_IMODE(broker.config_file.stat().st_mode) == 0o600
    security = _security(broker)
    assert security.broker_password in config, "the broker's SCRAM login lives in the 0600 config"
    assert security.operator_password not in config
    for log_file in broker.logs.iterdir():
        text = log_file.read_text(errors="replace")
        for password in security.credentials.values():
            assert password not in text, log_file
    assert not list(broker.root.glob("scram.arguments*")), "kafka-storage's argument file is gone"


def test_a_home_formatted_without_security_is_refused_rather_than_started(tmp_path: Path, home: Path):
    libs = shared_libs(Settings().cache_dir)
    plain = LocalBroker(tmp_path / "kafka", port=_free_port(), controller_port=_free_port(), libs=libs)
    plain.format()
    security = BrokerSecurity.ensure(home / "tls", Passwords(home / "passwords"))
    secured = LocalBroker(
        tmp_path / "kafka",
        port=plain.port,
        controller_port=plain.controller_port,
        libs=libs,
        security=security,
    )
    with pytest.raises(BrokerError, match=r"formatted for PLAINTEXT, not SASL_SSL.*make clean"):
        secured.format()


def test_a_broker_that_refuses_this_homes_password_is_a_clear_error(
    broker: LocalBroker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """E.g. the password files were made again while the broker's storage was kept."""
    monkeypatch.setattr(broker_module, "FOREIGN_PATIENCE", 0.0)
    tls = _security(broker).tls
    other = BrokerSecurity(tls, "another-broker-password", "another-operator-password")
    stranger = LocalBroker(
        tmp_path / "kafka",
        port=broker.port,
        controller_port=broker.controller_port,
        libs=broker.libs,
        security=other,
    )
    with pytest.raises(BrokerError, match=r"refuses the 'operator' principal's password.*make clean"):
        stranger.start(timeout=30)
    assert not stranger.data.exists(), "nothing was formatted"


def test_the_local_ca_is_made_once_and_only_its_owner_reads_it(broker: LocalBroker, home: Path):
    tls = _security(broker).tls
    files = (tls.ca_cert, tls.ca_key, tls.broker_cert, tls.broker_key, tls.keystore)
    before = [path.read_bytes() for path in files]
    assert ensure_tls(home / "tls") == tls
    assert [path.read_bytes() for path in files] == before, "existing files are kept"
    assert stat.S_IMODE((home / "tls").stat().st_mode) == 0o700
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    cert = x509.load_pem_x509_certificate(tls.broker_cert.read_bytes())
    ca = x509.load_pem_x509_certificate(tls.ca_cert.read_bytes())
    cert.verify_directly_issued_by(ca)
    assert cert.subject.rfc4514_string() == "CN=broker"
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]


def test_the_passwords_never_reach_the_process_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """kafka-storage reads its --add-scram options from a 0600 file named on its command line."""
    security = BrokerSecurity.ensure(tmp_path / "tls", Passwords(tmp_path / "passwords"))
    broker = LocalBroker(tmp_path / "kafka", port=1, controller_port=2, libs=tmp_path, security=security)
    seen: list[tuple[list[str], str, int]] = []

    def run(command: list[str], what: str, secrets: tuple[str, ...] = ()) -> None:
        argument_file = Path(command[-1].removeprefix("@"))
        mode = stat.S_IMODE(argument_file.stat().st_mode)
        seen.append((command, argument_file.read_text(), mode))

    monkeypatch.setattr(broker_module, "_run", run)
    broker.format()
    [(command, arguments, mode)] = seen
    assert mode == 0o600
    for principal, password in security.credentials.items():
        assert not any(password in part for part in command)
        assert f"SCRAM-SHA-512=[name={principal},password={password}]" in arguments.splitlines()
    assert not list(broker.root.glob("scram.arguments*")), "the file is gone afterwards"


def _wait_until_admitted(access: KafkaAccess, timeout: float = 20.0) -> None:
    """A new SCRAM credential reaches the broker through the metadata log, a moment later."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            KafkaAdminClient(**access.kafka_python(), bootstrap_timeout_ms=3000).close()
            return
        except kafka_errors.KafkaTimeoutError:
            if time.monotonic() >= deadline:
                raise


def _client_config(home: Path, access: KafkaAccess) -> Path:
    """A Java client config (0600) for ``access``."""
    path = home / f"client-{uuid.uuid4().hex}.properties"
    path.touch(mode=0o600)
    path.write_text(
        "security.protocol=SASL_SSL\n"
        "sasl.mechanism=SCRAM-SHA-512\n"
        f"sasl.jaas.config={SCRAM_LOGIN} required"
        f' username="{access.principal}" password="{access.password}";\n'
        "ssl.truststore.type=PEM\n"
        f"ssl.truststore.location={access.cafile}\n"
    )
    return path


def _cluster_tool(broker: LocalBroker, *where: str, config: Path) -> subprocess.CompletedProcess[str]:
    """Kafka's own ``kafka-cluster cluster-id``: its admin client names the reason it was refused."""
    java = shutil.which("java")
    assert java is not None
    command = [java, "-Xmx256m", "-cp", f"{broker.libs}/*", "org.apache.kafka.tools.ClusterTool"]
    command += ["cluster-id", *where, "--config", str(config)]
    return subprocess.run(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60, check=False
    )


def _api_versions_over_tls(port: int, cafile: Path, certfile: Path | None) -> int | None:
    """The error code of an ApiVersions v0 request over TLS, with ``certfile`` as the client's
    certificate; None when the connection is refused."""
    context = ssl.create_default_context(cafile=str(cafile))
    if certfile is not None:
        context.load_cert_chain(certfile)
    body = struct.pack(">hhih", 18, 0, 7, 4) + b"test"
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            tls.sendall(struct.pack(">i", len(body)) + body)
            head = tls.recv(10)
    except (ssl.SSLError, ConnectionError):
        return None
    if len(head) < 10:
        return None
    _size, correlation, error = struct.unpack(">iih", head)
    assert correlation == 7
    return int(error)
