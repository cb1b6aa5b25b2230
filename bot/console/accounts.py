"""Console accounts: creation, passwords (argon2id), rate-limited sign-in, sessions.

Used by the web app and by ``coach users``. Nothing here logs a password, a token or an
account name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.console.models import ROLES, LoginFailure, User, UserSession
from bot.db.models import utcnow

# argon2id with the library's defaults (RFC 9106 low-memory profile). Tests may swap in a
# cheaper hasher; verification reads the parameters from each stored hash.
hasher = PasswordHasher()

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$")
AGENCY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 256

# Sign-in throttling: failures within WINDOW per account name and per client address.
WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20

_DUMMY_HASH: Optional[str] = None


class AccountError(ValueError):
    """A message for the person at the keyboard (Chinese)."""


def check_username(username: str) -> str:
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        raise AccountError("用户名须为 3–32 个字符，只能包含英文字母、数字、点、下划线和连字符，并以字母或数字开头")
    return username


def check_agency(agency: str) -> str:
    agency = (agency or "").strip()
    if not AGENCY_RE.match(agency):
        raise AccountError("机构代号只能包含英文字母、数字、点、下划线和连字符（最多 64 个字符）")
    return agency


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError("角色只能是 counselor（顾问）或 admin（管理员）")
    return role


def check_password(password: str, username: str = "") -> str:
    if password is None or len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少需要 {MIN_PASSWORD} 个字符")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"密码不能超过 {MAX_PASSWORD} 个字符")
    if len(set(password)) < 4:
        raise AccountError("密码过于简单：请至少使用 4 个不同的字符")
    if username and username.lower() in password.lower():
        raise AccountError("密码不能包含用户名")
    return password


def hash_password(password: str) -> str:
    return hasher.hash(password)


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))
    return _DUMMY_HASH


def verify_password(stored: Optional[str], password: str) -> bool:
    try:
        return hasher.verify(stored or _dummy_hash(), password or "") and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def create_user(session: Session, username: str, password: str, role: str, agency: str,
                display_name: Optional[str] = None) -> User:
    username = check_username(username)
    check_role(role)
    agency = check_agency(agency)
    check_password(password, username)
    exists = session.execute(select(User.id).where(func.lower(User.username) == username.lower())).first()
    if exists:
        raise AccountError(f"用户名 {username} 已被使用")
    name = (display_name or "").strip()[:64] or username
    user = User(username=username, display_name=name, password_hash=hash_password(password), role=role,
                agency=agency, disabled=False)
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, username: str) -> Optional[User]:
    return session.execute(
        select(User).where(func.lower(User.username) == (username or "").strip().lower())
    ).scalar_one_or_none()


def set_password(session: Session, user: User, password: str) -> None:
    check_password(password, user.username)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    end_sessions(session, user.id)


def set_disabled(session: Session, user: User, disabled: bool) -> None:
    user.disabled = disabled
    if disabled:
        end_sessions(session, user.id)


def end_sessions(session: Session, user_id: int, keep: Optional[str] = None) -> None:
    stmt = delete(UserSession).where(UserSession.user_id == user_id)
    if keep:
        stmt = stmt.where(UserSession.id != keep)
    session.execute(stmt)


# -- sign-in throttling ---------------------------------------------------------------------

def _key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode("utf-8")).hexdigest()


def account_key(username: str) -> str:
    return _key("account", (username or "").strip().lower())


def address_key(address: str) -> str:
    return _key("address", address or "-")


def throttled(session: Session, username: str, address: str) -> bool:
    since = utcnow() - WINDOW
    counts = dict(session.execute(
        select(LoginFailure.key, func.count())
        .where(LoginFailure.key.in_([account_key(username), address_key(address)]), LoginFailure.at >= since)
        .group_by(LoginFailure.key)
    ).all())
    return (counts.get(account_key(username), 0) >= MAX_FAILURES_PER_ACCOUNT
            or counts.get(address_key(address), 0) >= MAX_FAILURES_PER_ADDRESS)


def record_failure(session: Session, username: str, address: str) -> None:
    now = utcnow()
    session.add(LoginFailure(key=account_key(username), at=now))
    session.add(LoginFailure(key=address_key(address), at=now))
    # Old rows are of no use any more.
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - dt.timedelta(days=1)))


def clear_failures(session: Session, username: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.key == account_key(username)))


@dataclass
class SignIn:
    user: Optional[User]
    error: Optional[str]
    throttled: bool = False


GENERIC_FAILURE = "用户名或密码不正确"


def authenticate(session: Session, username: str, password: str, address: str) -> SignIn:
    """Checks a sign-in attempt, counting failures. The same message for an unknown
    account and a wrong password."""
    username = (username or "").strip()[:64]
    if not username or not password:
        return SignIn(None, "请输入用户名和密码")
    if throttled(session, username, address):
        return SignIn(None, "尝试次数过多，请 15 分钟后再试", throttled=True)
    user = find_user(session, username)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None:
        record_failure(session, username, address)
        return SignIn(None, GENERIC_FAILURE)
    if user.disabled:
        return SignIn(None, "该账号已停用，请联系管理员")
    clear_failures(session, username)
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return SignIn(user, None)


# -- sessions ------------------------------------------------------------------------------

def token_id(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def open_session(session: Session, user: User, lifetime: dt.timedelta) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(UserSession(id=token_id(token), user_id=user.id, created_at=now, last_seen_at=now,
                            expires_at=now + lifetime, data={}))
    session.execute(delete(UserSession).where(UserSession.expires_at < now))
    return token


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def load_session(session: Session, token: Optional[str], idle: dt.timedelta) -> Optional[UserSession]:
    """The live session of ``token`` (touching it), or None when unknown, idle too long,
    expired or its account is disabled."""
    if not token or len(token) > 200:
        return None
    row = session.get(UserSession, token_id(token))
    if row is None:
        return None
    now = utcnow()
    if _aware(row.expires_at) <= now or _aware(row.last_seen_at) + idle <= now:
        session.delete(row)
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        session.delete(row)
        return None
    # Touch at most once a minute: fewer writes.
    if now - _aware(row.last_seen_at) > dt.timedelta(seconds=60):
        row.last_seen_at = now
    return row


def close_session(session: Session, token: Optional[str]) -> None:
    if token:
        session.execute(delete(UserSession).where(UserSession.id == token_id(token)))


def list_users(session: Session, agency: Optional[str] = None) -> List[User]:
    stmt = select(User).order_by(User.agency, User.username)
    if agency is not None:
        stmt = stmt.where(User.agency == agency)
    return list(session.execute(stmt).scalars())


def user_names(session: Session, agency: str) -> Dict[int, str]:
    return dict(session.execute(select(User.id, User.display_name).where(User.agency == agency)).all())


def describe(user: User) -> Dict[str, Any]:
    return {"id": user.id, "username": user.username, "display_name": user.display_name, "role": user.role,
            "agency": user.agency, "disabled": user.disabled}
