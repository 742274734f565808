"""Field-level confidentiality: sealing and opening protected values, keys on the log, the directory."""

from __future__ import annotations

import stat
import uuid
from typing import Any

import pytest

from fourfold.encryption import EncryptionKeyStore, directory_of
from producers.directory import Directory
from producers.errors import EventRefused
from producers.staging import Stager
from schemas import SigningKey, decode_event
from schemas.ciphertext import Sealed
from schemas.confidential import (
    CannotOpen,
    EncryptionKey,
    Keyring,
    clear_protected,
    open_protected,
    open_value,
    seal_protected,
    seal_value,
)
from schemas.events.clues import ClueTransferred, Informant
from schemas.events.reference import EncryptionKeyRegistered, EncryptionKeyRevoked
from streams.confidentiality import sealed_problem
from streams.testing import REGISTRAR, Bench, demo_bench, event
from streams.testing import clue as a_clue

NAME = "Wang Xiaoming-unit"
EVENT = uuid.uuid4()
PATH = "payload.informant"


def _key(body_id: str, n: int = 1) -> EncryptionKey:
    return EncryptionKey.generate(body_id, f"{body_id}:enc:{n}")


def _ring(*keys: EncryptionKey) -> Keyring:
    ring = Keyring()
    for key in keys:
        ring.add(key)
    return ring


def test_a_value_sealed_for_two_bodies_opens_for_each_and_holds_no_clear_text():
    letters, cases = _key("city-letters"), _key("city-case-mgmt")
    sealed = seal_value({"name": NAME}, [letters.recipient, cases.recipient], event_id=EVENT, path=PATH)
    assert NAME not in sealed.model_dump_json()
    assert sealed.readers() == {"city-letters", "city-case-mgmt"}
    for key in (letters, cases):
        assert open_value(sealed, key.body_id, _ring(key), event_id=EVENT, path=PATH) == {"name": NAME}


def test_a_key_it_was_not_sealed_for_does_not_open_it():
    letters, other = _key("city-letters"), _key("jiangbei-letters")
    sealed = seal_value({"name": NAME}, [letters.recipient], event_id=EVENT, path=PATH)
    with pytest.raises(CannotOpen, match="not sealed for a key of jiangbei-letters"):
        open_value(sealed, "jiangbei-letters", _ring(other), event_id=EVENT, path=PATH)
    impostor = EncryptionKey.generate("city-letters", "city-letters:enc:1")  # same id, other key
    with pytest.raises(CannotOpen, match="integrity"):
        open_value(sealed, "city-letters", _ring(impostor), event_id=EVENT, path=PATH)


@pytest.mark.parametrize(
    ("event_id", "path"),
    [(uuid.uuid4(), PATH), (EVENT, "payload.summary")],
    ids=["other event", "other field"],
)
def test_a_sealed_value_cut_and_pasted_elsewhere_does_not_open(event_id: uuid.UUID, path: str):
    key = _key("city-letters")
    sealed = seal_value({"name": NAME}, [key.recipient], event_id=EVENT, path=PATH)
    with pytest.raises(CannotOpen, match="integrity"):
        open_value(sealed, "city-letters", _ring(key), event_id=event_id, path=path)


def test_a_tampered_ciphertext_or_wrapped_key_does_not_open():
    key = _key("city-letters")
    sealed = seal_value({"name": NAME}, [key.recipient], event_id=EVENT, path=PATH)
    flipped = sealed.ciphertext[:-3] + ("A" if sealed.ciphertext[-3] != "A" else "B") + sealed.ciphertext[-2:]
    wrapped = sealed.recipients[0].model_copy(update={"wrapped": sealed.recipients[0].wrapped[::-1]})
    for bad in (
        sealed.model_copy(update={"ciphertext": flipped}),
        sealed.model_copy(update={"recipients": (wrapped,)}),
    ):
        with pytest.raises(CannotOpen):
            open_value(bad, "city-letters", _ring(key), event_id=EVENT, path=PATH)


def _register(bench: Bench, payload: Any) -> None:
    outcome = bench.publish(event(payload, REGISTRAR))
    assert outcome.quarantined is None, outcome.quarantined


