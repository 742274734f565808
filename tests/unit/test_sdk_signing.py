"""Signed wire bytes are exactly the canonical encoding of the signed event; key files name their key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fourfold.keys import KeyStore
from producers.keyfile import read_key_file, write_key_file
from schemas import (
    EVENT_TYPES,
    SignatureInvalid,
    SigningKey,
    VerifyKey,
    canonical_bytes,
    decode_event,
    sign_event,
    verify_event,
)
from schemas.signing import sign_to_wire
from schemas.testing import events

KEY = SigningKey.generate("city-letters:3")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(EVENT_TYPES)).flatmap(events))
def test_signed_wire_is_byte_for_byte_the_schemas_encoding(event):
    _, wire = sign_to_wire(event, KEY)
    assert wire == canonical_bytes(sign_event(event, KEY), signed=True)
    verify_event(decode_event(wire, max_bytes=1 << 30), KEY.verify_key)


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=2048))
def test_a_signature_is_the_one_openssl_gives_for_the_same_key(data: bytes):
    """Ed25519 is deterministic: libsodium, which signs, and OpenSSL, which holds the key's files,
    must agree byte for byte, or a key loaded from its PEM file would sign as another key."""
    loaded = SigningKey.from_pem(KEY.key_id, KEY.to_pem())
    assert loaded.sign(data) == KEY._key.sign(data)
    assert KEY.verify_key.verify(KEY.sign(data), data)


def test_a_key_file_names_its_key_and_is_private(tmp_path: Path):
    path = tmp_path / "city-letters.pem"
    write_key_file(path, KEY)
    assert path.read_bytes().startswith(b"key_id: city-letters:3\n-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = read_key_file(path)
    assert (loaded.key_id, loaded.verify_key.text) == (KEY.key_id, KEY.verify_key.text)


def test_a_bare_pem_takes_the_default_key_id_or_is_refused(tmp_path: Path):
    path = tmp_path / "bare.pem"
    path.write_bytes(KEY.to_pem())
    assert read_key_file(path, default_key_id="city-letters:1").key_id == "city-letters:1"
    with pytest.raises(ValueError, match="names no key id"):
        read_key_file(path)


def test_a_new_key_for_a_body_gets_the_next_key_id_and_retires_the_old(tmp_path: Path):
    store = KeyStore(tmp_path / "keys")
    first = store.load_or_create("city-letters")
    assert store.load_or_create("city-letters").verify_key.text == first.verify_key.text
    second = store.create("city-letters")
    assert (first.key_id, second.key_id, store.key_id("city-letters")) == (
        "city-letters:1",
        "city-letters:2",
        "city-letters:2",
    )
    assert store.load("city-letters").verify_key.text == second.verify_key.text
    retired = read_key_file(tmp_path / "keys" / "retired" / "city-letters.1.pem")
    assert retired.verify_key.text == first.verify_key.text


def test_a_key_file_from_before_key_ids_were_kept_is_key_one(tmp_path: Path):
    store = KeyStore(tmp_path)
    store.path("old-body").write_bytes(KEY.to_pem())
    assert store.load("old-body").key_id == "old-body:1"
    assert store.create("old-body").key_id == "old-body:2"


def test_a_verify_key_from_text_checks_what_the_signing_key_signed_and_nothing_else():
    """Signing (cryptography) and verifying (libsodium) share raw 32-byte Ed25519 keys."""
    data = b'{"event_type":"ProblemClueReceived"}'
    signature = KEY.sign(data)
    key = VerifyKey.from_text(KEY.key_id, KEY.verify_key.text)
    assert key.text == KEY.verify_key.text
    assert key.verify(signature, data)
    assert not key.verify(signature, data + b" ")
    assert not key.verify(bytes([signature[0] ^ 1]) + signature[1:], data)
    assert not key.verify(signature[:63], data)
    assert not SigningKey.generate("other:1").verify_key.verify(signature, data)
    with pytest.raises(SignatureInvalid, match="not a valid Ed25519 key"):
        VerifyKey.from_text("short:1", KEY.verify_key.text[:20])
