"""The identity database on real SQLite and PostgreSQL: users with argon2 hashes, lock-out, sessions
that expire, and API tokens that survive a rebuild of the read models."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from projections import identity, sessions, tokens
from projections.identity import IdentityError, IdentityStore, LockedOut, Lockout, users
from projections.versions import ReadStore

pytestmark = pytest.mark.integration
PASSWORD = "correct horse battery"


@pytest.fixture
def people(database_url):
    store = IdentityStore(database_url)
    yield store
    store.dispose()


def test_passwords_are_kept_only_as_argon2_hashes(people):
    identity.add_user(people.engine, "wang", "city-commission", "staff", PASSWORD)
    with people.engine.connect() as conn:
        stored = conn.scalar(select(users.c.password_hash))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert identity.sign_in(people.engine, "wang", PASSWORD) == identity.User(
        "wang", "city-commission", "staff"
    )
    assert identity.sign_in(people.engine, "wang", "wrong password") is None
    assert identity.sign_in(people.engine, "nobody", PASSWORD) is None


def test_users_are_checked_when_added(people):
    with pytest.raises(IdentityError, match="not a role"):
        identity.add_user(people.engine, "wang", "city-commission", "admin", PASSWORD)
    with pytest.raises(IdentityError, match="12 characters"):
        identity.add_user(people.engine, "wang", "city-commission", "staff", "short")
    identity.add_user(people.engine, "wang", "city-commission", "staff", PASSWORD)
    with pytest.raises(IdentityError, match="exists"):
        identity.add_user(people.engine, "wang", "city-commission", "head", PASSWORD)


def test_repeated_failures_lock_out_and_a_success_resets_the_count(people):
    identity.add_user(people.engine, "li", "jiangbei-commission", "staff", PASSWORD)
    rule = Lockout(max_failures=3, seconds=60)
    for _ in range(2):
        assert identity.sign_in(people.engine, "li", "wrong password", rule) is None
    assert identity.sign_in(people.engine, "li", PASSWORD, rule) is not None  # resets the count
    for _ in range(3):
        assert identity.sign_in(people.engine, "li", "wrong password", rule) is None
    with pytest.raises(LockedOut):
        identity.sign_in(people.engine, "li", PASSWORD, rule)
    short = Lockout(max_failures=1, seconds=0)  # a lock-out of no length has passed at once
    identity.add_user(people.engine, "zhou", "yuzhong-commission", "staff", PASSWORD)
    assert identity.sign_in(people.engine, "zhou", "wrong password", short) is None
    assert identity.sign_in(people.engine, "zhou", PASSWORD, short) is not None


def test_sessions_expire_end_and_die_with_a_disabled_user(people):
    user = identity.add_user(people.engine, "wang", "city-commission", "staff", PASSWORD)
    token, session = sessions.start(people.engine, user, timedelta(hours=1))
    assert sessions.lookup(people.engine, token) == session
    expired, _ = sessions.start(people.engine, user, timedelta(seconds=-1))
    assert sessions.lookup(people.engine, expired) is None
    sessions.end(people.engine, token)
    assert sessions.lookup(people.engine, token) is None
    live, _ = sessions.start(people.engine, user, timedelta(hours=1))
    identity.disable_user(people.engine, "wang")
    assert sessions.lookup(people.engine, live) is None
    assert identity.sign_in(people.engine, "wang", PASSWORD) is None


def test_api_tokens_survive_a_rebuild_of_the_read_models_and_old_ones_are_adopted(people, tmp_path):
    token = tokens.issue(people.engine, "city-office-1")
    rebuilt = ReadStore(f"sqlite:///{tmp_path / 'rebuilt' / 'readmodels.db'}")
    rebuilt.engine()  # a fresh read-model database: the token is not there, and need not be
    assert tokens.authenticate(people.engine, token) == "city-office-1"

    old = ReadStore(f"sqlite:///{tmp_path / 'old' / 'readmodels.db'}")
    legacy = tokens.issue(old.control, "city-letters")  # where an older version kept them
    assert tokens.adopt_legacy(people.engine, old.control) == 1
    assert tokens.adopt_legacy(people.engine, old.control) == 0
    assert tokens.authenticate(people.engine, legacy) == "city-letters"
    rebuilt.dispose()
    old.dispose()
