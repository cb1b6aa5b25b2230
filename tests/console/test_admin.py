"""Admin pages: accounts, audit log, agency settings, purge; and the CLI commands."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select, text

from bot.console.cli import purge_cases, users
from bot.console.models import AuditEntry, User
from bot.db import get_engine, session_scope
from bot.db.models import Message, Student
from tests.console.conftest import audit_actions
from tests.console.seed import make_case, make_user, turns


def add_events_table(senders):
    """Rasa's tracker store table, as far as purging needs it."""
    with get_engine().begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) "
                          "NOT NULL, type_name VARCHAR(255), timestamp FLOAT, data TEXT)"))
        for sender in senders:
            for i in range(3):
                conn.execute(text("INSERT INTO events (sender_id, type_name, data) VALUES (:s, 'user', '{}')"),
                             {"s": sender})


def count(model, *where):
    with session_scope() as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_admin_creates_and_manages_accounts_of_their_agency(app, browser):
    make_user("boss", role="admin", name="主任")
    make_user("faraway", agency="other")
    b = browser("boss")
    form = {"username": "newbie", "display_name": "新老师", "role": "counselor",
            "password": "Lan-Tian-2026", "password2": "Lan-Tian-2026"}
    r = b.post("/admin/users", {**form, "password2": "different"})
    assert r.status_code == 400 and "两次输入的密码不一致" in r.get_data(as_text=True)
    r = b.post("/admin/users", {**form, "username": "x"})
    assert r.status_code == 400 and "用户名须为" in r.get_data(as_text=True)
    r = b.post("/admin/users", {**form, "password": "short", "password2": "short"})
    assert r.status_code == 400 and "至少需要 10 个字符" in r.get_data(as_text=True)
    assert b.post("/admin/users", form).status_code == 302
    r = b.post("/admin/users", form)
    assert r.status_code == 400 and "已被使用" in r.get_data(as_text=True)
    with session_scope() as s:
        newbie = s.execute(select(User).where(User.username == "newbie")).scalar_one()
        far = s.execute(select(User.id).where(User.username == "faraway")).scalar_one()
        boss = s.execute(select(User.id).where(User.username == "boss")).scalar_one()
    assert (newbie.agency, newbie.role, newbie.display_name) == ("default", "counselor", "新老师")
    page = b.get("/admin/users").get_data(as_text=True)
    assert "newbie" in page and "faraway" not in page
    assert b.post(f"/admin/users/{far}/disable").status_code == 404          # another agency's account
    b.post(f"/admin/users/{boss}/disable")
    assert "不能停用自己的账号" in b.get("/admin/users").get_data(as_text=True)
    b.post(f"/admin/users/{newbie.id}/password", {"password": "Hai-Yang-2027x"})
    assert browser().login("newbie", "Hai-Yang-2027x").status_code == 302
    assert [a for a in audit_actions() if a.startswith("user_")] == ["user_add", "user_password"]


def test_audit_log_page_filters_and_is_admin_only(app, browser):
    make_user("boss", role="admin")
    make_user("zhang")
    cid = make_case(name="王小明")
    z = browser("zhang")
    z.get(f"/cases/{cid}")
    z.get(f"/cases/{cid}/export.md")
    b = browser("boss")
    page = b.get(f"/admin/audit?case={cid}").get_data(as_text=True)
    assert "查看案例" in page and "导出案例 Markdown" in page and "zhang" in page
    page = b.get("/admin/audit?action=case_export_md").get_data(as_text=True)
    assert "导出案例 Markdown" in page and "查看案例</td>" not in page
    assert b.get("/admin/audit?case=abc&action=nonsense&page=x").status_code == 200
    assert z.get("/admin/audit").status_code == 403


def test_agency_settings_are_validated_saved_and_used(app, browser):
    from bot import agency

    make_user("boss", role="admin")
    b = browser("boss")
    good = {"name": "远航生涯", "short_name": "远航", "greeting": "你好，我是远航的助手。", "contact": "工作日回复",
            "counselor_reply_hours": "12", "color_primary": "#123abc", "color_header": "#eeeeee",
            "consent_version": "2027-01-v2", "retention_days": "180"}
    r = b.post("/admin/settings", {**good, "retention_days": "0", "color_primary": "red",
                                   "consent_version": "版本 2"})
    body = r.get_data(as_text=True)
    assert r.status_code == 400
    for message in ("数据保存天数应为 1–3650 之间的整数", "主色应为 #RRGGBB", "同意书版本号只能包含"):
        assert message in body
    assert agency.current()["name"] == "启航公考生涯规划"
    assert b.post("/admin/settings", good).status_code == 302
    agency.invalidate()
    now = agency.current()
    assert (now["name"], now["retention_days"], now["colors"], now["consent_version"]) == (
        "远航生涯", 180, {"primary": "#123abc", "header": "#eeeeee"}, "2027-01-v2")
    with session_scope() as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "settings_save")).scalar_one()
    assert "name" in entry.detail["changed"] and "retention_days" in entry.detail["changed"]


