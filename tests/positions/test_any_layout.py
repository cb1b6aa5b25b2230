"""Any province's layout, no column map: the national exam's columns, yes/no columns,
sections, details, the import report, and a fuzz test of every reader."""

import csv
import json
import random

import openpyxl
import pytest

from bot.positions import api, importer, store
from bot.positions.importer import PositionImportError, read_file

# The official column names of the national exam (国考) position table, in its order.
NATIONAL = ["部门代码", "部门名称", "用人司局", "机构性质", "招考职位", "职位属性", "职位分布", "职位简介", "职位代码",
            "机构层级", "考试类别", "招考人数", "专业", "学历", "学位", "政治面貌", "基层工作最低年限",
            "服务基层项目工作经历", "是否在面试阶段组织专业能力测试", "面试人员比例", "工作地点", "落户地点", "备注"]
PROJECTS = "大学生村官、农村义务教育阶段学校教师特设岗位计划、“三支一扶”计划、大学生志愿服务西部计划"


def national_rows():
    """Four posts in the national exam's typical wording."""
    def row(**kw):
        base = {"部门代码": "100101", "部门名称": "某部", "用人司局": "办公厅", "机构性质": "中央国家行政机关（本级）",
                "招考职位": "一级主任科员及以下", "职位属性": "普通职位", "职位分布": "北京", "职位简介": "文稿起草",
                "机构层级": "中央", "考试类别": "综合管理类", "招考人数": 1, "专业": "不限", "学历": "本科及以上",
                "学位": "与最高学历相对应的学位", "政治面貌": "不限", "基层工作最低年限": "无限制",
                "服务基层项目工作经历": "无限制", "是否在面试阶段组织专业能力测试": "否", "面试人员比例": "3:1",
                "工作地点": "北京市西城区", "落户地点": "北京市", "备注": ""}
        base.update(kw)
        return [base[h] for h in NATIONAL]
    return [
        row(职位代码="300110001001", 专业="本科：中国语言文学类、新闻传播学类；研究生：中国语言文学、新闻传播学",
            政治面貌="中共党员", 基层工作最低年限="二年", 备注="咨询电话：010-12345678"),
        row(职位代码="300110001002", 招考职位="法律事务岗", 学历="仅限硕士研究生", 学位="硕士", 专业="法学、法律",
            备注="限2026届高校毕业生"),
        row(职位代码="300110002001", 用人司局="基层局", 服务基层项目工作经历=PROJECTS, 学历="大专及以上", 学位="不限"),
        row(职位代码="300110002002", 考试类别="行政执法类", 是否在面试阶段组织专业能力测试="是", 学历="本科",
            学位="学士", 专业="计算机类", 备注="本职位限应届毕业生报考；部门网站 www.example.gov.cn"),
    ]


