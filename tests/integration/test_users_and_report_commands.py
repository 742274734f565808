"""`fourfold users` and `fourfold report` through the CLI, on read models of the sample history: the
users land in the identity database, not the read models'; the report names its digest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fourfold.bootstrap import Container
from fourfold.settings import Settings
from projections.digest import digest
from projections.identity import IdentityStore, sign_in
from tests.web_fixtures import populated_store

pytestmark = pytest.mark.integration
PASSWORD = "a long enough password"


def _fourfold(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FOURFOLD_HOME": str(home), "COLUMNS": "200"}
    env.pop("FOURFOLD_DATABASE_URL", None)
    env.pop("FOURFOLD_IDENTITY_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "fourfold.cli", *args],
        env=env,
        input=stdin,
        text=True,
        capture_output=True,
        timeout=180,
        check=False,
    )


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    populated_store(Settings(home=home).sqlalchemy_url).dispose()
    return home


def test_users_are_added_listed_and_disabled_in_the_identity_database(home):
    added = _fourfold(
        home, "users", "add", "wang", "--body", "city-commission", "--password-stdin", stdin=PASSWORD
    )
    assert added.returncode == 0, added.stderr
    people = IdentityStore(Settings(home=home).identity_sqlalchemy_url)
    assert sign_in(people.engine, "wang", PASSWORD) is not None
    assert (home / "identity.db").exists()

    unknown = _fourfold(
        home, "users", "add", "ghost", "--body", "nowhere", "--password-stdin", stdin=PASSWORD
    )
    assert unknown.returncode == 2 and "not a body the read models know" in unknown.stderr
    bad_role = _fourfold(
        home,
        "users",
        "add",
        "li",
        "--body",
        "city-commission",
        "--role",
        "admin",
        "--password-stdin",
        stdin=PASSWORD,
    )
    assert bad_role.returncode == 2 and "not a role" in bad_role.stderr

    listed = _fourfold(home, "users", "list")
    assert "wang" in listed.stdout and "city-commission" in listed.stdout and "argon2" not in listed.stdout
    assert _fourfold(home, "users", "disable", "wang").returncode == 0
    assert sign_in(people.engine, "wang", PASSWORD) is None
    people.dispose()


def test_the_report_is_written_as_pdf_and_html_and_names_its_digest(home, tmp_path):
    expected = digest(Container(Settings(home=home)).engine)
    pdf = _fourfold(home, "report", "--half", "2026H1", "--out", str(tmp_path / "r.pdf"))
    assert pdf.returncode == 0, pdf.stderr
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert expected in pdf.stdout.replace("\n", "")
    html = _fourfold(home, "report", "--half", "2026H1", "--out", str(tmp_path / "r.html"), "--lang", "en")
    assert html.returncode == 0, html.stderr
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert expected in page and "Half-yearly report on the four supervisions" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert _fourfold(home, "report", "--half", "2026Q1", "--out", str(tmp_path / "x.pdf")).returncode == 2
