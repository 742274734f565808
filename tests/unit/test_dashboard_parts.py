"""The dashboards' parts that need nothing running: the translation catalogue, locale formatting,
the SVG charts and half-year arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from babel.messages.pofile import read_po

from projections.halfyear import BadHalf, Half
from projections.web import catalogue, charts
from projections.web.i18n import CATALOGUE, Language, chosen
from projections.web.rendering import term
from schemas.catalogue import EVENT_TYPES


def _po(locale: str) -> dict[str, str]:
    with (CATALOGUE / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return {m.id: m.string for m in read_po(po, locale=locale) if m.id}


def test_every_label_of_the_pages_and_the_report_is_in_the_catalogue_in_both_languages():
    """Event types are left out: a new one shows its name in words until it is translated."""
    wanted = set(catalogue.messages()) - set(EVENT_TYPES)
    for locale in ("zh_CN", "en"):
        translated = {k for k, v in _po(locale).items() if v}
        assert wanted <= translated, (
            f"{locale}: run python -m projections.web.catalogue: {wanted - translated}"
        )


def test_chinese_is_the_default_and_english_is_chosen_by_name():
    assert chosen(None) == chosen("fr") == "zh_CN"
    assert chosen("en") == chosen("en-US") == "en"
    assert Language("zh_CN").gettext("Inbox") == "收件箱"
    assert Language("en").gettext("Inbox") == "Inbox"
    assert Language("zh_CN").gettext("eight_point_rules") == "违反中央八项规定精神"


def test_dates_and_numbers_follow_the_locale_in_the_citys_time():
    moment = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)  # 00:30 on 3 March in Chongqing
    assert Language("zh_CN").day(moment) == "2026年3月3日"
    assert Language("en").day(moment) == "Mar 3, 2026"
    assert Language("en").number(1234567) == "1,234,567"
    assert Language("zh_CN").when(None) == "—"


def test_chart_labels_are_escaped_and_empty_charts_still_draw():
    svg = charts.bars([("<script>alert(1)</script>", 3)], "title")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert str(charts.bars([], "nothing")).startswith("<svg")
    stacked = charts.columns(["2026-01", "2026-02"], [("a", [1, 2]), ("b", [0, 3])], "t")
    assert stacked.count("<rect") == 3 + 2  # three non-empty layers and two legend keys


def test_half_years_parse_and_know_their_months_and_predecessor():
    h1 = Half.parse("2026h1")
    assert (h1.start, h1.end) == (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC))
    assert h1.months[0] == "2026-01" and h1.months[-1] == "2026-06"
    assert str(h1.previous) == "2025H2" and str(Half.parse("2026H2").previous) == "2026H1"
    assert Half.containing(datetime(2026, 12, 1, tzinfo=UTC)) == Half(2026, 2)
    with pytest.raises(BadHalf):
        Half.parse("2026Q1")


def test_an_event_type_missing_from_the_catalogue_still_reads_as_words():
    assert term(Language("en"), "SomethingNewHappened") == "Something new happened"
    assert term(Language("zh_CN"), "ProblemClueReceived") == "受理问题线索"
