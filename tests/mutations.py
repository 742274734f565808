"""Mutations of valid ingest records, for the fuzz tests: each yields bytes that differ from the input."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

Mutation = Callable[[bytes, random.Random], bytes]


def flip_bit(raw: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(raw))
    return raw[:at] + bytes([raw[at] ^ (1 << rng.randrange(8))]) + raw[at + 1 :]


def truncate(raw: bytes, rng: random.Random) -> bytes:
    return raw[: rng.randrange(len(raw))]


def insert_bytes(raw: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(raw) + 1)
    return raw[:at] + rng.randbytes(rng.randint(1, 64)) + raw[at:]


def noise(raw: bytes, rng: random.Random) -> bytes:
    return rng.randbytes(rng.randint(0, 4096))


def flood(raw: bytes, rng: random.Random) -> bytes:
    """Far beyond the event size limit (the broker's limit on ingest topics may refuse it first)."""
    return bytes([rng.randrange(256)]) * rng.choice([70_000, 200_000])


def change_leaf(raw: bytes, rng: random.Random) -> bytes:
    """Change one value inside the JSON: content the signature no longer covers."""
    data = json.loads(raw)
    paths = list(_leaves(data, ()))
    path = rng.choice(paths)
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = rng.choice(
        [None, 0, -1, 2**70, "", "x" * rng.randint(1, 300), [], {}, True, "2099-01-01T00:00:00Z"]
    )
    changed = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return changed if changed != raw else raw + b" "


def reformat(raw: bytes, rng: random.Random) -> bytes:
    """The same JSON, spaced out: not canonical."""
    return json.dumps(json.loads(raw), indent=rng.randint(0, 3)).encode() + b" "


def _leaves(data: Any, path: tuple[Any, ...]) -> Any:
    if isinstance(data, dict) and data:
        for key, value in data.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(data, list) and data:
        for i, value in enumerate(data):
            yield from _leaves(value, (*path, i))
    elif path:
        yield path


MUTATIONS: tuple[Mutation, ...] = (flip_bit, truncate, insert_bytes, noise, flood, change_leaf, reformat)


def mutated(raw: bytes, rng: random.Random, mutation: Mutation | None = None) -> bytes:
    """``raw`` changed by one mutation (chosen by ``rng`` when not given); never equal to ``raw``."""
    out = (mutation or rng.choice(MUTATIONS))(raw, rng)
    return out if out != raw else raw + b"\x00"
