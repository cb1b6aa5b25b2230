"""Every route: signed out (redirect / 401), wrong agency (404), missing CSRF token (403),
counselor on admin pages (403)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from bot.db import session_scope
from bot.db.models import Flag, Media, Note, Report, Student
from tests.console.seed import make_case, make_user, turns


@pytest.fixture
def world(app):
    """Agency "default" with one rich case; agency "other" with its own counselor."""
    make_user("zhang", name="张老师")
    make_user("admin1", role="admin", name="管理员")
    make_user("lisi", agency="other", name="李老师")
    make_user("liadmin", role="admin", agency="other", name="李管理员")
    case_id = make_case(name="王小明", major="法学", messages=turns(3), flags=["complaint"], extra=True)
    with session_scope() as s:
        flag_id = s.execute(select(Flag.id).where(Flag.student_id == case_id)).scalar_one()
        report_id = s.execute(select(Report.id).where(Report.student_id == case_id)).scalar_one()
        media = Media(student_id=case_id, token=uuid.uuid4().hex, kind="chart", content_type="image/png",
                      filename="c.png", data=b"\x89PNG\r\n\x1a\nfake")
        s.add(media)
        s.flush()
        media_id = media.id
    return {"case": case_id, "flag": flag_id, "report": report_id, "media": media_id}


def case_get_routes(w):
    c = w["case"]
    return [f"/cases/{c}", f"/cases/{c}/export.pdf", f"/cases/{c}/export.md",
            f"/cases/{c}/reports/{w['report']}.md", f"/cases/{c}/media/{w['media']}",
            f"/cases/{c}/shortlist-chart.png", f"/cases/{c}/messages.json"]


def case_post_routes(w):
    c = w["case"]
    return [(f"/cases/{c}/notes", {"text": "备注"}), (f"/cases/{c}/review", {"status": "reviewed"}),
            (f"/cases/{c}/assign", {"user_id": ""}), (f"/cases/{c}/tags", {"tags": "重点"}),
            (f"/cases/{c}/flags/{w['flag']}", {"action": "resolve"}), (f"/cases/{c}/takeover", {}),
            (f"/cases/{c}/reply", {"text": "你好"}), (f"/cases/{c}/handback", {})]


OTHER_GET = ["/", "/cases", "/cases/export.csv", "/cases/export.xlsx", "/dashboard", "/gaps", "/account",
             "/admin/users", "/admin/audit", "/admin/settings", "/admin/purge", "/admin/knowledge",
             "/admin/knowledge/age_limit", "/admin/positions"]
OTHER_POST = [("/cases/search", {"q": "王"}), ("/account", {}), ("/logout", {}),
              ("/admin/users", {"username": "x"}), ("/admin/settings", {}), ("/admin/purge", {"days": "30"}),
              ("/admin/knowledge/pros_cons", {"answer": "改写", "action": "save"}),
              ("/admin/knowledge/pros_cons/revert", {"version": "default"}), ("/admin/positions/cancel", {})]
ADMIN_GET = ["/admin/users", "/admin/audit", "/admin/settings", "/admin/purge", "/admin/knowledge",
             "/admin/knowledge/age_limit", "/admin/positions"]


def test_signed_out_pages_redirect_to_login_and_api_answers_401(world, browser):
    b = browser()
    for path in OTHER_GET + case_get_routes(world):
        r = b.get(path)
        if path.endswith(".json"):
            assert r.status_code == 401, path
            assert "登录" in r.get_json()["error"]
        else:
            assert r.status_code == 302, path
            assert r.headers["Location"].startswith("/login"), path


def test_signed_out_posts_redirect_to_login_and_change_nothing(world, browser):
    b = browser()
    b.csrf("/login")  # a valid token does not make up for a missing account
    for path, data in case_post_routes(world) + OTHER_POST:
        if path == "/logout":
            continue
        r = b.post(path, data)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login"), path
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(Note)).scalar_one() == 0
        assert s.get(Student, world["case"]).review_status == "new"


def test_login_redirect_keeps_the_page_but_refuses_other_sites(world, browser):
    b = browser()
    r = b.get("/cases?stage=report")
    assert r.headers["Location"] == "/login?next=/cases?stage%3Dreport"
    token = b.csrf("/login")
    r = b.client.post("/login", data={"username": "zhang", "password": "Kai-Xin-2026-pass", "csrf_token": token,
                                      "next": "/cases?stage=report"})
    assert r.headers["Location"] == "/cases?stage=report"
    for evil in ("https://evil.example/x", "//evil.example/x", "/\\evil.example"):
        b2 = browser()
        token = b2.csrf("/login")
        r = b2.client.post("/login", data={"username": "zhang", "password": "Kai-Xin-2026-pass",
                                           "csrf_token": token, "next": evil})
        assert r.headers["Location"] == "/cases", evil


def test_other_agency_gets_404_on_every_case_route(world, browser):
    for user in ("lisi", "liadmin"):
        b = browser(user)
        for path in case_get_routes(world):
            assert b.get(path).status_code == 404, (user, path)
        for path, data in case_post_routes(world):
            assert b.post(path, data).status_code == 404, (user, path)
        listing = b.get("/cases").get_data(as_text=True)
        assert "王小明" not in listing and "还没有案例" in listing
        csv = b.get("/cases/export.csv").get_data(as_text=True)
        assert "王小明" not in csv
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(Note)).scalar_one() == 0
        assert s.get(Student, world["case"]).review_status == "new"
        assert s.get(Flag, world["flag"]).resolved_at is None


def test_own_agency_reaches_every_case_route(world, browser):
    b = browser("zhang")
    for path in case_get_routes(world):
        assert b.get(path).status_code == 200, path


def test_post_without_csrf_token_is_refused(world, browser):
    b = browser("admin1")
    for path, data in case_post_routes(world) + OTHER_POST:
        r = b.post(path, data, csrf=False)
        assert r.status_code == 403, path
        assert "CSRF" in r.get_data(as_text=True)
    r = b.post(f"/cases/{world['case']}/notes", {"text": "x", "csrf_token": "forged"}, csrf=False)
    assert r.status_code == 403
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(Note)).scalar_one() == 0
        assert s.get(Student, world["case"]).review_status == "new"
    from bot import knowledge_edits

    assert knowledge_edits.versions("default", "pros_cons") == []
    # Still signed in: the refused logout did not end the session.
    assert b.get("/cases").status_code == 200


def test_counselor_cannot_open_admin_pages(world, browser):
    b = browser("zhang")
    for path in ADMIN_GET:
        assert b.get(path).status_code == 403, path
    assert b.post("/admin/users", {"username": "evil", "password": "x" * 12, "password2": "x" * 12,
                                    "role": "admin"}).status_code == 403
    assert b.post("/admin/purge", {"days": "1", "confirm": "yes"}).status_code == 403
    assert b.post("/admin/knowledge/pros_cons", {"answer": "改写", "action": "save"}).status_code == 403
    assert b.get("/gaps").status_code == 200                        # counselors do see the gaps
    admin = browser("admin1")
    for path in ADMIN_GET:
        assert admin.get(path).status_code == 200, path


def test_security_headers_and_cookie_flags(world, browser):
    b = browser()
    token = b.csrf("/login")
    r = b.client.post("/login", data={"username": "zhang", "password": "Kai-Xin-2026-pass", "csrf_token": token})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = b.get(f"/cases/{world['case']}")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Frame-Options"] == "DENY"


def test_healthz_needs_no_account(app):
    r = app.test_client().get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}
