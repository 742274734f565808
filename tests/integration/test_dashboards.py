"""The dashboards over real SQLite and PostgreSQL read models: sign-in, sessions and CSRF, and every
page filtered by the same need-to-know as the API; 403 for what a body has no need to know."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from projections import identity
from projections.web import ViewsNotRecorded
from schemas.enums import ViewedRecord
from tests.web_fixtures import PASSWORD, dashboard_app, people_store, populated_store

pytestmark = pytest.mark.integration


@pytest.fixture
def store(database_url):
    store = populated_store(database_url)
    yield store
    store.dispose()


@pytest.fixture
def people(tmp_path):
    people = people_store(tmp_path)
    yield people
    people.dispose()


@pytest.fixture
def views():
    """The RecordViewed events the dashboards hand to the log, in order."""
    return []


@pytest.fixture
def web(store, people, views):
    app = dashboard_app(store, people, views.append, max_failures=3, lockout_seconds=600)

    def signed_in(user_id: str, lang: str = "en") -> TestClient:
        client = TestClient(app, base_url="http://testserver")
        form = client.get(f"/ui/login?lang={lang}")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)[1]
        answer = client.post(
            "/ui/login",
            data={"user_id": user_id, "password": PASSWORD, "csrf_token": token, "next": "/ui/"},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        return client

    signed_in.app = app
    return signed_in


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


def test_pages_need_a_session_and_the_cookie_is_httponly_samesite_and_expires(web):
    client = TestClient(web.app)
    assert client.get("/ui/inbox", follow_redirects=False).headers["location"].startswith("/ui/login?next=")
    signed = web("wang")
    cookie = next(c for c in signed.cookies.jar if c.name == "ff_session")
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.expires is not None
    login = TestClient(web.app).get("/ui/login")
    assert (
        "SameSite=strict" in login.headers["set-cookie"]
        or "samesite=strict" in login.headers["set-cookie"].lower()
    )


def test_a_login_without_the_forms_csrf_token_is_refused(web):
    client = TestClient(web.app)
    client.get("/ui/login")
    answer = client.post("/ui/login", data={"user_id": "wang", "password": PASSWORD, "csrf_token": "forged"})
    assert answer.status_code == 403


def test_repeated_failures_lock_the_user_out_even_with_the_right_password(web):
    client = TestClient(web.app)
    token = _csrf(client.get("/ui/login?lang=en").text)
    for _ in range(3):
        wrong = client.post("/ui/login", data={"user_id": "li", "password": "nope" * 4, "csrf_token": token})
        assert wrong.status_code == 401
    locked = client.post("/ui/login", data={"user_id": "li", "password": PASSWORD, "csrf_token": token})
    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.text


def test_two_bodies_see_their_own_inboxes(web):
    city = web("wang").get("/ui/inbox").text
    jiangbei = web("li").get("/ui/inbox").text
    assert "clue-1" in city and "clue-2" not in city
    assert "clue-1" not in jiangbei


def test_the_inbox_filters_by_type_search_and_read_state(web):
    client = web("wang")
    page = client.get("/ui/inbox?type=ClueTransferred").text
    assert page.count('<tr class="unread"') >= 1 and "Problem clue received</span>" not in page
    assert "Nothing here." in client.get("/ui/inbox?q=no-such-text-anywhere").text
    first = re.search(r'data-event="([^"]+)"', client.get("/ui/inbox").text)[1]
    marked = client.post(
        "/ui/inbox/read", data={"csrf_token": _csrf(client.get("/ui/inbox").text), "event_id": first}
    )
    assert marked.status_code == 200
    assert f'data-event="{first}"' in client.get("/ui/inbox?state=read").text
    assert f'data-event="{first}"' not in client.get("/ui/inbox?state=unread").text
    forged = client.post("/ui/inbox/read", data={"csrf_token": "forged", "event_id": first})
    assert forged.status_code == 403


def test_a_clue_page_shows_its_custody_timeline_and_another_bodys_clue_is_403(web):
    client = web("wang")
    page = client.get("/ui/clues/clue-1")
    assert page.status_code == 200
    assert page.text.index("yuzhong-letters") < page.text.index("city-commission</b>")
    assert "<svg" in page.text and "A. Citizen" not in page.text
    assert client.get("/ui/clues/clue-2").status_code == 403
    assert client.get("/ui/clues/no-such-clue").status_code == 403


def test_dossiers_follow_jurisdiction(web):
    zhou = web("zhou")
    page = zhou.get("/ui/units/yuzhong-hospital")
    assert page.status_code == 200 and "Findings by category over time" in page.text and "<svg" in page.text
    assert web("li").get("/ui/units/yuzhong-hospital").status_code == 403


def test_opening_a_clue_or_dossier_is_recorded_and_a_refused_one_is_not(web, views):
    web("wang").get("/ui/clues/clue-1")
    web("zhou").get("/ui/units/yuzhong-hospital")
    web("wang").get("/ui/clues/clue-2")
    web("li").get("/ui/units/yuzhong-hospital")
    web("wang").get("/ui/inbox")
    assert [(v.viewer, v.viewer_body, v.record, v.record_id) for v in views] == [
        ("wang", "city-commission", ViewedRecord.CLUE, "clue-1"),
        ("zhou", "yuzhong-commission", ViewedRecord.DOSSIER, "yuzhong-hospital"),
    ]


def test_a_clue_is_not_shown_when_its_view_cannot_be_recorded(store, people):
    def unrecordable(viewed):
        raise ViewsNotRecorded("no dashboard key")

    client = TestClient(dashboard_app(store, people, unrecordable))
    token = _csrf(client.get("/ui/login?lang=en").text)
    client.post("/ui/login", data={"user_id": "wang", "password": PASSWORD, "csrf_token": token})
    page = client.get("/ui/clues/clue-1")
    assert page.status_code == 503 and "cannot record it now" in page.text and "A report" not in page.text
    assert client.get("/ui/inbox").status_code == 200


def test_boards_rounds_and_coordination_show_each_body_its_share(web):
    office = web("chen")
    board = office.get("/ui/rectifications").text
    assert "rect-1" in board and 'class="overdue"' in board
    assert "round-1" in office.get("/ui/rounds").text
    assert office.get("/ui/rounds/round-1").status_code == 200
    assert web("li").get("/ui/rounds/round-1").status_code == 403
    assert "rect-1" not in web("li").get("/ui/rectifications").text
    whole = web("zhang").get("/ui/coordination").text
    assert "item-1" in whole and "item-2" in whole


def test_leadership_sees_aggregates_only_and_the_report(web):
    liu = web("liu")
    assert liu.get("/ui/", follow_redirects=False).headers["location"] == "/ui/leadership"
    assert liu.get("/ui/leadership").status_code == 200
    for path in ("/ui/inbox", "/ui/clues/clue-1", "/ui/units/yuzhong-hospital", "/ui/rectifications"):
        assert liu.get(path).status_code == 403, path
    report = liu.get("/ui/report?half=2026H1")
    assert report.status_code == 200 and 'id="report-digest"' in report.text
    pdf = liu.get("/ui/report.pdf?half=2026H1")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert web("wang").get("/ui/report").status_code == 403


def test_quarantine_is_for_operators_and_shows_no_protected_field(web):
    page = web("ops").get("/ui/quarantine")
    assert page.status_code == 200 and "bad_signature" in page.text
    assert "A. Citizen" not in page.text
    assert web("wang").get("/ui/quarantine").status_code == 403
    assert web("ops").get("/ui/inbox").status_code == 403


def test_chinese_by_default_and_english_on_request(web):
    client = web("wang", lang="zh_CN")
    client.cookies.delete("ff_lang")
    assert "收件箱" in client.get("/ui/inbox").text
    assert ">Inbox" in client.get("/ui/inbox?lang=en").text
    assert ">Inbox" in client.get("/ui/inbox").text  # remembered in the cookie


def test_sign_out_needs_the_csrf_token_and_ends_the_session(web):
    client = web("wang")
    token = _csrf(client.get("/ui/inbox").text)
    assert client.post("/ui/logout", data={"csrf_token": "forged"}).status_code == 403
    client.post("/ui/logout", data={"csrf_token": token}, follow_redirects=False)
    assert client.get("/ui/inbox", follow_redirects=False).status_code == 303


def test_a_disabled_user_loses_the_session(web, people):
    client = web("wang")
    identity.disable_user(people.engine, "wang")
    assert client.get("/ui/inbox", follow_redirects=False).status_code == 303