def write_xlsx(path, sheets, merges=None):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
        for rng in (merges or {}).get(name, ()):
            ws.merge_cells(rng)
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def national_db(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("national")
    url = "sqlite:///" + str(tmp / "national.db")
    path = write_xlsx(tmp / "2026年度中央机关及其直属机构考试录用公务员职位表.xlsx", {
        "中央党群机关": [["2026年度中央机关及其直属机构考试录用公务员招考简章"], [None], NATIONAL] + national_rows()})
    store.ensure_schema(url)
    reports = api.import_positions([path], "国考", 2026, url=url)
    return url, reports[0]


def test_national_layout_imports_without_a_column_map(national_db):
    url, rep = national_db
    assert rep.rows == 4 and rep.unknown_columns == []
    how = {c["column"]: c["field"] for c in rep.columns}
    assert how["基层工作最低年限"] == "experience" and how["服务基层项目工作经历"] == "project"
    assert how["是否在面试阶段组织专业能力测试"] == "tests" and how["考试类别"] == "post_type"
    assert how["面试人员比例"] is None and how["落户地点"] is None  # kept as details
    post = api.get_post("300110002002", "国考", 2026, url=url)
    assert post["family"] == "行政执法类" and post["details"]["落户地点"] == "北京市"
    assert "需参加专业能力测试" in post["parsed"]["notes"]


@pytest.mark.parametrize("profile, code, verdict, words", [
    ({"age": 23, "education": "本科", "major": "汉语言文学", "grad_year": 2026, "fresh_graduate": True,
      "political_status": "中共党员", "experience_years": 0}, "300110001001", "not_eligible", ["2年以上基层工作经历"]),
    ({"age": 30, "education": "本科", "major": "汉语言文学", "grad_year": 2018, "fresh_graduate": False,
      "political_status": "中共党员", "experience_years": 3}, "300110001001", "eligible", []),
    ({"age": 30, "education": "本科", "major": "汉语言文学", "grad_year": 2018, "fresh_graduate": False,
      "political_status": "中共党员", "experience_years": 3}, "300110001002", "not_eligible", ["学历", "2026届"]),
    ({"age": 26, "education": "硕士研究生", "degree": "硕士", "major": "法律硕士", "grad_year": 2026,
      "fresh_graduate": True, "political_status": "群众"}, "300110001002", "eligible", []),
    ({"age": 26, "education": "硕士研究生", "degree": "硕士", "major": "法学", "grad_year": 2025,
      "fresh_graduate": True, "political_status": "群众"}, "300110001002", "not_eligible", ["2026届"]),
    ({"age": 22, "education": "大专", "major": "会计", "grad_year": 2025, "fresh_graduate": True,
      "special_groups": []}, "300110002001", "not_eligible", ["三支一扶"]),
    ({"age": 22, "education": "本科", "major": "软件工程", "grad_year": 2026, "fresh_graduate": True},
     "300110002002", "eligible", []),
    ({"age": 27, "education": "本科", "major": "软件工程", "grad_year": 2021, "fresh_graduate": False},
     "300110002002", "not_eligible", ["应届"]),
])
def test_national_verdicts(national_db, profile, code, verdict, words):
    url, _ = national_db
    got = api.check_post(profile, code, "国考", 2026, url=url)
    assert got["verdict"] == verdict, got
    assert all(any(w in r for r in got["reasons"]) for w in words), got["reasons"]
    # Phone numbers and web addresses are details, never a reason.
    assert not any("010-12345678" in r or "www." in r for r in got["reasons"] if verdict == "not_eligible")


def test_without_the_national_table_the_answer_names_who_imports_it(shipped_db):
    with pytest.raises(api.UnknownExam) as e:
        api.resolve_exam("国考", url=shipped_db)
    assert "还没有导入" in str(e.value) and "管理员" in str(e.value) and "coach import-positions" in str(e.value)


# --------------------------------------------------------------------------- values and sections
def test_fresh_graduate_wordings_in_experience_and_identity_columns(empty_db, tmp_path):
    path = tmp_path / "p.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["职位代码", "职位名称", "学历", "工作经历", "现有身份要求", "考生咨询电话", "单位网站"])
        w.writerow(["E1", "科员", "本科及以上", "2024应届毕业生", "", "020-8888888", "http://a.gov.cn"])
        w.writerow(["E2", "科员", "本科及以上", "", "限应届", "", ""])
        w.writerow(["E3", "科员", "本科及以上", "两年以上基层工作经历", "社会人员", "", ""])
    (rep,) = api.import_positions([path], "某省考", 2026, url=empty_db)
    old = {"education": "本科", "grad_year": 2020, "fresh_graduate": False, "age": 28, "experience_years": 3}
    for code in ("E1", "E2"):
        got = api.check_post(old, code, "某省考", 2026, url=empty_db)
        assert got["verdict"] == "not_eligible" and any("应届" in r for r in got["reasons"]), got
    got = api.check_post(old, "E1", "某省考", 2026, url=empty_db)
    assert not any("020-8888888" in r or "http" in r for r in got["reasons"])
    assert api.get_post("E1", "某省考", 2026, url=empty_db)["details"] == {"单位网站": "http://a.gov.cn"}
    assert api.get_post("E1", "某省考", 2026, url=empty_db)["phone"] == "020-8888888"
    # "社会人员" is a wording nobody wrote a rule for: asked, and counted in the report.
    assert api.check_post(old, "E3", "某省考", 2026, url=empty_db)["verdict"] == "needs_confirmation"
    assert rep.to_confirm == [{"field": "招录对象", "text": "社会人员", "count": 1}]


@pytest.mark.parametrize("sheet, group_word", [
    ("面向服务基层项目人员职位", "服务基层项目人员"), ("面向大学生士兵职位", "退役士兵"),
    ("面向残疾人职位", "残疾人"), ("面向退役士兵职位", "退役士兵"),
])
def test_a_sheet_naming_its_group_restricts_its_posts(empty_db, tmp_path, sheet, group_word):
    path = write_xlsx(tmp_path / "groups.xlsx", {
        "普通职位": [["职位代码", "职位名称", "学历"], ["N1", "科员", "本科及以上"]],
        sheet: [["某省2026年职位表"], ["职位代码", "职位名称", "学历"], ["S1", "科员", "本科及以上"]],
    })
    api.import_positions([path], "某省考", 2026, url=empty_db)
    none = {"education": "本科", "grad_year": 2026, "fresh_graduate": True, "age": 23, "special_groups": []}
    assert api.check_post(none, "N1", "某省考", 2026, url=empty_db)["verdict"] == "eligible"
    got = api.check_post(none, "S1", "某省考", 2026, url=empty_db)
    assert got["verdict"] == "not_eligible" and any(group_word in r for r in got["reasons"]), got


def test_section_headings_between_rows_and_police_and_township_sheets(empty_db, tmp_path):
    rows = [["职位代码", "职位名称", "学历"], ["A1", "科员", "本科及以上"],
            ["面向服务基层项目人员职位", None, None], ["A2", "科员", "本科及以上"], ["A3", "科员", "本科及以上"]]
    path = write_xlsx(tmp_path / "sections.xlsx", {"县以上机关": rows, "公安": [rows[0], ["P1", "民警", "本科及以上"]],
                                                   "乡镇机关": [rows[0], ["T1", "科员", "大专及以上"]]},
                      merges={"县以上机关": ["A3:C3"]})
    (rep,) = api.import_positions([path], "某省考", 2026, url=empty_db)
    assert rep.sections == {"县以上机关": 1, "县以上机关·面向服务基层项目人员职位": 2, "公安": 1, "乡镇机关": 1}
    none = {"education": "本科", "grad_year": 2026, "fresh_graduate": True, "age": 23, "special_groups": []}
    assert api.check_post(none, "A1", "某省考", 2026, url=empty_db)["verdict"] == "eligible"
    assert api.check_post(none, "A3", "某省考", 2026, url=empty_db)["verdict"] == "not_eligible"
    assert any("人民警察" in n for n in api.get_post("P1", "某省考", 2026, url=empty_db)["parsed"]["notes"])
    assert any("乡镇" in n for n in api.get_post("T1", "某省考", 2026, url=empty_db)["parsed"]["notes"])


def test_only_a_table_without_code_or_anything_usable_is_refused(empty_db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("序号,单位,人数\n1,甲,2\n", encoding="utf-8")
    with pytest.raises(PositionImportError, match="表头|职位代码"):
        api.import_positions([bad], "某省考", 2026, url=empty_db)
    only = tmp_path / "only.csv"
    only.write_text("职位代码,奇怪列\nX1,1\n", encoding="utf-8")
    with pytest.raises(PositionImportError, match="除职位代码外没有可识别的列"):
        api.import_positions([only], "某省考", 2026, url=empty_db)


def test_dry_run_report_equals_the_report_after_the_import(empty_db, tmp_path):
    path = write_xlsx(tmp_path / "广东省2026年考试录用公务员职位表（节选）.xlsx", {
        "县以上机关": [["广东省县级以上机关2026年考试录用公务员职位表"],
                    ["招考单位", "职位代码", "招考职位", "录用人数", "学历", "学位", "本科专业名称及代码",
                     "是否要求2年以上基层工作经历", "是否限应届毕业生报考", "其他要求", "考区", "岗位说明"],
                    ["某局", "90000012641001", "科员", 1, "本科以上", "学士以上", "法学类(B0301)", "是", "否",
                     "男性;瑶族", "广州", "需经常下乡"],
                    ["某局", "90000012641002", "科员", 1, "本科以上", "学士以上", "06法律类", "否",
                     "2026届高校毕业生", "持有特种作业证", "广州", ""]]})
    before = api.preview_import([path])          # exam and year from the title
    assert before[0].exam == "广东省考" and before[0].year == 2026 and before[0].dry_run
    assert api.list_exams(empty_db) == []         # nothing written
    after = api.import_positions([path], None, None, url=empty_db)
    strip = lambda r: {k: v for k, v in r.to_dict().items()  # noqa: E731
                       if k not in ("posts_new", "posts_updated", "posts_unchanged", "dry_run")}
    assert strip(before[0]) == strip(after[0])
    rep = after[0]
    assert rep.unknown_columns == ["岗位说明"] and rep.posts_new == 2
    assert rep.to_confirm == [{"field": "其他要求", "text": "持有特种作业证", "count": 1}]
    text = "\n".join(rep.lines())
    assert "是否要求2年以上基层工作经历 → 基层工作经历（是 → 具有2年以上基层工作经历）" in text
    assert "岗位说明" in text and "持有特种作业证" in text
    stored = store.imported_reports(empty_db)
    assert stored[0]["file"] == path.name and stored[0]["to_confirm"] == rep.to_confirm


def test_guangdong_float_code_is_read_as_text(shipped_db):
    import xlrd

    book = xlrd.open_workbook(str(api.KNOWLEDGE_POSITIONS / "guangdong-2026-positions.xls"))
    sh = book.sheet_by_name("法院")
    floats = [sh.cell_value(r, 3) for r in range(sh.nrows) if sh.cell_type(r, 3) == xlrd.XL_CELL_NUMBER]
    assert len(floats) == 1
    code = str(int(floats[0]))
    assert api.get_post(code, "广东省考", 2026, url=shipped_db)["code"] == code


# --------------------------------------------------------------------------- fuzz
# For each field, the header spellings tables use, and a value generator.
FUZZ_FIELDS = {
    "code": ["职位代码", "岗位代码", "职位编码"],
    "organ": ["招录机关", "招考单位", "部门名称"],
    "name": ["职位名称", "招考职位", "岗位名称"],
    "openings": ["招录人数", "招考人数", "录用人数"],
    "education": ["学历", "学历要求"],
    "political": ["政治面貌", "政治面貌要求"],
    "other": ["其他要求", "其它条件", "其他条件"],
}
MAJOR_CHILDREN = [("研究生", "major_graduate"), ("本科", "major_undergrad"), ("大专", "major_college")]
UNKNOWN = ["岗位等级", "备用列"]


def _posts(rnd, n):
    out = []
    for i in range(n):
        out.append({
            "code": 4400000000 + rnd.randrange(10 ** 6) * 10 + i % 10 + i * 10 ** 7,
            "organ": rnd.choice(["甲局", "乙厅", "丙委"]), "name": rnd.choice(["科员", "执法员"]),
            "openings": rnd.randint(1, 5), "education": rnd.choice(["本科及以上", "大专以上", "研究生"]),
            "political": rnd.choice(["中共党员", "不限"]), "other": rnd.choice(["", "限男性", "限女性"]),
            "major_graduate": rnd.choice(["法学(A0301)", "不限", ""]),
            "major_undergrad": rnd.choice(["法学类(B0301)", "不限"]),
            "major_college": rnd.choice(["", "不限"]),
            "岗位等级": rnd.choice(["一级", "二级"]), "备用列": "x",
        })
    return out


def _layout(rnd, posts, code_style):
    """Rows of one randomly laid out sheet: shuffled columns, a title, blank rows, maybe a
    two-row header whose 专业 parent cell is merged over its three children."""
    singles = [(rnd.choice(FUZZ_FIELDS[f]), f) for f in FUZZ_FIELDS] + [(u, u) for u in UNKNOWN]
    rnd.shuffle(singles)
    two_rows = rnd.random() < 0.6
    cut = rnd.randrange(len(singles) + 1)
    cols = singles[:cut] + [("major", None)] + singles[cut:]
    header1, header2, keys = [], [], []
    for h, f in cols:
        if h == "major":
            if two_rows:
                header1 += ["专业要求", None, None]
                header2 += [c for c, _ in MAJOR_CHILDREN]
            else:
                header1 += [f"{c}专业" for c, _ in MAJOR_CHILDREN]
            keys += [f for _, f in MAJOR_CHILDREN]
        else:
            header1.append(h)
            header2.append(None if two_rows else h)
            keys.append(f)
    merges = []
    if two_rows:
        j = header1.index("专业要求")
        merges.append((j, j + 2))
        # The single-level names sit in the top row, merged down over the second one.
        header2 = [h2 if h2 is not None else None for h2 in header2]
    rows = [[f"某省{2026}年考试录用公务员职位表"] + [None] * (len(keys) - 1)]
    rows += [[None] * len(keys) for _ in range(rnd.randint(0, 2))]
    header_at = len(rows)
    rows.append(header1)
    if two_rows:
        rows.append(header2)
    for p in posts:
        if rnd.random() < 0.2:
            rows.append([None] * len(keys))
        row = []
        for k in keys:
            v = p[k]
            if k == "code":
                v = {"int": v, "float": float(v), "text": str(v)}[code_style]
            row.append(v if v != "" else None)
        rows.append(row)
    rows.append(["合计", None] + [None] * (len(keys) - 2))
    return rows, header_at, two_rows, merges


def _write(kind, tmp_path, i, rows, header_at, two_rows, merges):
    if kind == "xlsx":
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "职位"
        for r in rows:
            ws.append(r)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[header_at]))
        if two_rows:
            top = header_at + 1
            for j, h in enumerate(rows[header_at]):
                if h == "专业要求":
                    ws.merge_cells(start_row=top, start_column=j + 1, end_row=top, end_column=j + 3)
                elif h is not None:
                    ws.merge_cells(start_row=top, start_column=j + 1, end_row=top + 1, end_column=j + 1)
        path = tmp_path / f"fuzz{i}.xlsx"
        wb.save(path)
    elif kind == "csv":
        path = tmp_path / f"fuzz{i}.csv"
        with open(path, "w", encoding=random.Random(i).choice(["utf-8-sig", "gb18030"]), newline="") as fh:
            csv.writer(fh).writerows([["" if c is None else c for c in r] for r in rows])
    else:
        header = rows[header_at] if not two_rows else [
            (f"专业要求{c}" if p == "专业要求" or (p is None and c) else p)
            for p, c in zip(_ffill(rows[header_at]), rows[header_at + 1])]
        data = [r for r in rows[header_at + (2 if two_rows else 1):] if any(v is not None for v in r)][:-1]
        path = tmp_path / f"fuzz{i}.json"
        path.write_text(json.dumps({"data": [dict(zip(header, r)) for r in data]}, ensure_ascii=False),
                        encoding="utf-8")
    return path