def test_keys_registered_rotated_and_revoked_on_the_log_decide_what_new_values_are_sealed_for():
    bench = demo_bench()
    old, new = _key("city-letters", 1), _key("city-letters", 2)
    cases = _key("city-case-mgmt")
    for key in (old, cases):
        _register(
            bench,
            EncryptionKeyRegistered(body_id=key.body_id, key_id=key.key_id, public_key=key.recipient.text),
        )
    clue = a_clue("cadre-zhao", "city-bank", "city-letters", informant=Informant(name=NAME))

    before = Directory.from_json(directory_of(bench.registry).to_json()).recipients(clue)
    assert {k.key_id for k in before} == {old.key_id, cases.key_id}

    _register(
        bench,
        EncryptionKeyRegistered(body_id="city-letters", key_id=new.key_id, public_key=new.recipient.text),
    )
    rotating = directory_of(bench.registry).recipients(clue)
    assert {k.key_id for k in rotating} == {old.key_id, new.key_id, cases.key_id}  # overlap

    _register(bench, EncryptionKeyRevoked(body_id="city-letters", key_id=old.key_id, reason="Rotated."))
    after = directory_of(bench.registry).recipients(clue)
    assert {k.key_id for k in after} == {new.key_id, cases.key_id}
    again = bench.publish(
        event(
            EncryptionKeyRegistered(body_id="city-letters", key_id=old.key_id, public_key=old.recipient.text),
            REGISTRAR,
        )
    )
    assert again.quarantined is not None and again.quarantined.reason == "revoked_key"

    sealed_before = seal_protected(clue, before).payload.informant
    sealed_after = seal_protected(clue, after).payload.informant
    retired_and_current = _ring(old, new)  # a rotated body keeps its retired key to read what came before
    assert (
        open_value(sealed_before, "city-letters", retired_and_current, event_id=clue.event_id, path=PATH)[
            "name"
        ]
        == NAME
    )
    assert (
        open_value(sealed_after, "city-letters", _ring(new), event_id=clue.event_id, path=PATH)["name"]
        == NAME
    )
    with pytest.raises(CannotOpen):
        open_value(sealed_after, "city-letters", _ring(old), event_id=clue.event_id, path=PATH)


def _directory(bench: Bench, *bodies: str) -> tuple[Directory, dict[str, EncryptionKey]]:
    keys = {b: _key(b) for b in bodies}
    for key in keys.values():
        _register(
            bench,
            EncryptionKeyRegistered(body_id=key.body_id, key_id=key.key_id, public_key=key.recipient.text),
        )
    return directory_of(bench.registry), keys


def test_the_sdk_seals_a_clue_for_the_readers_of_its_jurisdiction_and_its_source_before_signing():
    bench = demo_bench()
    directory, keys = _directory(
        bench, "city-letters", "city-case-mgmt", "yuzhong-letters", "yuzhong-case-mgmt", "yuzhong-commission"
    )
    stager = Stager(
        "yuzhong-commission",
        SigningKey.generate("yuzhong-commission:1"),
        body_kind=None,
        max_event_bytes=65_536,
        directory=directory,
    )
    # a municipal-managed cadre: the city commission has jurisdiction, whoever received it
    clue = a_clue("cadre-qian", "yuzhong-hospital", "yuzhong-commission", informant=Informant(name=NAME))
    staged = stager.prepare(clue).numbered(1)
    assert NAME.encode() not in staged.value
    logged = decode_event(staged.value)
    assert clear_protected(logged) == () and isinstance(logged.payload.informant, Sealed)
    assert logged.payload.informant.readers() == {"city-letters", "city-case-mgmt", "yuzhong-commission"}
    payload = logged.model_dump(mode="json")["payload"]
    for body in ("city-case-mgmt", "yuzhong-commission"):
        opened, closed = open_protected(logged.event_type, logged.event_id, payload, body, _ring(keys[body]))
        assert opened["informant"]["name"] == NAME and closed == ()
    _, closed = open_protected(
        logged.event_type, logged.event_id, payload, "yuzhong-letters", _ring(keys["yuzhong-letters"])
    )
    assert closed == (PATH,)


