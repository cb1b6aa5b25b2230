"""``coach positions …`` and ``coach import-positions`` (bot.positions.cli)."""

import json
import os
import subprocess

import pytest
from click.testing import CliRunner

from bot.config import ROOT, reset_settings
from bot.positions.cli import import_positions, positions

PROFILE = {"age": 23, "education": "本科", "degree": "学士", "major": "法学", "grad_year": 2026,
           "fresh_graduate": True, "political_status": "中共党员", "experience_years": 0, "gender": "男",
           "hukou": "河南郑州"}


@pytest.fixture()
def cli_db(shipped_db, monkeypatch):
    monkeypatch.setenv("COACH_DATABASE_URL", shipped_db)
    reset_settings()
    yield shipped_db
    monkeypatch.delenv("COACH_DATABASE_URL")
    reset_settings()


@pytest.fixture()
def profile_file(tmp_path):
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(PROFILE, ensure_ascii=False), encoding="utf-8")
    return str(path)


def run(cmd, args):
    result = CliRunner().invoke(cmd, args, catch_exceptions=False)
    return result


@pytest.mark.parametrize("args", [["--help"], ["search", "--help"], ["show", "--help"], ["eligible", "--help"],
                                  ["compare", "--help"], ["exams", "--help"]])
def test_every_command_has_help(args):
    r = run(positions, args)
    assert r.exit_code == 0 and "Usage" in r.output


def test_import_help():
    r = run(import_positions, ["--help"])
    assert r.exit_code == 0 and "--snapshot" in r.output and "--exam" in r.output