def test_admin_of_another_agency_cannot_change_this_deployments_settings(app, browser):
    make_user("farboss", role="admin", agency="other")
    r = browser("farboss").get("/admin/settings")
    assert r.status_code == 403 and "机构代号是 default" in r.get_data(as_text=True)


def test_purge_from_the_admin_page(app, browser):
    make_user("boss", role="admin")
    old = make_case(sender="old-1", created_days_ago=400, active_days_ago=400, messages=turns(2))
    recent = make_case(sender="new-1", active_days_ago=10, messages=turns(2))
    other = make_case(sender="far-1", agency="other", created_days_ago=500, active_days_ago=500)
    add_events_table(["old-1", "new-1", "far-1"])
    b = browser("boss")
    page = b.get("/admin/purge").get_data(as_text=True)
    assert 'id="purge-count">1<' in page and "4 条消息，3 条对话事件" in page
    b.post("/admin/purge", {"days": "365"})                     # not confirmed
    assert count(Student) == 3
    b.post("/admin/purge", {"days": "365", "confirm": "yes"})
    with session_scope() as s:
        assert s.get(Student, old) is None and s.get(Student, recent) and s.get(Student, other)
    assert count(Message, Message.student_id == old) == 0
    with get_engine().connect() as conn:
        senders = sorted(r[0] for r in conn.execute(text("SELECT DISTINCT sender_id FROM events")))
    assert senders == ["far-1", "new-1"]
    with session_scope() as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "purge")).scalar_one()
    assert entry.detail == {"older_than_days": 365, "cases": 1, "messages": 4, "events": 3}
    assert "天数应为" in b.get(b.get("/admin/purge?days=-3").headers["Location"]).get_data(as_text=True)


# -- CLI -------------------------------------------------------------------------------------

def test_cli_users_add_list_disable(app):
    runner = CliRunner()
    r = runner.invoke(users, ["add", "zhaols", "--role", "admin", "--agency", "hubei", "--name", "赵老师",
                              "--password-stdin"], input="Qing-Shan-2026\n")
    assert r.exit_code == 0, r.output
    assert "created admin account zhaols for agency hubei" in r.output
    r = runner.invoke(users, ["add", "zhaols", "--password-stdin"], input="Qing-Shan-2026\n")
    assert r.exit_code == 2 and "已被使用" in r.output
    r = runner.invoke(users, ["add", "x y", "--password-stdin"], input="Qing-Shan-2026\n")
    assert r.exit_code == 2 and "用户名须为" in r.output
    r = runner.invoke(users, ["add", "qian", "--password-stdin"], input="short\n")
    assert r.exit_code == 2 and "至少需要 10 个字符" in r.output
    r = runner.invoke(users, ["add", "qian"], input="Bai-Yun-2026x\nBai-Yun-2026x\n")   # prompted twice
    assert r.exit_code == 0, r.output
    r = runner.invoke(users, ["list"])
    assert "zhaols" in r.output and "hubei" in r.output and "qian" in r.output and "default" in r.output
    r = runner.invoke(users, ["disable", "qian"])
    assert r.exit_code == 0 and "disabled qian" in r.output
    r = runner.invoke(users, ["disable", "nobody"])
    assert r.exit_code == 2 and "no account named" in r.output
    with session_scope() as s:
        assert s.execute(select(User.disabled).where(User.username == "qian")).scalar_one() is True
    assert "Qing-Shan" not in str(audit_actions())


def test_cli_purge_with_dry_run(app):
    make_case(sender="old-1", created_days_ago=100, active_days_ago=100, messages=turns(3))
    make_case(sender="old-2", created_days_ago=100, active_days_ago=95)
    make_case(sender="new-1", active_days_ago=1, messages=turns(1))
    add_events_table(["old-1", "old-2", "new-1"])
    runner = CliRunner()
    r = runner.invoke(purge_cases, ["--older-than", "90", "--dry-run"])
    assert r.exit_code == 0 and "would delete 2 case(s), 6 message(s), 6 tracker event(s)" in r.output
    assert count(Student) == 3
    r = runner.invoke(purge_cases, ["--older-than", "90"])
    assert r.exit_code == 0 and "deleted 2 case(s), 6 message(s), 6 tracker event(s)" in r.output
    assert count(Student) == 1
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM events")).scalar_one() == 3
    r = runner.invoke(purge_cases, ["--older-than", "0"])
    assert r.exit_code == 2 and "0" in r.output


def test_purge_without_a_tracker_store_table(app):
    make_case(created_days_ago=40, active_days_ago=40)
    r = CliRunner().invoke(purge_cases, ["--older-than", "30"])
    assert r.exit_code == 0 and "deleted 1 case(s)" in r.output
