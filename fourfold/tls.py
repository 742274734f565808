"""A local certificate authority: the CA and the broker's certificate, made once, for TLS on loopback."""

from __future__ import annotations

import datetime
import fcntl
import ipaddress
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from schemas.files import private_dir

__all__ = ["TlsFiles", "ensure_tls"]

CA_DAYS = 3650
BROKER_DAYS = 730
BROKER_NAME = "broker"


@dataclass(frozen=True)
class TlsFiles:
    """The local CA and the broker's certificate, all PEM, all 0600 in one 0700 directory."""

    ca_cert: Path
    """``ca.pem``: the certificate every client trusts."""
    ca_key: Path
    """``ca.key``: signs the broker's certificate; nothing else reads it."""
    broker_cert: Path
    """``broker.pem``: the broker's certificate followed by the CA's."""
    broker_key: Path
    """``broker.key``: the broker's key, PKCS#8, unencrypted."""
    keystore: Path
    """``broker-keystore.pem``: key and chain in one file, as Kafka's PEM keystore reads them."""

    @classmethod
    def under(cls, directory: Path) -> TlsFiles:
        return cls(
            directory / "ca.pem",
            directory / "ca.key",
            directory / "broker.pem",
            directory / "broker.key",
            directory / "broker-keystore.pem",
        )


def ensure_tls(directory: Path) -> TlsFiles:
    """The TLS files under ``directory``, made if missing: a CA (10 years) and the broker's
    certificate (CN=broker, for 127.0.0.1 and localhost, 2 years), ECDSA P-256 keys. Existing files
    are kept; a missing broker certificate is signed by the existing CA."""
    files = TlsFiles.under(private_dir(directory))
    with _locked(directory / ".lock"):
        made_ca = not (files.ca_cert.exists() and files.ca_key.exists())
        if made_ca:
            _make_ca(files)
        if made_ca or not all(p.exists() for p in (files.broker_cert, files.broker_key, files.keystore)):
            _make_broker(files)
    return files


def _make_ca(files: TlsFiles) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Fourfold local CA")])
    public = key.public_key()
    cert = (
        _builder(name, name, public, CA_DAYS)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(key_cert_sign=True), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(files.ca_key, _pkcs8(key))
    _write(files.ca_cert, cert.public_bytes(serialization.Encoding.PEM))


def _make_broker(files: TlsFiles) -> None:
    ca_key = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{files.ca_key} is not the ECDSA key this CA was made with")
    ca_cert = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, BROKER_NAME)])
    names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    purposes = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    cert = (
        _builder(name, ca_cert.subject, key.public_key(), BROKER_DAYS)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage(purposes), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    chain = cert.public_bytes(serialization.Encoding.PEM) + files.ca_cert.read_bytes()
    _write(files.broker_key, _pkcs8(key))
    _write(files.broker_cert, chain)
    _write(files.keystore, _pkcs8(key) + chain)


def _builder(
    subject: x509.Name, issuer: x509.Name, public: ec.EllipticCurvePublicKey, days: int
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )


def _usage(*, digital_signature: bool = False, key_cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=key_cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _pkcs8(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` 0600, whole or not at all."""
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(content)
    partial.replace(path)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` for the ``with`` block: two processes never make two CAs."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
