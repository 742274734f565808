"""Sealing is the default: a registry load gives every body that may read an informant an encryption key,
registered as the registrar, so a clue is sealed for exactly the bodies the gate lets read it; the gate
refuses an informant in clear unless the bus is configured otherwise."""

from __future__ import annotations

import pytest

from fourfold.encryption import directory_of
from fourfold.registrar import DEMO_REGISTRY, load_registry_file, protected_readers, reference_facts
from fourfold.settings import Settings
from schemas import SigningKey
from schemas.ciphertext import Sealed
from schemas.confidential import EncryptionKey, seal_protected
from schemas.events.clues import Informant
from schemas.events.reference import EncryptionKeyRegistered
from streams.admission import Gate
from streams.confidentiality import allowed_readers
from streams.testing import REGISTRAR, clue, demo_bench, event


def test_the_bus_refuses_informants_in_clear_unless_told_otherwise() -> None:
    assert Settings.model_fields["require_sealed_fields"].default is True
    assert Gate("registrar", "bus", 65_536).require_sealed


def test_a_registry_load_registers_a_key_for_each_reader_of_informants_and_no_one_else() -> None:
    data = load_registry_file(DEMO_REGISTRY)
    keys: dict[str, EncryptionKey] = {}

    def encryption_key(body_id: str) -> EncryptionKey:
        return keys.setdefault(body_id, EncryptionKey.generate(body_id, f"{body_id}:enc:1"))

    facts = reference_facts(
        data, lambda b: SigningKey.generate(f"{b}:1").verify_key, lambda b: encryption_key(b).recipient
    )
    registered = [p for p, _ in facts if isinstance(p, EncryptionKeyRegistered)]
    kinds = {b["body_id"]: b["kind"] for b in data["bodies"]}
    assert sorted(p.body_id for p in registered) == sorted(protected_readers(data))
    assert {b for b, k in kinds.items() if k in ("letters_visits", "case_management")} <= set(keys)
    assert not {b for b, k in kinds.items() if k in ("leadership", "inspection_team", "system")} & set(keys)
    assert all(p.public_key == keys[p.body_id].recipient.text for p in registered)
    without = reference_facts(data, lambda b: SigningKey.generate(f"{b}:1").verify_key)
    assert not any(isinstance(p, EncryptionKeyRegistered) for p, _ in without)


@pytest.mark.parametrize(
    ("source", "cadre"),
    [("yuzhong-letters", "cadre-qian"), ("yuzhong-commission", "cadre-qian"), ("city-letters", "cadre-sun")],
    ids=["district office, city's cadre", "a commission as source", "city office, district's cadre"],
)
def test_with_the_keys_a_load_registers_a_clue_is_sealed_for_exactly_its_readers_and_admitted(
    source: str, cadre: str
) -> None:
    data = load_registry_file(DEMO_REGISTRY)
    bench = demo_bench(require_sealed=True)
    facts = reference_facts(
        data,
        lambda b: bench.keys[b].verify_key,
        lambda b: EncryptionKey.generate(b, f"{b}:enc:1").recipient,
    )
    for payload, _ in facts:
        if isinstance(payload, EncryptionKeyRegistered):
            outcome = bench.publish(event(payload, REGISTRAR))
            assert outcome.quarantined is None, outcome.quarantined
    directory = directory_of(bench.registry)

    in_clear = clue(cadre, "yuzhong-hospital", source, clue_id="c-clear", informant=Informant(name="X"))
    refused = bench.publish(in_clear).quarantined
    assert refused is not None and refused.reason == "unencrypted_protected"

    received = clue(cadre, "yuzhong-hospital", source, clue_id="c-sealed", informant=Informant(name="X"))
    sealed = seal_protected(received, directory.recipients(received))
    assert isinstance(sealed.payload.informant, Sealed)
    assert sealed.payload.informant.readers() == allowed_readers(received, bench.registry)
    assert bench.publish(sealed).quarantined is None
