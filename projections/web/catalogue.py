"""Keep the translation catalogue complete: ``python -m projections.web.catalogue`` extracts every
message of the templates and the report, adds the domain's terms (event types, vocabularies,
statuses), and merges them into the .po files, keeping every translation already there. Labels that
the domain's vocabularies carry (schemas/enums.py, schemas/categories.py) are filled in from them."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from projections.web.i18n import CATALOGUE, DOMAIN, LOCALES

HERE = Path(__file__).parent
STATUSES = (
    "received", "transferred", "disposed", "open", "in_progress", "completed", "verified", "rejected",
    "proposed", "approved", "assigned", "overdue", "sound", "attention", "serious",
    "staff", "head", "auditor", "operator",
)  # fmt: skip
"""Values the read models write that no enum of the schemas lists."""


def messages() -> dict[str, str]:
    """msgid -> English text, for every message the dashboards use."""
    found: dict[str, str] = {}
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"templates/**.html": {"extensions": "", "trimmed": "false"}}
    for _file, _line, message, _comments, _context in extract_from_dir(
        HERE, method_map, options, keywords={"_": None, "gettext": None, "ngettext": (1, 2)}
    ):
        if isinstance(message, tuple):
            found[message[0]], found[message[1]] = message[0], message[1]
        else:
            found[message] = message
    from projections.halfyear import MEASURES

    for measure in MEASURES:
        found[measure.label] = measure.label
        found[measure.mechanism] = measure.mechanism
    found.update(domain_terms("en"))
    return found


def domain_terms(locale: str) -> dict[str, str]:
    """The domain's own labelled values, in ``locale``: categories, vocabularies, event types."""
    import schemas.enums as enums
    from schemas.catalogue import EVENT_TYPES
    from schemas.categories import FindingCategory

    zh = locale == "zh_CN"
    out = {} if zh else {t: _words(t) for t in EVENT_TYPES} | {s: s.replace("_", " ") for s in STATUSES}
    vocabularies = [
        c for c in vars(enums).values() if isinstance(c, type) and issubclass(c, enums.LabelledEnum)
    ]
    for vocabulary in [*vocabularies, FindingCategory]:
        for member in vocabulary:  # type: ignore[attr-defined]
            if member.label_en:
                out[member.value] = member.label_zh if zh else member.label_en
    return out


def _words(event_type: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", " ", event_type).capitalize()


def update() -> list[str]:
    """Merge into each locale's .po file; returns the zh_CN messages still untranslated."""
    wanted = messages()
    missing: list[str] = []
    for locale in LOCALES:
        path = CATALOGUE / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        old = read_po(path.open("rb"), locale=locale) if path.exists() else Catalog(locale=locale)
        known = {m.id: m.string for m in old if m.id}
        terms = domain_terms(locale)
        catalog = Catalog(locale=locale, domain=DOMAIN, project="Fourfold", fuzzy=False)
        for msgid in sorted(wanted):
            text = known.get(msgid) or terms.get(msgid) or ("" if locale == "zh_CN" else wanted[msgid])
            catalog.add(msgid, text)
            if not text:
                missing.append(msgid)
        with path.open("wb") as out:
            write_po(out, catalog, width=0, omit_header=False, sort_output=True)
    return missing


if __name__ == "__main__":
    untranslated = update()
    for msgid in untranslated:
        print(f"untranslated (zh_CN): {msgid}")
    sys.exit(1 if untranslated else 0)
