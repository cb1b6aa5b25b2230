"""Importing position tables and applicant statistics (bot.positions.importer / api)."""

import csv
import datetime as dt
import json

import openpyxl
import pytest
from sqlalchemy import func, select

from bot.positions import api, store
from bot.positions.importer import PositionImportError, detect_header, map_columns
from bot.positions.models import PositionPost, PositionSnapshot

NATIONAL_HEADER = ["部门代码", "部门名称", "用人司局", "机构性质", "招考职位", "职位属性", "职位简介", "职位代码",
                   "机构层级", "考试类别", "招考人数", "专业", "学历", "学位", "政治面貌", "基层工作最低年限",
                   "服务基层项目工作经历", "是否在面试阶段组织专业能力测试", "面试人员比例", "工作地点", "落户地点",
                   "备注", "部门网站", "咨询电话1", "咨询电话2", "咨询电话3"]


def national_rows():
    return [
        ["100101", "中央办公厅", "秘书局", "中央国家行政机关", "一级主任科员及以下", "普通职位", "文稿起草",
         "300110001001", "中央", "综合管理类", 2, "中国语言文学类、新闻传播学类", "本科及以上",
         "与最高学历相对应的学位", "中共党员", "二年", "无限制", "否", "3:1", "北京", "北京", "",
         "www.example.cn", "010-12345678", "", ""],
        ["100101", "中央办公厅", "机要局", "中央国家行政机关", "一级主任科员及以下", "普通职位", "机要工作",
         "300110001002", "中央", "综合管理类", 1, "不限", "仅限硕士研究生", "硕士", "不限", "无限制",
         "无限制", "否", "3:1", "北京", "北京", "限应届毕业生", "", "010-12345678", "", ""],
    ]


