"""What the log's tamper evidence costs, in one run (no broker): per record the router appends, the
chain link (schemas/chain.py) against the seal it already computes; per batch, the signed
checkpoint; and `fourfold verify`'s walk of a log against decoding the same records, which is the
least a replay does with each record. Best of a few alternated rounds, so load elsewhere hits both.
The end-to-end cost on the real broker shows in bench_router.py (the router always chains).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_integrity import best_rate  # noqa: E402
from bench.common import workload  # noqa: E402
from schemas import SigningKey, decode_event, encode_event, sign_event  # noqa: E402
from schemas.chain import Chains, Checkpoint, LogRecord, verify_log  # noqa: E402
from schemas.seal import Seal  # noqa: E402

RECORDS = 20_000
TOPIC = "bench.log"


def main() -> None:
    key = SigningKey.generate("bus:1")
    seal = Seal.generate()
    events = workload(RECORDS)
    values = [encode_event(sign_event(e, key)) for e in events]
    keys = [e.correlation_id.encode() for e in events]
    chains = [f"bench.ingest.b{i % 9}/{i % 3}" for i in range(RECORDS)]

    def sealing() -> int:
        for k, v in zip(keys, values, strict=True):
            seal.headers(TOPIC, k, v)
        return RECORDS

    def chaining() -> int:
        heads = Chains()
        for c, k, v in zip(chains, keys, values, strict=True):
            heads.extend(c, k, v)
        return RECORDS

    def checkpointing() -> int:
        heads = Chains()
        heads.extend(chains[0], keys[0], values[0])
        for _ in range(200):
            Checkpoint.sign(chains[0], heads.head(chains[0]), key)
        return 200

    heads = Chains()
    log = []
    for i, (c, k, v) in enumerate(zip(chains, keys, values, strict=True)):
        headers = seal.headers(TOPIC, k, v) + heads.extend(c, k, v)
        log.append(LogRecord(i % 3, i // 3, k, v, headers))
    marks = [Checkpoint.sign(c, heads.head(c), key) for c in sorted(set(chains))]

    def verifying() -> int:
        result = verify_log(TOPIC, log, marks, bus_key=key.verify_key, seal=seal)
        assert result.intact, result.first
        return RECORDS

    def decoding() -> int:
        for v in values:
            decode_event(v)
        return RECORDS

    seal_rate, chain_rate = best_rate(sealing), best_rate(chaining)
    checkpoint_rate = best_rate(checkpointing)
    verify_rate, decode_rate = best_rate(verifying), best_rate(decoding)
    print(f"per record appended, the seal (baseline):  {1e6 / seal_rate:6.1f} µs")
    link = 1e6 / chain_rate
    print(f"per record appended, its chain link:       {link:6.1f} µs   ratio {seal_rate / chain_rate:.2f}")
    print(f"per batch, one signed checkpoint per chain: {1e6 / checkpoint_rate:6.1f} µs")
    print(f"fourfold verify (seal + chain per record): {verify_rate:8,.0f} records/s")
    ratio = verify_rate / decode_rate
    print(f"decoding the same records (baseline):      {decode_rate:8,.0f} records/s   ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