def test_show_json_contract(cli_db):
    r = run(positions, ["show", "14230201003000001", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    for key in ("code", "exam", "year", "organ", "unit", "name", "openings", "requirements", "snapshots"):
        assert key in data
    assert (data["exam"], data["year"], data["openings"]) == ("湖北省考", 2026, 1)
    assert data["snapshots"][-1] == {"date": "2026-01-18", "applicants": 62, "ratio": 62.0}
    assert set(data["snapshots"][0]) == {"date", "applicants", "ratio"}


def test_show_table_and_unknown_code(cli_db):
    r = run(positions, ["show", "11001011"])
    assert r.exit_code == 0 and "限男性；中共党员" in r.output and "0371-61176087" in r.output
    r = run(positions, ["show", "99999999"])
    assert r.exit_code == 1 and "没有找到职位代码 99999999" in r.output and "Traceback" not in r.output


def test_eligible_json_contract(cli_db, profile_file):
    r = run(positions, ["eligible", "--profile", profile_file, "--exam", "河南省考", "--year", "2026", "--json"])
    assert r.exit_code == 0, r.output[-500:]
    rows = json.loads(r.output)
    assert len(rows) == 7509  # every post of that exam and year
    assert {r["verdict"] for r in rows} == {"eligible", "not_eligible", "needs_confirmation"}
    for row in rows:
        assert {"code", "verdict", "reasons"} <= set(row)
        assert isinstance(row["reasons"], list)
        if row["verdict"] != "eligible":
            assert row["reasons"]
    by_code = {r["code"]: r for r in rows}
    assert by_code["11001011"]["verdict"] == "eligible"
    assert by_code["11001021"]["reasons"] == ["限女性"]


def test_eligible_table(cli_db, profile_file):
    r = run(positions, ["eligible", "--profile", profile_file, "--exam", "湖北", "--limit", "3"])
    assert r.exit_code == 0 and "湖北省考 2026：符合" in r.output and "不符合" in r.output


def test_eligible_bad_profile_messages(cli_db, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"age": "abc"}', encoding="utf-8")
    r = run(positions, ["eligible", "--profile", str(bad), "--exam", "河南省考"])
    assert r.exit_code == 1 and "age" in r.output and "Traceback" not in r.output
    bad.write_text("not json", encoding="utf-8")
    r = run(positions, ["eligible", "--profile", str(bad)])
    assert r.exit_code == 1 and "无法解析" in r.output
    r = run(positions, ["eligible", "--profile", str(tmp_path / "none.json")])
    assert r.exit_code == 1 and "不存在" in r.output


def test_unknown_exam_message(cli_db, profile_file):
    r = run(positions, ["eligible", "--profile", profile_file, "--exam", "江苏省考"])
    assert r.exit_code == 1 and "江苏省考" in r.output and "import-positions" in r.output
    r = run(positions, ["search", "--exam", "河南省考", "--year", "2019"])
    assert r.exit_code == 1 and "2019" in r.output


def test_search_filters(cli_db, profile_file):
    r = run(positions, ["search", "--exam", "湖北省考", "--city", "武汉", "--keyword", "法", "--sort", "ratio",
                        "--limit", "5", "--json"])
    rows = json.loads(r.output)
    assert 0 < len(rows) <= 5
    ratios = [x["ratio"] for x in rows]
    assert ratios == sorted(ratios)
    r = run(positions, ["search", "--exam", "河南省考", "--education", "大专", "--limit", "0", "--json"])
    rows = json.loads(r.output)
    assert rows and all("大专" in x["education"] for x in rows)
    r = run(positions, ["search", "--exam", "河南省考", "--profile", profile_file, "--verdict", "eligible",
                        "--city", "郑州", "--limit", "3"])
    assert r.exit_code == 0 and "符合" in r.output


def test_compare_table_json_png(cli_db, profile_file, tmp_path):
    codes = ["14230202001003001", "14230201007000001"]
    r = run(positions, ["compare", *codes, "--profile", profile_file])
    assert r.exit_code == 0 and "报名趋势" in r.output
    r = run(positions, ["compare", *codes, "--profile", profile_file, "--json"])
    data = json.loads(r.output)
    assert [p["code"] for p in data["posts"]] == codes
    png = tmp_path / "c.png"
    r = run(positions, ["compare", *codes, "--png", str(png)])
    assert r.exit_code == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = run(positions, ["compare", "14230202001003001", "--json", "--png", str(png)])
    assert r.exit_code == 2


def test_import_command(empty_db, monkeypatch, tmp_path):
    monkeypatch.setenv("COACH_DATABASE_URL", empty_db)
    reset_settings()
    try:
        path = tmp_path / "p.csv"
        path.write_text("职位代码,招录人数,学历,奇怪列\nZ1,1,本科及以上,x\n", encoding="utf-8")
        # --dry-run: the report, nothing written.
        r = CliRunner().invoke(import_positions, [str(path), "--exam", "某省考", "--year", "2026", "--dry-run"])
        assert r.exit_code == 0, r.output
        assert "未识别的列" in r.output and "奇怪列" in r.output and "试读" in r.output
        assert "学历 → 学历" in r.output and "解析出资格条件" in r.output
        r = CliRunner().invoke(import_positions, [str(path), "--exam", "某省考", "--year", "2026"])
        assert r.exit_code == 0 and "新增 1" in r.output and "奇怪列" in r.output  # kept, reported
        r = CliRunner().invoke(import_positions, [str(path), "--exam", "某省考", "--year", "2026",
                                                  "--ignore", "奇怪列"])
        assert r.exit_code == 0 and "按要求未保存的列：奇怪列" in r.output
        # No exam in the title or the file name: the message says which option is missing.
        r = CliRunner().invoke(import_positions, [str(path), "--dry-run"])
        assert r.exit_code == 1 and "--exam" in r.output and "Traceback" not in r.output
        r = CliRunner().invoke(import_positions, [str(path), "--exam", "某省考", "--year", "2026",
                                                  "--map", "奇怪列"])
        assert r.exit_code == 2 and "列名=字段" in r.output
    finally:
        monkeypatch.delenv("COACH_DATABASE_URL")
        reset_settings()


def test_real_entry_point_without_traceback(shipped_db, tmp_path):
    coach = ROOT / ".venv" / "bin" / "coach"
    if not coach.exists():
        pytest.skip("the coach entry point is not installed in .venv")
    env = {**os.environ, "COACH_DATABASE_URL": shipped_db}
    r = subprocess.run([str(coach), "positions", "show", "nope"], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 1 and "没有找到职位代码" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([str(coach), "import-positions", str(tmp_path / "missing.xlsx"), "--exam", "国考",
                        "--year", "2026"], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 1 and "不存在" in r.stderr and "Traceback" not in r.stderr
