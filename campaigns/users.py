"""Users, sessions and the audit log of ``dialer web`` (bound as ``CampaignStore`` methods).

Passwords are hashed with argon2id (argon2-cffi, RFC 9106's parameters). Sign-in fails closed:
an unknown name, a disabled user, a locked user and a wrong password all get the same refusal
to the caller (the reason is kept for the log), and an unknown name costs the same hash work
as a known one so timing does not tell which names exist. ``MAX_FAILED_LOGINS`` wrong
passwords in a row lock the user for ``LOCKOUT``; while locked even the right password is
refused. Sessions store only the SHA-256 of the cookie's random token, so a copy of the
database signs nobody in.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, delete, select

from campaigns.errors import CampaignError
from campaigns.models import (
    Agent,
    AuditEntry,
    Campaign,
    CampaignAgent,
    UserRole,
    WebSession,
    WebUser,
    WebUserCampaign,
)

if TYPE_CHECKING:
    from campaigns.store import CampaignStore

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
"""A shift; the browser signs in again after it (and on sign-out, at once)."""
MIN_PASSWORD_LENGTH = 10

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))


class UserError(CampaignError):
    """A user cannot be created or changed as asked (name taken, weak password, ...)."""


class LoginRefused(CampaignError):
    """Sign-in refused. ``reason`` is for the log; the caller shows one generic message."""

    def __init__(self, reason: str, locked_until: datetime | None = None) -> None:
        super().__init__("wrong name or password, or the account is locked or disabled")
        self.reason = reason
        self.locked_until = locked_until


@dataclass(frozen=True, slots=True)
class UserView:
    """A user as the web tier sees it (no hash)."""

    id: int
    name: str
    role: UserRole
    active: bool
    agent: str | None
    """The campaign agent an agent user acts as."""
    campaigns: tuple[str, ...]
    """Supervisors: their assigned campaigns; agents: the campaigns their agent is on;
    admins: empty (every campaign)."""
    failed_logins: int = 0
    locked_until: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role.value, "active": self.active,
                "agent": self.agent, "campaigns": list(self.campaigns),
                "failed_logins": self.failed_logins,
                "locked_until": self.locked_until.isoformat() if self.locked_until else None}


def _role(role: str | UserRole) -> UserRole:
    try:
        return UserRole(str(role).lower())
    except ValueError:
        from dialer.words import did_you_mean

        raise UserError(f"role {role!r} is not one of agent, supervisor, admin"
                        + did_you_mean(str(role).lower(), [r.value for r in UserRole])
                        ) from None


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password or "\n" in password:
        raise UserError("a password may not begin or end with blanks or hold a line break")


def generate_password() -> str:
    """A random password a person can type (about 95 bits)."""
    return secrets.token_urlsafe(12)


def _view(session: Session, user: WebUser) -> UserView:
    role = UserRole(user.role)
    agent_name = None
    campaigns: list[str] = []
    if user.agent_id is not None:
        agent = session.get(Agent, user.agent_id)
        agent_name = agent.name if agent else None
    if role is UserRole.SUPERVISOR:
        campaigns = list(session.exec(select(Campaign.name).join(
            WebUserCampaign, WebUserCampaign.campaign_id == Campaign.id).where(
            WebUserCampaign.user_id == user.id).order_by(Campaign.name)))
    elif role is UserRole.AGENT and user.agent_id is not None:
        campaigns = list(session.exec(select(Campaign.name).join(
            CampaignAgent, CampaignAgent.campaign_id == Campaign.id).where(
            CampaignAgent.agent_id == user.agent_id).order_by(Campaign.name)))
    return UserView(int(user.id or 0), user.name, role, user.active, agent_name,
                    tuple(campaigns), user.failed_logins, user.locked_until)


def name_key(name: str) -> str:
    """The form two user names are compared in: Unicode-normalised (NFKC), without outer
    blanks, case-folded. A name pasted with a trailing space, or typed "Ann" for "ann",
    was a wrong name at the sign-in page (first-hour eleventh pass)."""
    return unicodedata.normalize("NFKC", name).strip().casefold()


def _named(session: Session, name: str) -> list[WebUser]:
    """The users ``name`` may mean: the one of that exact name (without outer blanks) if
    there is one, else every user whose name has the same ``name_key``. Names that differ
    only in case were allowed before; each of two such users keeps signing in with their
    own exact name, and a spelling that fits both is ambiguous (never either)."""
    exact = session.exec(select(WebUser).where(WebUser.name == name.strip())).first()
    if exact is not None:
        return [exact]
    key = name_key(name)
    return [user for user in session.exec(select(WebUser).order_by(WebUser.name))
            if name_key(user.name) == key]


def _user(session: Session, name: str) -> WebUser:
    found = _named(session, name)
    if not found:
        raise UserError(f"no user named {name!r} (see `dialer user list`)")
    if len(found) > 1:
        raise UserError(f"{name!r} may be any of the users {', '.join(repr(u.name) for u in found)}"
                        " (stored before names were compared without case): give the exact "
                        "name")
    return found[0]


def _campaign_agent(session: Session, name: str) -> Agent:
    """The campaign agent ``name`` means, compared as user names are (``name_key``): the
    one of that exact name if there is one, else the one whose name has the same key.
    Before, ``user add Ann --role agent`` was refused for the campaign agent ``ann``. Two
    agents whose names differ only in case are both named, never one picked."""
    exact = session.exec(select(Agent).where(Agent.name == name.strip())).first()
    if exact is not None:
        return exact
    found = [row for row in session.exec(select(Agent).order_by(Agent.name))
             if name_key(row.name) == name_key(name)]
    if len(found) > 1:
        raise UserError(f"{name!r} may be any of the campaign agents "
                        f"{', '.join(repr(row.name) for row in found)} (names compared "
                        "without case or outer blanks): give the exact one with --agent")
    if not found:
        raise UserError(f"no campaign agent named {name!r}: add it first with "
                        f"`dialer campaign edit CAMPAIGN --agent {name.strip()}=ENDPOINT`")
    return found[0]


def _assign(self: CampaignStore, session: Session, user: WebUser,
            campaigns: Iterable[str]) -> None:
    session.exec(delete(WebUserCampaign).where(WebUserCampaign.user_id == user.id))
    for ref in campaigns:
        campaign = self._campaign(session, ref)
        session.add(WebUserCampaign(user_id=user.id, campaign_id=campaign.id))


def add_user(self: CampaignStore, name: str, role: str | UserRole, password: str, *,
             at: datetime, agent: str | None = None, campaigns: Iterable[str] = ()
             ) -> UserView:
    """A new user. Agents act as a campaign agent (``agent``, default: the same name), which
    must exist; supervisors are given ``campaigns``."""
    role = _role(role)
    name = unicodedata.normalize("NFKC", name).strip()
    if not name or len(name) > 120 or not name.isprintable():
        raise UserError("a user name is 1 to 120 printable characters")
    check_password(password)
    campaigns = list(campaigns)
    if campaigns and role is not UserRole.SUPERVISOR:
        raise UserError("only supervisors are assigned campaigns (an agent works the "
                        "campaigns their agent is on; an admin sees every campaign)")
    with self.session() as session:
        if taken := [user.name for user in session.exec(select(WebUser))
                     if name_key(user.name) == name_key(name)]:
            written = "" if taken == [name] else (
                f" as {', '.join(repr(t) for t in sorted(taken))}; names are compared "
                "without case or outer blanks")
            raise UserError(f"user {name!r} already exists{written} (`dialer user passwd` "
                            "changes a password)")
        agent_id = None
        if role is UserRole.AGENT:
            agent_id = _campaign_agent(session, agent or name).id
        elif agent:
            raise UserError("--agent is for agent users only")
        user = WebUser(name=name, role=role.value, password_hash=_HASHER.hash(password),
                       agent_id=agent_id, created_at=at, password_changed_at=at)
        session.add(user)
        session.flush()
        _assign(self, session, user, campaigns)
        session.commit()
        return _view(session, user)


def set_password(self: CampaignStore, name: str, password: str, *, at: datetime) -> UserView:
    """A new password; also lifts a lockout and signs the user out everywhere."""
    check_password(password)
    with self.session() as session:
        user = _user(session, name)
        user.password_hash = _HASHER.hash(password)
        user.password_changed_at = at
        user.failed_logins, user.locked_until = 0, None
        session.add(user)
        session.exec(delete(WebSession).where(WebSession.user_id == user.id))
        session.commit()
        return _view(session, user)


def set_user_campaigns(self: CampaignStore, name: str, campaigns: Iterable[str]) -> UserView:
    with self.session() as session:
        user = _user(session, name)
        if UserRole(user.role) is not UserRole.SUPERVISOR:
            raise UserError("only supervisors are assigned campaigns")
        _assign(self, session, user, campaigns)
        session.commit()
        return _view(session, user)


def disable_user(self: CampaignStore, name: str, *, enable: bool = False) -> UserView:
    """Disable (or enable again) a user; disabling ends their sessions at once."""
    with self.session() as session:
        user = _user(session, name)
        user.active = enable
        session.add(user)
        if not enable:
            session.exec(delete(WebSession).where(WebSession.user_id == user.id))
        session.commit()
        return _view(session, user)


def users(self: CampaignStore) -> list[UserView]:
    with self.session() as session:
        return [_view(session, user)
                for user in session.exec(select(WebUser).order_by(WebUser.name))]


def user(self: CampaignStore, name: str) -> UserView:
    with self.session() as session:
        return _view(session, _user(session, name))


def authenticate(self: CampaignStore, name: str, password: str, *, at: datetime) -> UserView:
    """The user if ``password`` is theirs and they may sign in now; else ``LoginRefused``.

    Every wrong password counts, and the ``MAX_FAILED_LOGINS``-th in a row locks the user
    for ``LOCKOUT`` (counted in the store, so a restart of ``dialer web`` does not reset
    it, and several web processes share it)."""
    with self.session() as session:
        found = _named(session, name)
        if len(found) != 1:
            _verify(_DUMMY_HASH, password)
            raise LoginRefused(f"unknown user {name!r}" if not found else
                               f"{name!r} may be any of the users "
                               f"{', '.join(repr(u.name) for u in found)} (names differing "
                               "only in case, stored before that was refused): neither "
                               "signed in, no failure counted; the exact name signs in")
        user = found[0]
        name = user.name
        if user.locked_until is not None and at < user.locked_until:
            raise LoginRefused(f"user {name!r} is locked", user.locked_until)
        if not _verify_pasted(user.password_hash, password):
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until, user.failed_logins = at + LOCKOUT, 0
            session.add(user)
            session.commit()
            raise LoginRefused(f"wrong password for {name!r}", user.locked_until
                               if user.locked_until and user.locked_until > at else None)
        if not user.active:
            raise LoginRefused(f"user {name!r} is disabled")
        user.failed_logins, user.locked_until = 0, None
        if _HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = _HASHER.hash(password)
        session.add(user)
        session.commit()
        return _view(session, user)


def _verify_pasted(encoded: str, password: str) -> bool:
    """``_verify``, and a password pasted with outer blanks (a copied line's trailing
    space or newline) is also tried without them: ``check_password`` refuses such blanks
    in a password, so they are never part of one set since."""
    if _verify(encoded, password):
        return True
    stripped = password.strip()
    return stripped != password and bool(stripped) and _verify(encoded, stripped)


def _verify(encoded: str, password: str) -> bool:
    try:
        return _HASHER.verify(encoded, password)
    except (VerificationError, InvalidHashError):
        return False


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(self: CampaignStore, user_id: int, *, at: datetime) -> tuple[str, str]:
    """A new session: (cookie token, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with self.session() as session:
        # Expired sessions go as new ones come: the table stays the size of a shift.
        session.exec(delete(WebSession).where(WebSession.expires_at < at))
        session.add(WebSession(id=_token_id(token), user_id=user_id, csrf_token=csrf,
                               created_at=at, expires_at=at + SESSION_LIFETIME,
                               last_seen_at=at))
        session.commit()
    return token, csrf


def session_user(self: CampaignStore, token: str, *, at: datetime
                 ) -> tuple[UserView, str] | None:
    """The signed-in user of a cookie token and the session's CSRF token, or None (unknown,
    expired, or the user is disabled)."""
    if not token or len(token) > 200:
        return None
    with self.read_session() as session:
        row = session.get(WebSession, _token_id(token))
        if row is None or row.expires_at is None or row.expires_at <= at:
            return None
        user = session.get(WebUser, row.user_id)
        if user is None or not user.active:
            return None
        return _view(session, user), row.csrf_token


def end_session(self: CampaignStore, token: str) -> None:
    with self.session() as session:
        session.exec(delete(WebSession).where(WebSession.id == _token_id(token)))
        session.commit()


def audit(self: CampaignStore, *, at: datetime, user_name: str, role: str, action: str,
          campaign: str | None = None, target: str | None = None,
          before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
          ok: bool = True, detail: str | None = None) -> AuditEntry:
    entry = AuditEntry(at=at, user_name=user_name, role=role, action=action,
                       campaign=campaign, target=target, before=before or {},
                       after=after or {}, ok=ok, detail=detail)
    with self.session() as session:
        session.add(entry)
        session.commit()
        return entry


def audit_entries(self: CampaignStore, *, campaigns: Iterable[str] | None = None,
                  limit: int = 100) -> list[AuditEntry]:
    """The newest entries first; ``campaigns`` limits them to those campaigns."""
    with self.read_session() as session:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)  # type: ignore[union-attr]
        if campaigns is not None:
            query = query.where(AuditEntry.campaign.in_(list(campaigns)))  # type: ignore[union-attr]
        return list(session.exec(query))