def _ffill(header):
    out, last = [], None
    for h in header:
        if h == "专业要求":
            last = h
        elif h is not None:
            last = None
        out.append(h if h is not None else last)
    return out


@pytest.mark.parametrize("kind", ["xlsx", "csv", "json"])
@pytest.mark.parametrize("seed", range(8))
def test_fuzz_readers_agree_on_any_layout(tmp_path, kind, seed):
    rnd = random.Random(seed * 31 + len(kind))
    posts = _posts(rnd, rnd.randint(3, 12))
    code_style = rnd.choice(["int", "float", "text"]) if kind != "json" else rnd.choice(["int", "text"])
    rows, header_at, two_rows, merges = _layout(rnd, posts, code_style)
    if kind == "csv" and two_rows:
        # CSV has no merged cells: the parent name is written over its first child only.
        pass
    path = _write(kind, tmp_path, seed, rows, header_at, two_rows, merges)
    parsed = read_file(path, "某省考", 2026)
    assert parsed.report.rows == len(posts), (kind, seed, parsed.report.columns)
    got = {p["code"]: p for p in parsed.posts}
    assert set(got) == {str(p["code"]) for p in posts}
    for p in posts:
        g = got[str(p["code"])]
        for f in ("organ", "name", "openings", "education", "political", "major_graduate", "major_undergrad"):
            assert g.get(f) == (p[f] if p[f] != "" else None), (kind, seed, f, g.get(f), p[f])
        assert (g.get("other") or "") == p["other"]
        assert g["details"] == {"岗位等级": p["岗位等级"], "备用列": "x"}
    assert sorted(parsed.report.unknown_columns) == sorted(UNKNOWN)


def test_applicant_counts_join_by_code_for_any_layout(national_db, tmp_path):
    """A daily count sheet in another layout (title row with the date, its own column names)
    fills snapshots of the posts imported from the official table."""
    url, _ = national_db
    path = write_xlsx(tmp_path / "counts.xlsx", {"Sheet1": [
        ["2026年度中央机关及其直属机构考试录用公务员报名人数统计（截至2025年10月20日）"],
        ["部门名称", "用人司局", "职位代码", "招考人数", "报名人数", "审核通过人数"],
        ["某部", "办公厅", "300110001001", 1, 45, 30], ["某部", "办公厅", 300110001002, 1, 12, 8]]})
    (rep,) = api.import_positions([path], "国考", 2026, url=url)
    assert rep.kind == "applicants" and rep.snapshot_dates == ["2025-10-20"] and rep.snapshots_new == 2
    post = api.get_post("300110001002", "国考", 2026, url=url)
    assert post["snapshots"] == [{"date": "2025-10-20", "applicants": 12, "ratio": 12.0}]
    # The count sheet did not replace the table's requirement columns.
    assert post["requirements"]["education"] == "仅限硕士研究生"