def test_a_transfer_seals_the_informant_again_for_the_new_holder_s_readers():
    bench = demo_bench()
    directory, keys = _directory(
        bench, "city-letters", "city-case-mgmt", "yuzhong-letters", "yuzhong-case-mgmt"
    )
    transfer = event(
        ClueTransferred(
            clue_id="clue-1",
            from_body="city-case-mgmt",
            to_body="yuzhong-commission",
            reason="District matter.",
            informant=Informant(name=NAME),
        ),
        "city-case-mgmt",
    )
    sealed = seal_protected(transfer, directory.recipients(transfer)).payload.informant
    assert sealed.readers() == {"yuzhong-letters", "yuzhong-case-mgmt", "city-case-mgmt"}
    opened = open_value(
        sealed, "yuzhong-letters", _ring(keys["yuzhong-letters"]), event_id=transfer.event_id, path=PATH
    )
    assert opened["name"] == NAME


def test_without_a_key_of_the_jurisdiction_the_sdk_refuses_rather_than_send_the_name_in_clear():
    bench = demo_bench()
    directory, _ = _directory(bench, "yuzhong-letters")
    stager = Stager(
        "city-letters",
        SigningKey.generate("city-letters:1"),
        body_kind=None,
        max_event_bytes=65_536,
        directory=directory,
    )
    with pytest.raises(EventRefused) as refused:
        stager.prepare(a_clue("cadre-zhao", "city-bank", "city-letters", informant=Informant(name=NAME)))
    assert refused.value.reason == "no_recipients"


def test_a_body_s_new_key_retires_the_old_one_which_still_opens_what_was_sealed_for_it(tmp_path):
    store = EncryptionKeyStore(tmp_path / "keys" / "encryption")
    first = store.create("city-letters")
    sealed = seal_value({"name": NAME}, [first.recipient], event_id=EVENT, path=PATH)
    second = store.create("city-letters")
    assert (first.key_id, second.key_id) == ("city-letters:enc:1", "city-letters:enc:2")
    assert store.load("city-letters").key_id == second.key_id
    ring = store.keyring()
    assert set(ring.of("city-letters")) == {first.key_id, second.key_id}
    assert open_value(sealed, "city-letters", ring, event_id=EVENT, path=PATH) == {"name": NAME}
    assert store.keyring({"city-case-mgmt"}).holds("city-letters") is False
    for path in [store.path("city-letters"), *store.directory.glob("retired/*")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((store.directory / "retired").stat().st_mode) == 0o700


def test_the_gate_check_takes_only_values_sealed_for_registered_keys_of_permitted_readers():
    bench = demo_bench()
    directory, _ = _directory(bench, "city-letters", "city-case-mgmt")
    clue = a_clue("cadre-zhao", "city-bank", "city-letters", informant=Informant(name=NAME))
    assert sealed_problem(clue, bench.registry, require_sealed=False) is None
    assert sealed_problem(clue, bench.registry, require_sealed=True) == (
        "unencrypted_protected",
        "payload.informant is protected and must be sealed by the SDK",
    )
    assert (
        sealed_problem(seal_protected(clue, directory.recipients(clue)), bench.registry, require_sealed=True)
        is None
    )

    outsider = _key("city-commission")  # registered, but the holder commission may not read informants
    _register(
        bench,
        EncryptionKeyRegistered(
            body_id="city-commission", key_id=outsider.key_id, public_key=outsider.recipient.text
        ),
    )
    widened = seal_protected(clue, [*directory.recipients(clue), outsider.recipient])
    reason, detail = sealed_problem(widened, bench.registry, require_sealed=True) or ("", "")
    assert reason == "unauthorised" and "'city-commission'" in detail and NAME not in detail

    unregistered = _key("city-case-mgmt", 9)  # a key a tampered directory could slip in
    forged = seal_protected(clue, [unregistered.recipient])
    reason, detail = sealed_problem(forged, bench.registry, require_sealed=True) or ("", "")
    assert reason == "unauthorised" and "city-case-mgmt:enc:9" in detail
