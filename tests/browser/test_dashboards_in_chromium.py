"""The dashboards in a real Chromium: sign-in per person, each body's own inbox, the custody timeline,
403 for another body's clue or dossier, the PDF report, both languages, and an event published on the
real bus that appears live; opening a clue lands on the log as RecordViewed, which the audit command
names. Every page visited is saved as a screenshot (see conftest.artifacts)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from fourfold.demo import scenario
from projections.identity import IdentityStore, add_user
from tests.browser.screens import shoot
from tests.web_fixtures import PASSWORD, dashboard_app, people_store, populated_store


@pytest.fixture
def site(tmp_path, serve):
    store = populated_store(f"sqlite:///{tmp_path / 'readmodels.db'}")
    people = people_store(tmp_path)
    served = serve(dashboard_app(store, people))
    yield served.base
    store.dispose()
    people.dispose()


def sign_in(driver: Any, base: str, user_id: str, lang: str = "zh_CN") -> None:
    driver.delete_all_cookies()
    driver.get(f"{base}/ui/login?lang={lang}")
    driver.find_element(By.ID, "user_id").send_keys(user_id)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "sign-in").click()
    WebDriverWait(driver, 20).until(ready.presence_of_element_located((By.ID, "signed-in-as")))


def inbox_subjects(driver: Any) -> set[str]:
    rows = driver.find_elements(By.CSS_SELECTOR, "#inbox-rows tr td:nth-child(4)")
    return {row.text for row in rows}


def test_two_bodies_sign_in_and_see_different_inboxes(chromium, site, artifacts):
    driver = chromium()
    driver.get(f"{site}/ui/login")
    shoot(driver, artifacts, "login")
    sign_in(driver, site, "wang")
    driver.get(f"{site}/ui/inbox")
    city = inbox_subjects(driver)
    assert "clue-1" in city and "clue-2" not in city
    assert "收件箱" in driver.find_element(By.TAG_NAME, "h1").text
    shoot(driver, artifacts, "inbox-city-commission-zh")

    sign_in(driver, site, "zhou")
    driver.get(f"{site}/ui/inbox")
    yuzhong = inbox_subjects(driver)
    assert {"clue-2", "clue-3"} <= yuzhong and "clue-1" not in yuzhong
    shoot(driver, artifacts, "inbox-yuzhong-commission-zh")


def test_a_clue_page_shows_its_custody_timeline(chromium, site, artifacts):
    driver = chromium()
    sign_in(driver, site, "wang", lang="en")
    driver.get(f"{site}/ui/clues/clue-1")
    spells = driver.find_elements(By.CSS_SELECTOR, "#custody li")
    assert [s.find_element(By.TAG_NAME, "b").text for s in spells] == ["yuzhong-letters", "city-commission"]
    assert "current" in spells[1].get_attribute("class")
    assert driver.find_elements(By.CSS_SELECTOR, "section svg.chart")
    shoot(driver, artifacts, "clue-custody-en")


def test_editing_the_url_to_another_bodys_clue_or_dossier_is_403(chromium, site, artifacts):
    driver = chromium()
    sign_in(driver, site, "li", lang="en")
    for path in ("/ui/clues/clue-1", "/ui/units/yuzhong-hospital"):
        driver.get(site + path)
        assert driver.find_element(By.ID, "forbidden").text.startswith("403"), path
    shoot(driver, artifacts, "forbidden-en")
    driver.get(f"{site}/ui/units/jiangbei-school")
    assert "Jiangbei Experimental School" in driver.find_element(By.TAG_NAME, "h1").text


def test_every_page_renders_in_chinese_and_in_english(chromium, site, artifacts):
    driver = chromium()
    pages = {
        "zhou": ["/ui/units", "/ui/units/yuzhong-hospital", "/ui/rectifications", "/ui/coordination"],
        "chen": ["/ui/rounds", "/ui/rounds/round-1", "/ui/clues"],
        "liu": ["/ui/leadership"],
        "ops": ["/ui/quarantine"],
    }
    for user, paths in pages.items():
        for lang, heading in (("zh_CN", "四项监督"), ("en", "Fourfold")):
            sign_in(driver, site, user, lang=lang)
            for path in paths:
                driver.get(site + path)
                assert driver.find_element(By.CLASS_NAME, "brand").text.startswith(heading), (path, lang)
                assert not driver.find_elements(By.ID, "forbidden"), (user, path)
                name = path.strip("/").replace("/", "-") or "home"
                shoot(driver, artifacts, f"{name}-{'zh' if lang == 'zh_CN' else 'en'}")
    sign_in(driver, site, "zhou", lang="en")
    driver.get(f"{site}/ui/rectifications")
    overdue = driver.find_elements(By.CSS_SELECTOR, "#board tr.overdue")
    assert [row.get_attribute("data-rectification") for row in overdue] == ["rect-1"]
    driver.get(f"{site}/ui/inbox?lang=zh_CN")
    assert "收件箱" in driver.find_element(By.TAG_NAME, "h1").text
    driver.find_element(By.LINK_TEXT, "English").click()
    assert driver.find_element(By.TAG_NAME, "h1").text.startswith("Inbox")


def test_the_report_downloads_as_pdf(chromium, site, artifacts, tmp_path):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver = chromium(downloads=downloads)
    sign_in(driver, site, "liu")
    driver.get(f"{site}/ui/report?half=2026H1")
    assert "2026H1" in driver.find_element(By.ID, "report-title").text
    assert len(driver.find_element(By.ID, "report-digest").text) == 64
    shoot(driver, artifacts, "report-zh")
    driver.find_element(By.ID, "report-pdf").click()
    pdf = _downloaded(downloads, "fourfold-report-2026H1.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")


def _downloaded(directory: Path, name: str, timeout: float = 60) -> Path:
    deadline = time.monotonic() + timeout
    path = directory / name
    while not path.exists() or path.stat().st_size == 0:
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} was not downloaded into {directory}: {list(directory.iterdir())}")
        time.sleep(0.2)
    return path


@pytest.mark.integration
def test_an_event_published_during_the_test_appears_live(chromium, running_bus, serve, artifacts, tmp_path):
    bus = running_bus.start()
    container = bus.container
    people = IdentityStore(f"sqlite:///{tmp_path / 'people.db'}")
    add_user(people.engine, "wang", "city-commission", "staff", PASSWORD)
    served = serve(dashboard_app(container.read_store, people))
    bus.wait_until(lambda: container.read_store.live_version() is not None, 90, "the read models to go live")

    driver = chromium()
    sign_in(driver, served.base, "wang", lang="en")
    driver.get(f"{served.base}/ui/inbox")
    assert "clue-0001" not in inbox_subjects(driver)
    driver.execute_script("window.notReloaded = true;")

    clue = scenario()[0]  # received in a district, transferred up to the city commission
    bus.publish(clue.body_id, clue.event)
    WebDriverWait(driver, 120, poll_frequency=0.5).until(lambda d: "clue-0001" in inbox_subjects(d))
    assert driver.execute_script("return window.notReloaded === true;")
    assert driver.find_elements(By.CSS_SELECTOR, "#inbox-rows tr.fresh")
    shoot(driver, artifacts, "inbox-live-en")
    people.dispose()


@pytest.mark.integration
def test_opening_a_clue_is_recorded_on_the_log_and_the_audit_command_names_the_viewer(
    chromium, running_bus, serve, artifacts
):
    bus = running_bus.start()
    container, topics = bus.container, bus.container.topics
    add_user(container.identity.engine, "wang.li", "city-commission", "staff", PASSWORD)
    served = serve(container.read_api())  # the app `fourfold serve` runs: views signed as the dashboard
    clue = scenario()[0]  # received in a district, transferred up to the city commission
    bus.publish(clue.body_id, clue.event)
    bus.wait_until(
        lambda: any(r["clue_id"] == "clue-0001" for r in bus.inbox("city-commission")), 120, "the clue"
    )

    driver = chromium()
    sign_in(driver, served.base, "wang.li", lang="en")
    driver.get(f"{served.base}/ui/clues/clue-0001")
    assert driver.find_elements(By.CSS_SELECTOR, "svg")
    shoot(driver, artifacts, "clue-viewed-en")

    def views_logged() -> list[dict[str, Any]]:
        return [r for r in bus.records(topics.log) if r["event_type"] == "RecordViewed"]

    bus.wait_until(lambda: bool(views_logged()), 120, "the view on the log")
    opened = {
        "viewer": "wang.li",
        "viewer_body": "city-commission",
        "record": "clue",
        "record_id": "clue-0001",
    }
    for logged in views_logged():  # a live refresh of the open page renders the clue again: another view
        assert logged["source_body"] == container.settings.dashboard_body and logged["payload"] == opened
    bus.wait_until(
        lambda: any(r["event_type"] == "RecordViewed" for r in bus.inbox("city-case-mgmt")),
        60,
        "the view in the city's case management inbox",
    )
    env = {**os.environ, **bus.settings.to_env(), "COLUMNS": "200"}
    audit = subprocess.run(
        [sys.executable, "-m", "fourfold.cli", "audit", "viewers", "clue", "clue-0001"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert audit.returncode == 0, audit.stderr
    assert "wang.li" in audit.stdout and "city-commission" in audit.stdout
