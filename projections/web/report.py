"""The half-yearly report as a page, a self-contained HTML file, or a PDF (WeasyPrint, no network)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from projections.web.i18n import Language
from projections.web.rendering import render_text

STATIC = Path(__file__).parent / "static"


def standalone_html(figures: dict[str, Any], lang: Language) -> str:
    """The report as one HTML document with its style inlined: nothing to fetch, from anywhere."""
    style = (STATIC / "style.css").read_text(encoding="utf-8")
    return render_text("report_print.html", lang, report=figures, inline_style=style)


def pdf(figures: dict[str, Any], lang: Language) -> bytes:
    """The report as PDF. WeasyPrint lays it out with Pango; a URL fetcher that refuses everything
    makes sure nothing is fetched (the document needs nothing outside itself)."""
    from weasyprint import HTML

    for name in ("weasyprint", "weasyprint.progress", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)  # layout notes, not problems of the report

    def refuse(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raise ValueError(f"the report fetches nothing ({url})")

    document = HTML(string=standalone_html(figures, lang), url_fetcher=refuse, base_url=str(STATIC))
    return bytes(document.write_pdf())
