"""Case exports (PDF read back with pypdf, Markdown) and list exports (CSV, XLSX)."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from pypdf import PdfReader

from bot.console import queries
from tests.console.seed import make_case, make_user, turns


def test_case_pdf_renders_chinese_and_the_transcript(app, browser):
    make_user("zhang", name="张老师")
    cid = make_case(name="王小明", major="金融学", extra=True, flags=["complaint"],
                    messages=[{"role": "user", "text": "我想报考湖北省考的税务岗位", "intent": "inform",
                               "confidence": 0.9, "slots": {"target_region": "湖北"}},
                              {"role": "bot", "text": "好的，我们先核对报考条件。"},
                              {"role": "user", "text": "<b>不是标签</b> & 符号", "intent": "nlu_fallback"}])
    b = browser("zhang")
    b.post(f"/cases/{cid}/notes", {"text": "下周电话回访"})
    r = b.get(f"/cases/{cid}/export.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"] == f'attachment; filename="case-{cid}.pdf"'
    reader = PdfReader(io.BytesIO(r.data))
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    for expected in (f"学生案例 #{cid}", "王小明", "金融学", "文字功底好", "我想报考湖北省考的税务岗位",
                     "好的，我们先核对报考条件。", "<b>不是标签</b> & 符号", "意图 inform 0.90",
                     "target_region=湖北", "下周电话回访", "投诉"):
        assert expected in text, expected
    fonts = {str(f.get("/BaseFont")) for p in reader.pages for f in (p["/Resources"].get("/Font") or {}).values()
             for f in [f.get_object()]}
    assert any("CoachCJK" in f or "WenQuanYi" in f for f in fonts), fonts   # the CJK font is embedded


def test_case_markdown(app, browser):
    make_user("zhang")
    cid = make_case(name="王小明", major="金融学",
                    messages=[{"role": "user", "text": "# 不是标题 <script>x</script>", "intent": "inform"}])
    r = browser("zhang").get(f"/cases/{cid}/export.md")
    assert r.status_code == 200 and r.content_type == "text/markdown; charset=utf-8"
    md = r.get_data(as_text=True)
    assert md.startswith(f"# 启航公考生涯规划 · 学生案例 #{cid}")
    assert "**称呼**：王小明" in md and "**专业**：金融学" in md
    assert "\\# 不是标题 \\<script\\>x\\</script\\>" in md      # student text cannot become markup
    assert "> 意图 inform" in md


def _csv(b, query: str):
    r = b.get(f"/cases/export.csv{query}")
    assert r.status_code == 200 and r.content_type.startswith("text/csv")
    text = r.data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_list_exports_follow_the_filters(app, browser):
    make_user("zhang")
    a = make_case(name="王小明", major="金融学", channel="telegram", flags=["complaint"], messages=turns(2))
    c = make_case(name="=HYPERLINK(\"http://x\")", major="法学", channel="webchat")
    make_case(agency="other", name="别家学生")
    b = browser("zhang")
    rows = _csv(b, "")
    assert rows[0][:3] == ["案例编号", "称呼", "专业"]
    assert sorted(int(r[0]) for r in rows[1:]) == sorted([a, c])
    assert "别家学生" not in str(rows)
    by_id = {int(r[0]): r for r in rows[1:]}
    assert by_id[a][1:3] == ["王小明", "金融学"] and by_id[a][9] == "投诉（待处理）" and by_id[a][11] == "4"
    assert by_id[c][1].startswith("'=")                                   # no formula in a spreadsheet
    assert [int(r[0]) for r in _csv(b, "?flag=complaint")[1:]] == [a]
    r = b.get("/cases/export.xlsx?channel=webchat")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.data)).active
    values = [[cell.value for cell in row] for row in ws.iter_rows()]
    assert values[0][0] == "案例编号" and [v[0] for v in values[1:]] == [c]
    assert ws.cell(row=2, column=2).data_type == "s"                     # text, not a formula


def test_list_export_refuses_too_many_rows_with_a_message(app, browser, monkeypatch):
    make_user("zhang")
    for _ in range(3):
        make_case()
    monkeypatch.setattr(queries, "MAX_EXPORT_ROWS", 2)
    r = browser("zhang").get("/cases/export.csv")
    assert r.status_code == 400 and "缩小筛选范围" in r.get_data(as_text=True)


def test_bad_filter_in_export_is_a_clear_error(app, browser):
    make_user("zhang")
    r = browser("zhang").get("/cases/export.csv?from=yesterday")
    assert r.status_code == 400 and "不是有效日期" in r.get_data(as_text=True)