def write_xlsx(path, sheets):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def count(url, model, **where):
    with store.engine_for(url).connect() as conn:
        stmt = select(func.count()).select_from(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return conn.execute(stmt).scalar()


def test_header_detection_skips_title_rows():
    rows = [["2026年度某省考试录用公务员职位表", None], ["说明：……", None],
            ["招录机关", "职位名称", "职位代码", "招录人数"], ["甲局", "科员", "123", 1]]
    assert detect_header(rows) == 2
    assert detect_header([["a", "b"], ["c", "d"]]) is None


def test_aliases_map_differing_headers():
    plan, unknown = map_columns(["招考人数", "报名人数", "基层工作最低年限", "职位代码", "报名人数_2026-01-13"])
    assert sorted(plan.fields.values()) == ["applicants", "code", "experience", "openings"]
    assert list(plan.wide.values()) == [("applicants", dt.date(2026, 1, 13))]
    assert unknown == []
    plan, unknown = map_columns(["职位代码", "神秘列", "另一列"])
    assert unknown == ["神秘列", "另一列"]


def test_national_style_xlsx_with_title_rows(empty_db, tmp_path):
    path = write_xlsx(tmp_path / "guokao.xlsx", {
        "中央党群机关": [["2026年度中央机关及其直属机构考试录用公务员招考简章"], [None], NATIONAL_HEADER] + national_rows(),
    })
    (rep,) = api.import_positions([path], "国考", 2026, url=empty_db)
    assert (rep.rows, rep.posts_new, rep.kind) == (2, 2, "positions")
    post = api.get_post("300110001001", "国考", 2026, url=empty_db)
    assert post["organ"] == "中央办公厅" and post["unit"] == "秘书局" and post["openings"] == 2
    assert post["requirements"]["political_status"] == "中共党员"
    assert post["requirements"]["grassroots_experience"] == "二年"
    assert post["phone"] == "010-12345678"
    # The national exam's age limits come from knowledge/exams.yml (18–38, 43 for fresh postgraduates).
    v = api.check_post({"age": 41, "education": "硕士研究生", "degree": "硕士", "major": "不限",
                        "fresh_graduate": True, "grad_year": 2026, "political_status": "群众",
                        "experience_years": 0}, "300110001002", "国考", 2026, url=empty_db)
    assert v["verdict"] == "eligible", v
    v = api.check_post({"age": 44, "education": "硕士研究生", "degree": "硕士", "fresh_graduate": True,
                        "grad_year": 2026, "political_status": "群众"}, "300110001002", "国考", 2026, url=empty_db)
    assert v["verdict"] == "not_eligible" and any("年龄" in r for r in v["reasons"])


def test_unknown_columns_are_kept_as_details_and_map_option_still_works(empty_db, tmp_path):
    path = tmp_path / "other.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["职位代码", "招录人数", "学历", "岗位等级", "奇怪备注"])
        w.writerow(["A001", "1", "本科及以上", "一级科员", "x"])
    (rep,) = api.import_positions([path], "江苏省考", 2026, url=empty_db)
    assert rep.posts_new == 1 and rep.unknown_columns == ["岗位等级", "奇怪备注"]
    post = api.get_post("A001", "江苏省考", 2026, url=empty_db)
    assert post["details"] == {"岗位等级": "一级科员", "奇怪备注": "x"}
    # A detail never decides a verdict: the post is judged on its known columns only.
    v = api.check_post({"education": "本科", "age": 25, "grad_year": 2020, "fresh_graduate": False},
                       "A001", "江苏省考", 2026, url=empty_db)
    assert not any("一级科员" in r or "奇怪" in r for r in v["reasons"])
    reps = api.import_positions([path], "江苏省考", 2026, url=empty_db,
                                column_map={"岗位等级": "name"}, ignore=["奇怪备注"])
    assert reps[0].posts_updated == 1 and "奇怪备注" in reps[0].ignored_columns
    post = api.get_post("A001", "江苏省考", 2026, url=empty_db)
    assert post["name"] == "一级科员" and post["details"] is None


def test_gbk_csv_and_missing_code_column(empty_db, tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("职位代码,招考人数,学历\nB1,2,大专及以上\n".encode("gb18030"))
    (rep,) = api.import_positions([path], "某省考", 2026, url=empty_db)
    assert rep.posts_new == 1
    bad = tmp_path / "nocode.csv"
    bad.write_text("招考人数,学历\n2,本科\n", encoding="utf-8")
    with pytest.raises(PositionImportError, match="表头|职位代码"):
        api.import_positions([bad], "某省考", 2026, url=empty_db)


@pytest.mark.parametrize("name, content, message", [
    ("missing.xlsx", None, "不存在"),
    ("old.xls", b"\xd0\xcf\x11\xe0", r"\.xls"),
    ("broken.xlsx", b"not a zip", "Excel"),
    ("bad.json", b"{not json", "JSON"),
    ("list.json", b'{"data": 3}', "JSON"),
    ("table.pdf", b"%PDF", "不支持"),
])
def test_bad_files_give_clear_errors(empty_db, tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(PositionImportError, match=message):
        api.import_positions([path], "某省考", 2026, url=empty_db)


def test_applicants_need_a_date(empty_db, tmp_path):
    path = tmp_path / "counts.csv"
    path.write_text("职位代码,招录人数,报名人数\nC1,1,10\n", encoding="utf-8")
    with pytest.raises(PositionImportError, match="--snapshot"):
        api.import_positions([path], "某省考", 2026, url=empty_db)
    (rep,) = api.import_positions([path], "某省考", 2026, url=empty_db, snapshot="2026-03-01")
    assert rep.snapshots_new == 1 and rep.snapshot_dates == ["2026-03-01"]


def test_reimport_is_idempotent_and_snapshots_accumulate(empty_db, tmp_path):
    table = tmp_path / "t.json"
    table.write_text(json.dumps({"date": "2026-01-10", "data": [
        {"职位代码": "X1", "职位名称": "综合岗", "招录人数": 2, "学历": "本科及以上", "报名人数": 5},
        {"职位代码": "X2", "职位名称": "执法岗", "招录人数": 1, "学历": "大专及以上", "报名人数": 9},
    ]}, ensure_ascii=False), encoding="utf-8")
    first = api.import_positions([table], "某省考", 2026, url=empty_db)[0]
    again = api.import_positions([table], "某省考", 2026, url=empty_db)[0]
    assert (first.posts_new, first.snapshots_new) == (2, 2)
    assert (again.posts_new, again.posts_updated, again.snapshots_new, again.snapshots_updated) == (0, 0, 0, 0)
    assert again.already_imported
    day2 = tmp_path / "某省考-2026-01-11.csv"  # the date comes from the file name
    day2.write_text("职位代码,招录人数,报名人数\nX1,2,8\nX2,1,20\n", encoding="utf-8")
    api.import_positions([day2], "某省考", 2026, url=empty_db)
    # Same codes, another year: kept apart.
    api.import_positions([table], "某省考", 2025, url=empty_db)
    assert count(empty_db, PositionSnapshot, exam="某省考", year=2026) == 4
    assert count(empty_db, PositionSnapshot, exam="某省考", year=2025) == 2
    post = api.get_post("X1", "某省考", 2026, url=empty_db)
    assert [(s["date"], s["applicants"], s["ratio"]) for s in post["snapshots"]] == [
        ("2026-01-10", 5, 2.5), ("2026-01-11", 8, 4.0)]
    # The applicant sheet did not wipe the requirement columns of the position table.
    assert post["requirements"]["education"] == "本科及以上"
    # A corrected count for a day replaces it (still one row per post and day).
    day2.write_text("职位代码,招录人数,报名人数\nX1,2,11\n", encoding="utf-8")
    rep = api.import_positions([day2], "某省考", 2026, url=empty_db)[0]
    assert rep.snapshots_updated == 1
    assert api.get_post("X1", "某省考", 2026, url=empty_db)["snapshots"][-1]["applicants"] == 11


def test_shipped_data_loads_once(shipped_db):
    assert {(e["exam"], e["year"], e["posts"]) for e in api.list_exams(shipped_db)} == {
        ("河南省考", 2026, 7509), ("湖北省考", 2026, 5224), ("广东省考", 2026, 9344)}
    assert api.ensure_shipped_data(shipped_db) == []  # already loaded: nothing to do
    assert count(shipped_db, PositionSnapshot, exam="湖北省考") == 5224 * 6
    post = api.get_post("14230201003000001", url=shipped_db)
    assert [s["applicants"] for s in post["snapshots"]] == [17, 23, 33, 50, 54, 62]
    henan = api.get_post("11001011", url=shipped_db)
    assert henan["city"] == "郑州市" and henan["snapshots"] == []
    assert henan["requirements"]["other"] == "限男性；中共党员"


def test_codes_repeated_across_departments_get_the_department_prefix(empty_db, tmp_path):
    path = tmp_path / "dept.csv"
    path.write_text("部门代码,部门名称,职位代码,招考人数,学历\n"
                    "1001,甲部,01,1,本科及以上\n1002,乙部,01,2,本科及以上\n", encoding="utf-8")
    (rep,) = api.import_positions([path], "某部委考试", 2026, url=empty_db)
    assert rep.posts_new == 2
    assert api.get_post("1001-01", "某部委考试", 2026, url=empty_db)["organ"] == "甲部"
    assert api.get_post("1002-01", "某部委考试", 2026, url=empty_db)["openings"] == 2
