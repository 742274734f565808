"""Ed25519 on this CPU: libsodium (PyNaCl, what ``schemas.VerifyKey`` and ``schemas.SigningKey``
use) against OpenSSL (``cryptography``, what they used before), on the same events of the router's
workload.

Measures the signature check alone, the whole ``verify_event`` (the bytes the signature covers,
then the check), the check on two threads (both libraries release the GIL), and signing the same
bytes (the SDK signs every event, the router each event it derives). Alternated rounds, the best
of each, so load elsewhere on the machine hits both alike. No broker.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey  # noqa: E402

from bench.common import workload  # noqa: E402
from schemas import SigningKey, VerifyKey, decode_event, encode_event, sign_event, verify_event  # noqa: E402
from schemas.signing import _signature_bytes, _signed_bytes  # noqa: E402

EVENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 3_000
ROUNDS = 5


class OpenSslKey:
    """``VerifyKey``'s interface through ``cryptography`` (OpenSSL), as it was before libsodium."""

    def __init__(self, key: VerifyKey):
        self.key_id = key.key_id
        self._key = Ed25519PublicKey.from_public_bytes(key._raw)

    def verify(self, signature: bytes, data: bytes) -> bool:
        try:
            self._key.verify(signature, data)
        except InvalidSignature:
            return False
        return True


def signed_events() -> tuple[list[Any], dict[str, VerifyKey]]:
    """The workload signed by one key per body and decoded as the router reads it."""
    events = workload(EVENTS)
    keys = {body: SigningKey.generate(f"{body}:1") for body in {e.source_body for e in events}}
    decoded = [decode_event(encode_event(sign_event(e, keys[e.source_body]))) for e in events]
    return decoded, {body: key.verify_key for body, key in keys.items()}


def best_rate(run: Callable[[], None], n: int, rates: list[float]) -> None:
    began = time.perf_counter()
    run()
    rates.append(n / (time.perf_counter() - began))


def main() -> None:
    events, sodium = signed_events()
    openssl = {body: OpenSslKey(key) for body, key in sodium.items()}
    checks = [(e.source_body, _signature_bytes(e.signature), _signed_bytes(e)) for e in events]
    for keys in (sodium, openssl):  # the same answers, for good and for tampered bytes
        assert all(keys[b].verify(s, d) for b, s, d in checks)  # type: ignore[attr-defined]
        assert not any(keys[b].verify(s, d + b" ") for b, s, d in checks[:50])  # type: ignore[attr-defined]

    def check(keys: dict[str, Any], part: list[tuple[str, bytes, bytes]]) -> Callable[[], None]:
        def run() -> None:
            for body, signature, data in part:
                keys[body].verify(signature, data)

        return run

    def whole(keys: dict[str, Any]) -> Callable[[], None]:
        def run() -> None:
            for e in events:
                verify_event(e, keys[e.source_body])

        return run

    pool = ThreadPoolExecutor(2)
    halves = [checks[0::2], checks[1::2]]

    signers = {body: SigningKey.generate(f"{body}:1") for body in sodium}
    to_sign = [(signers[b], d) for b, _, d in checks]
    assert all(k.sign(d) == k._key.sign(d) for k, d in to_sign[:50])  # the same signatures

    def sign(with_sodium: bool) -> Callable[[], None]:
        def run() -> None:
            for key, data in to_sign:
                (key if with_sodium else key._key).sign(data)

        return run

    def threaded(keys: dict[str, Any]) -> Callable[[], None]:
        def run() -> None:
            for future in [pool.submit(check(keys, half)) for half in halves]:
                future.result()

        return run

    figures: dict[str, dict[str, list[float]]] = {}
    for _ in range(ROUNDS):
        for name, keys in (("libsodium", sodium), ("openssl", openssl)):
            rates = figures.setdefault(name, {"check": [], "verify_event": [], "two threads": [], "sign": []})
            best_rate(check(keys, checks), len(checks), rates["check"])
            best_rate(whole(keys), len(events), rates["verify_event"])
            best_rate(threaded(keys), len(checks), rates["two threads"])
            best_rate(sign(name == "libsodium"), len(to_sign), rates["sign"])
    pool.shutdown()
    print(f"Ed25519 on {len(events)} events, best of {ROUNDS} alternated rounds:")
    for what in ("check", "verify_event", "two threads", "sign"):
        ours, theirs = max(figures["libsodium"][what]), max(figures["openssl"][what])
        print(
            f"  {what:<13} libsodium (PyNaCl) {ours:8,.0f}/s ({1e6 / ours:5.1f} µs)"
            f"   openssl (cryptography) {theirs:8,.0f}/s ({1e6 / theirs:5.1f} µs)   ratio {ours / theirs:.2f}"
        )


if __name__ == "__main__":
    main()
