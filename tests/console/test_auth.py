"""Signing in and out: hashing, throttling, expiry, sign-out, disabled accounts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from bot.console.models import LoginFailure, User, UserSession
from bot.db import session_scope
from tests.console.conftest import audit_actions
from tests.console.seed import PASSWORD, make_user


def ago(**delta) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) - dt.timedelta(**delta)


def test_password_is_stored_as_argon2_hash(app):
    make_user("zhang")
    with session_scope() as s:
        stored = s.execute(select(User.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_wrong_password_and_unknown_account_get_the_same_answer(app, browser):
    make_user("zhang")
    b = browser()
    wrong = b.login("zhang", "not-the-password")
    unknown = b.login("nobody", "not-the-password")
    for r in (wrong, unknown):
        assert r.status_code == 200
        assert "用户名或密码不正确" in r.get_data(as_text=True)
        assert "sid" not in (r.headers.get("Set-Cookie") or "")
    assert b.get("/cases").status_code == 302
    assert audit_actions() == ["login_failed", "login_failed"]


def test_sign_in_is_throttled_after_five_failures_even_with_the_right_password(app, browser):
    make_user("zhang")
    b = browser()
    for _ in range(5):
        assert b.login("zhang", "wrong-password!").status_code == 200
    r = b.login("zhang", PASSWORD)
    assert r.status_code == 429
    assert "15 分钟" in r.get_data(as_text=True)
    assert b.get("/cases").status_code == 302
    # After the window the right password works again.
    with session_scope() as s:
        s.execute(update(LoginFailure).values(at=ago(minutes=16)))
    assert b.login("zhang", PASSWORD).status_code == 302
    assert b.get("/cases").status_code == 200


def test_throttling_by_address_covers_many_account_names(app, browser):
    make_user("zhang")
    b = browser()
    for i in range(20):
        b.login(f"guess{i:02d}", "wrong-password!")
    assert b.login("zhang", PASSWORD).status_code == 429


def test_sign_out_ends_the_session_on_the_server(app, browser):
    make_user("zhang")
    b = browser("zhang")
    stolen = b.client.get_cookie("coach_console").value
    assert b.post("/logout").status_code == 302
    assert b.get("/cases").status_code == 302
    # Replaying the old cookie does not bring the session back.
    thief = browser()
    thief.client.set_cookie("coach_console", stolen)
    assert thief.get("/cases").status_code == 302
    with session_scope() as s:
        assert s.execute(select(UserSession)).first() is None
    assert audit_actions()[-1] == "logout"


def test_idle_session_expires(app, browser):
    make_user("zhang")
    b = browser("zhang")
    assert b.get("/cases").status_code == 200
    with session_scope() as s:
        s.execute(update(UserSession).values(last_seen_at=ago(minutes=31)))
    r = b.get("/cases")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    assert "登录已过期" in b.get(r.headers["Location"]).get_data(as_text=True)


def test_session_has_an_absolute_lifetime(app, browser):
    make_user("zhang")
    b = browser("zhang")
    with session_scope() as s:
        s.execute(update(UserSession).values(expires_at=ago(seconds=1)))
    assert b.get("/cases").status_code == 302


def test_disabling_an_account_signs_it_out(app, browser):
    make_user("zhang")
    make_user("boss", role="admin")
    b = browser("zhang")
    admin = browser("boss")
    with session_scope() as s:
        uid = s.execute(select(User.id).where(User.username == "zhang")).scalar_one()
    assert admin.post(f"/admin/users/{uid}/disable").status_code == 302
    assert b.get("/cases").status_code == 302
    r = browser().login("zhang")
    assert "已停用" in r.get_data(as_text=True)


def test_password_change_needs_the_current_password_and_signs_out_other_browsers(app, browser):
    make_user("zhang")
    laptop = browser("zhang")
    phone = browser("zhang")
    r = laptop.post("/account", {"current_password": "wrong", "new_password": "Another-pass-2027",
                                 "new_password2": "Another-pass-2027"})
    assert r.status_code == 400 and "当前密码不正确" in r.get_data(as_text=True)
    r = laptop.post("/account", {"current_password": PASSWORD, "new_password": "short",
                                 "new_password2": "short"})
    assert r.status_code == 400 and "至少需要 10 个字符" in r.get_data(as_text=True)
    r = laptop.post("/account", {"current_password": PASSWORD, "new_password": "Another-pass-2027",
                                 "new_password2": "Another-pass-2027"})
    assert r.status_code == 302
    assert laptop.get("/cases").status_code == 200
    assert phone.get("/cases").status_code == 302
    assert browser().login("zhang", PASSWORD).status_code == 200          # old password refused
    assert browser().login("zhang", "Another-pass-2027").status_code == 302
