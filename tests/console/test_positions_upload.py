"""The console's position-table upload: admin only, report first, confirm to import, audited."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest

from bot.positions import api
from tests.console.conftest import audit_actions
from tests.console.seed import make_user

TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')


def table_bytes(rows=None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "县以上机关"
    ws.append(["广东省县级以上机关2026年考试录用公务员职位表"])
    ws.merge_cells("A1:H1")
    ws.append(["招考单位", "职位代码", "招考职位", "录用人数", "学历", "本科专业名称及代码", "其他要求", "岗位说明"])
    for r in rows or [["某局", "90000012641001", "科员", 1, "本科以上", "法学类(B0301)", "男性", "需下乡"],
                      ["某局", "90000012641002", "科员", 2, "本科以上", "06法律类", "持有特种作业证", ""]]:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def upload_dir(app, tmp_path):
    path = tmp_path / "uploads"
    app.config["POSITIONS_UPLOAD_DIR"] = str(path)
    return path


def upload(b, content: bytes, name: str, **fields):
    data = {"table": (io.BytesIO(content), name), **fields}
    return b.post("/admin/positions/preview", data, content_type="multipart/form-data")


def test_admin_previews_then_confirms_and_both_steps_are_audited(app, browser, upload_dir, sqlite_url):
    make_user("boss", role="admin")
    b = browser("boss")
    assert b.get("/admin/positions").status_code == 200
    r = upload(b, table_bytes(), "广东省2026年考试录用公务员职位表.xlsx")
    html = r.get_data(as_text=True)
    assert r.status_code == 200, html[:500]
    assert "试读报告" in html and "广东省考 2026" in html
    assert "岗位说明" in html and "持有特种作业证" in html          # unknown column, wording to confirm
    assert api.list_exams(sqlite_url) == []                          # nothing imported yet
    token = TOKEN_RE.search(html).group(1)
    assert any(upload_dir.iterdir())
    r = b.post("/admin/positions/confirm", {"token": token})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "导入结果" in html and "新增 2" in html
    assert [(x["exam"], x["year"], x["posts"]) for x in api.list_exams(sqlite_url)] == [("广东省考", 2026, 2)]
    assert api.get_post("90000012641001", "广东省考", 2026, url=sqlite_url)["details"] == {"岗位说明": "需下乡"}
    assert not any(upload_dir.iterdir())                             # the upload is removed
    actions = audit_actions()
    assert actions.count("positions_preview") == 1 and actions.count("positions_import") == 1
    # The same token cannot be confirmed twice.
    r = b.post("/admin/positions/confirm", {"token": token})
    assert r.status_code == 302
    assert "没有待确认的上传" in b.get("/admin/positions").get_data(as_text=True)
    # The audit log page names the new actions.
    assert "导入职位表" in b.get("/admin/audit").get_data(as_text=True)


def test_exam_and_year_given_in_the_form_win(app, browser, upload_dir, sqlite_url):
    make_user("boss", role="admin")
    b = browser("boss")
    r = upload(b, table_bytes(), "table.xlsx", exam="国考", year="2025")
    html = r.get_data(as_text=True)
    assert "国考 2025" in html
    assert upload(b, table_bytes(), "table.xlsx", year="20x5").status_code == 400


def test_csv_larger_than_the_console_default_limit(app, browser, upload_dir, sqlite_url):
    make_user("boss", role="admin")
    b = browser("boss")
    lines = ["职位代码,职位名称,学历,专业,备注"]
    for i in range(9000):
        lines.append(f"9{i:09d},综合管理岗一级科员,本科及以上,中国语言文学类,工作地点为某县城关镇，需要经常下乡开展调研工作")
    content = ("\n".join(lines) + "\n").encode("utf-8")
    assert len(content) > 512 * 1024
    r = upload(b, content, "某省2026年职位表.csv", exam="某省考")
    assert r.status_code == 200 and "9000" in r.get_data(as_text=True)


@pytest.mark.parametrize("name, content, message", [
    ("table.pdf", b"%PDF-1.4", "不支持的文件类型"),
    ("table.xlsx", b"just text, not a workbook", "不是 .xlsx 格式"),
    ("table.xls", b"PK\x03\x04 a zip, not xls", "不是 .xls 格式"),
    ("table.csv", "序号,单位\n1,甲\n".encode("utf-8"), "职位代码"),
    ("table.csv", b"", "空的"),
])
def test_bad_uploads_get_a_clear_answer(app, browser, upload_dir, name, content, message):
    make_user("boss", role="admin")
    b = browser("boss")
    r = upload(b, content, name, exam="某省考", year="2026")
    assert r.status_code == 400 and message in r.get_data(as_text=True)
    assert not any(upload_dir.iterdir()) if upload_dir.exists() else True


def test_counselors_and_forged_requests_are_refused(app, browser, upload_dir, sqlite_url):
    make_user("boss", role="admin")
    make_user("liwei")
    c = browser("liwei")
    assert c.get("/admin/positions").status_code == 403
    assert upload(c, table_bytes(), "t.xlsx").status_code == 403
    b = browser("boss")
    r = b.post("/admin/positions/preview", {"table": (io.BytesIO(table_bytes()), "t.xlsx")},
               csrf=False, content_type="multipart/form-data")
    assert r.status_code == 403
    assert api.list_exams(sqlite_url) == []


def test_another_session_cannot_confirm_an_upload(app, browser, upload_dir, sqlite_url):
    make_user("boss", role="admin")
    make_user("boss2", role="admin")
    b = browser("boss")
    token = TOKEN_RE.search(upload(b, table_bytes(), "广东省2026年职位表.xlsx").get_data(as_text=True)).group(1)
    other = browser("boss2")
    assert other.post("/admin/positions/confirm", {"token": token}).status_code == 302
    assert api.list_exams(sqlite_url) == []
    # The owner cancels: the file is deleted, nothing imported.
    assert b.post("/admin/positions/cancel", {}).status_code == 302
    assert not any(upload_dir.iterdir())
    assert b.post("/admin/positions/confirm", {"token": token}).status_code == 302
    assert api.list_exams(sqlite_url) == []
