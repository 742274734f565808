"""Writes the JSON Schema export (schemas/json/) and docs/events.md, or checks they are current."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from schemas.catalogue import EVENT_TYPES, GROUPS
from schemas.compat import check_catalogue
from schemas.docs import render_catalogue
from schemas.registry import JSON_DIR, current_files
from schemas.upcasting import UPCASTERS

DOCS_FILE = Path(__file__).resolve().parent.parent / "docs" / "events.md"


def expected_files(json_dir: Path = JSON_DIR, docs_file: Path = DOCS_FILE) -> dict[Path, str]:
    """Every generated file and the text it must have."""
    files = {json_dir / name: text for name, text in current_files(EVENT_TYPES).items()}
    files[docs_file] = render_catalogue(GROUPS)
    return files


def stale_files(expected: dict[Path, str]) -> list[Path]:
    """The generated files that are missing or differ from what the models give."""
    return [
        path
        for path, text in expected.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schemas.export", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if out of date, 2 if incompatible"
    )
    parser.add_argument("--json-dir", type=Path, default=JSON_DIR)
    parser.add_argument("--docs", type=Path, default=DOCS_FILE)
    args = parser.parse_args(argv)
    problems = check_catalogue(EVENT_TYPES, UPCASTERS, args.json_dir)
    if problems:
        print("refused: the catalogue cannot read what is committed", file=sys.stderr)
        print("\n".join(f"  {problem}" for problem in problems), file=sys.stderr)
        return 2
    expected = expected_files(args.json_dir, args.docs)
    stale = stale_files(expected)
    if args.check:
        for path in stale:
            print(f"out of date: {path} (run python -m schemas.export)", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(expected[path], encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
