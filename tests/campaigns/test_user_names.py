"""User names of dialer web compared as people type them (first-hour eleventh pass): one
name whatever its case or outer blanks, at creation and at the sign-in page, and users
stored before that whose names differ only in case neither locked out nor mistaken for
each other."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from campaigns.models import UserRole, WebUser
from campaigns.store import CampaignStore
from campaigns.users import MAX_FAILED_LOGINS, LoginRefused, UserError

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
OTHER = "another good password"


@pytest.fixture
def store(tmp_path) -> CampaignStore:
    store = CampaignStore.open(f"sqlite:///{tmp_path / 'users.db'}")
    store.create_campaign("spring", {}, at=T0, agents=[("ann", "user/1001")])
    yield store
    store.close()


@pytest.mark.parametrize("typed", ["Sam", "sam", "SAM", "sam ", " Sam\t", "ＳＡＭ"])
def test_a_name_signs_in_whatever_its_case_or_outer_blanks(store, typed) -> None:
    store.add_user("Sam", "supervisor", PASSWORD, at=T0)
    assert store.authenticate(typed, PASSWORD, at=T0).name == "Sam"


def test_a_password_pasted_with_a_trailing_blank_signs_in(store) -> None:
    store.add_user("sam", "supervisor", PASSWORD, at=T0)
    assert store.authenticate("sam", PASSWORD + " ", at=T0).name == "sam"
    assert store.authenticate("sam", PASSWORD + "\n", at=T0).name == "sam"
    with pytest.raises(LoginRefused):
        store.authenticate("sam", "correct horse", at=T0)


def test_a_name_is_stored_without_outer_blanks(store) -> None:
    assert store.add_user(" sam ", "supervisor", PASSWORD, at=T0).name == "sam"
    assert [u.name for u in store.users()] == ["sam"]


@pytest.mark.parametrize(("second", "said"), [
    ("Sam", "user 'Sam' already exists as 'sam'; names are compared without case"),
    ("SAM", "user 'SAM' already exists as 'sam'; names are compared without case"),
    ("sam ", "user 'sam' already exists"), ("ｓａｍ", "user 'sam' already exists")])
def test_a_name_that_differs_only_in_case_is_refused(store, second, said) -> None:
    store.add_user("sam", "supervisor", PASSWORD, at=T0)
    with pytest.raises(UserError, match=said):
        store.add_user(second, "admin", OTHER, at=T0)
    assert [u.name for u in store.users()] == ["sam"]


def _legacy_pair(store: CampaignStore) -> None:
    """Two users stored before the check: 'Sam' (admin) and 'sam' (supervisor)."""
    store.add_user("sam", "supervisor", PASSWORD, at=T0)
    store.add_user("Other", "admin", OTHER, at=T0)
    with store.session() as session:
        row = session.exec(select(WebUser).where(WebUser.name == "Other")).one()
        row.name = "Sam"
        session.add(row)
        session.commit()


def test_users_stored_differing_in_case_each_sign_in_with_their_exact_name(store) -> None:
    _legacy_pair(store)
    assert store.authenticate("sam", PASSWORD, at=T0).role is UserRole.SUPERVISOR
    assert store.authenticate("Sam", OTHER, at=T0).role is UserRole.ADMIN
    assert store.authenticate("Sam ", OTHER, at=T0).role is UserRole.ADMIN
    # One's password under the other's exact name is a wrong password, never the other.
    with pytest.raises(LoginRefused, match="wrong name or password"):
        store.authenticate("sam", OTHER, at=T0)


def test_a_spelling_that_fits_both_signs_in_neither_and_locks_nobody(store) -> None:
    _legacy_pair(store)
    for password in [PASSWORD, OTHER] * MAX_FAILED_LOGINS:
        with pytest.raises(LoginRefused) as refused:
            store.authenticate("SAM", password, at=T0)
        assert "may be any of the users 'Sam', 'sam'" in refused.value.reason
    assert [(u.failed_logins, u.locked_until) for u in store.users()] == [(0, None)] * 2
    assert store.authenticate("sam", PASSWORD, at=T0).name == "sam"
    with pytest.raises(UserError, match="'SAM' may be any of the users 'Sam', 'sam'"):
        store.set_password("SAM", "a new long password", at=T0)
    assert store.user("Sam").role is UserRole.ADMIN


@pytest.mark.parametrize("typed", ["Ann", "ANN", " ann ", "ａｎｎ"])
def test_an_agent_user_finds_the_campaign_agent_whatever_its_case(store, typed) -> None:
    """`dialer user add Ann --role agent` for the campaign agent `ann` was refused: `no
    campaign agent named 'Ann'` (first-hour twelfth pass)."""
    user = store.add_user(typed, "agent", PASSWORD, at=T0)
    assert user.agent == "ann"
    assert store.add_user("Bea", "agent", PASSWORD, at=T0, agent=typed.upper()).agent == "ann"


def test_two_campaign_agents_alike_in_case_are_both_named_never_one_picked(store) -> None:
    store.add_agent("ANN", "user/1002", campaign="spring")
    assert store.add_user("ann", "agent", PASSWORD, at=T0).agent == "ann"   # the exact one
    with pytest.raises(UserError, match="'Ann' may be any of the campaign agents 'ANN', "
                                        "'ann'"):
        store.add_user("Bea", "agent", PASSWORD, at=T0, agent="Ann")
    with pytest.raises(UserError, match="no campaign agent named 'zed'"):
        store.add_user("zed", "agent", PASSWORD, at=T0)
