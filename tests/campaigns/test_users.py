"""Users of dialer web in the store: roles, password hashes, lockout, sessions, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from campaigns.models import UserRole, WebSession, WebUser
from campaigns.store import CampaignStore
from campaigns.users import LOCKOUT, MAX_FAILED_LOGINS, LoginRefused, UserError

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


@pytest.fixture
def store(tmp_path) -> CampaignStore:
    store = CampaignStore.open(f"sqlite:///{tmp_path / 'users.db'}")
    store.create_campaign("spring", {}, at=T0, agents=[("ann", "user/1001")])
    store.create_campaign("autumn", {}, at=T0, agents=[("bob", "user/1002")])
    yield store
    store.close()


def test_roles_and_campaigns(store) -> None:
    agent = store.add_user("ann", "agent", PASSWORD, at=T0)
    assert (agent.role, agent.agent, agent.campaigns) == (UserRole.AGENT, "ann", ("spring",))
    sup = store.add_user("sam", "supervisor", PASSWORD, at=T0, campaigns=["spring"])
    assert sup.campaigns == ("spring",)
    admin = store.add_user("root", "admin", PASSWORD, at=T0)
    assert admin.campaigns == ()
    assert [u.name for u in store.users()] == ["ann", "root", "sam"]


@pytest.mark.parametrize(("args", "match"), [
    (("zed", "agent", PASSWORD), "no campaign agent named 'zed'"),
    (("ann", "boss", PASSWORD), "role 'boss'"),
    (("ann", "agent", "short"), "at least 10"),
])
def test_bad_users_are_refused(store, args, match) -> None:
    with pytest.raises(UserError, match=match):
        store.add_user(*args, at=T0)


def test_a_name_is_taken_once(store) -> None:
    store.add_user("ann", "agent", PASSWORD, at=T0)
    with pytest.raises(UserError, match="already exists"):
        store.add_user("ann", "agent", PASSWORD, at=T0)


def test_the_store_keeps_an_argon2id_hash_not_the_password(store) -> None:
    store.add_user("ann", "agent", PASSWORD, at=T0)
    with store.session() as session:
        row = session.exec(select(WebUser)).one()
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash


def test_sign_in_and_every_refusal_look_alike(store) -> None:
    store.add_user("ann", "agent", PASSWORD, at=T0)
    assert store.authenticate("ann", PASSWORD, at=T0).name == "ann"
    messages = set()
    for name, password in (("ann", "wrong password!"), ("nobody", PASSWORD)):
        with pytest.raises(LoginRefused) as refused:
            store.authenticate(name, password, at=T0)
        messages.add(str(refused.value))
    assert len(messages) == 1


def test_a_locked_user_stays_out_even_with_the_right_password(store) -> None:
    store.add_user("ann", "agent", PASSWORD, at=T0)
    for i in range(MAX_FAILED_LOGINS):
        with pytest.raises(LoginRefused):
            store.authenticate("ann", f"wrong password {i}", at=T0)
    with pytest.raises(LoginRefused) as refused:
        store.authenticate("ann", PASSWORD, at=T0 + timedelta(minutes=1))
    assert "locked" in refused.value.reason
    assert store.user("ann").locked_until == T0 + LOCKOUT
    # After the lockout the right password works again; a new password lifts it at once.
    assert store.authenticate("ann", PASSWORD, at=T0 + LOCKOUT + timedelta(seconds=1))


def test_a_new_password_lifts_the_lock_and_ends_sessions(store) -> None:
    user = store.add_user("ann", "agent", PASSWORD, at=T0)
    token, _ = store.create_session(user.id, at=T0)
    for i in range(MAX_FAILED_LOGINS):
        with pytest.raises(LoginRefused):
            store.authenticate("ann", f"wrong password {i}", at=T0)
    store.set_password("ann", "another good one", at=T0)
    assert store.session_user(token, at=T0) is None
    assert store.authenticate("ann", "another good one", at=T0).name == "ann"


def test_sessions_store_a_hash_expire_and_end_when_disabled(store) -> None:
    user = store.add_user("ann", "agent", PASSWORD, at=T0)
    token, csrf = store.create_session(user.id, at=T0)
    found = store.session_user(token, at=T0 + timedelta(hours=1))
    assert found is not None and found[1] == csrf
    with store.session() as session:
        assert session.exec(select(WebSession)).one().id != token
    assert store.session_user(token, at=T0 + timedelta(hours=13)) is None
    token, _ = store.create_session(user.id, at=T0)
    store.disable_user("ann")
    assert store.session_user(token, at=T0) is None
    with pytest.raises(LoginRefused):
        store.authenticate("ann", PASSWORD, at=T0)


def test_audit_entries_keep_before_and_after(store) -> None:
    store.audit(at=T0, user_name="sam", role="supervisor", action="pacing",
                campaign="spring", before={"abandon_target": 0.03},
                after={"abandon_target": 0.02})
    store.audit(at=T0, user_name="sam", role="supervisor", action="pause",
                campaign="autumn", target="bob", ok=False, detail="not yours")
    entries = store.audit_entries(campaigns=["spring"])
    assert [(e.action, e.before, e.after) for e in entries] == [
        ("pacing", {"abandon_target": 0.03}, {"abandon_target": 0.02})]
