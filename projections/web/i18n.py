"""One translation catalogue (gettext .po files beside this module, compiled in memory when first
used, so no build step is needed), and dates and numbers formatted per locale by Babel."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
CATALOGUE = Path(__file__).parent / "locale"
DOMAIN = "messages"
TIMEZONE = ZoneInfo("Asia/Shanghai")
"""Times are stored in UTC and shown in the city's own time."""


@cache
def translations(locale: str) -> Translations:
    """The catalogue of ``locale``, compiled from its .po file once per process."""
    path = CATALOGUE / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


@cache
def babel_locale(locale: str) -> Locale:
    return Locale.parse(locale)


def chosen(requested: str | None) -> str:
    """The locale asked for if it is one of ours, else the default (Chinese)."""
    if requested in LOCALES:
        return requested
    if requested and requested.replace("-", "_").lower().startswith("en"):
        return "en"
    return DEFAULT_LOCALE


@dataclass(frozen=True)
class Language:
    """Everything a page needs to speak one locale."""

    locale: str

    def gettext(self, message: str) -> str:
        return translations(self.locale).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return translations(self.locale).ngettext(singular, plural, n)

    def when(self, value: datetime | None, form: str = "medium") -> str:
        if value is None:
            return "—"
        return format_datetime(_local(value), form, locale=babel_locale(self.locale))

    def day(self, value: datetime | date | None, form: str = "medium") -> str:
        if value is None:
            return "—"
        shown = _local(value).date() if isinstance(value, datetime) else value
        return format_date(shown, form, locale=babel_locale(self.locale))

    def number(self, value: float | None) -> str:
        return "—" if value is None else format_decimal(value, locale=babel_locale(self.locale))

    def percent(self, value: float | None) -> str:
        return "—" if value is None else format_percent(value, locale=babel_locale(self.locale))


def _local(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(TIMEZONE)
