"""Jinja2 templates with the page's language, the viewer and the CSRF token in every context."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from projections.web import charts
from projections.web.i18n import LOCALES, Language, chosen
from projections.web.views import PAGE_SIZE

LANG_COOKIE = "ff_lang"
_CAMEL = re.compile(r"^[A-Z][a-z]+(?:[A-Z][a-z]+)+$")
_CAMEL_SPLIT = re.compile(r"(?<!^)(?=[A-Z])")


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("projections.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["charts"] = charts
    env.globals["locales"] = LOCALES
    env.globals["cap"] = PAGE_SIZE
    return env


def language(request: Request) -> Language:
    """The page's language: ``?lang=`` if given, else the cookie, else Chinese."""
    return Language(chosen(request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)))


def term(lang: Language, value: Any) -> str:
    """A value of the domain (event type, status, category...) in the page's language: its catalogue
    entry, or the value itself when the catalogue has none."""
    if value is None or value == "":
        return "—"
    text = str(value)
    shown = lang.gettext(text)
    if shown == text and _CAMEL.match(text):  # an event type the catalogue does not know yet
        return _CAMEL_SPLIT.sub(" ", text).capitalize()
    return shown


def pairs(lang: Language, counts: dict[str, int] | list[dict[str, Any]]) -> list[tuple[str, int]]:
    """(label, count) pairs for a chart: from ``{value: count}``, or a list of ``{category, count}``."""
    if isinstance(counts, dict):
        return [(term(lang, k), n) for k, n in counts.items()]
    return [(term(lang, c["category"]), c["count"]) for c in counts]


def report_series(
    lang: Language, report: dict[str, Any], keys: tuple[str, ...]
) -> list[tuple[str, list[int]]]:
    """The monthly figures of the report's lines named by ``keys``, labelled in ``lang``."""
    lines = {line["key"]: line for line in report["lines"]}
    return [(lang.gettext(lines[k]["label"]), lines[k]["monthly"]) for k in keys if k in lines]


def render_text(name: str, lang: Language, **context: Any) -> str:
    """A template rendered to text in ``lang`` (pages, and the report written to a file)."""
    template = environment().get_template(name)
    return template.render(
        _=lang.gettext,
        gettext=lang.gettext,
        ngettext=lang.ngettext,
        lang=lang,
        term=lambda value: term(lang, value),
        pairs=lambda counts: pairs(lang, counts),
        report_series=lambda report, keys: report_series(lang, report, keys),
        category_series=lambda report: [(term(lang, c), v) for c, v in report["category_months"].items()],
        **context,
    )


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page; the language chosen by ``?lang=`` is remembered in a cookie."""
    lang = language(request)
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    html = render_text(name, lang, request=request, query=query, path=request.url.path, **context)
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    if request.query_params.get("lang") in LOCALES:
        response.set_cookie(LANG_COOKIE, lang.locale, max_age=365 * 86400, samesite="lax", httponly=True)
    return response
