"""``coach positions …`` and ``coach import-positions``: the position engine on the command line."""

from __future__ import annotations

import functools
import json
import unicodedata
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

import click

from bot.positions.chart import ChartError
from bot.positions.importer import PositionImportError
from bot.positions.profile import ProfileError

CONTEXT = {"help_option_names": ["-h", "--help"]}


def _friendly(fn: Callable) -> Callable:
    """User errors become one clear line and exit code 1, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from sqlalchemy.exc import OperationalError, SQLAlchemyError

        from bot.positions.api import PositionsError

        try:
            return fn(*args, **kwargs)
        except (PositionsError, ProfileError, PositionImportError, ChartError) as exc:
            raise click.ClickException(str(exc)) from None
        except OperationalError as exc:
            raise click.ClickException(f"数据库不可用：{str(exc.orig).splitlines()[0]}") from None
        except SQLAlchemyError as exc:
            raise click.ClickException(f"数据库错误：{exc.__class__.__name__}: {str(exc).splitlines()[0]}") from None
        except PermissionError as exc:
            raise click.ClickException(f"没有权限：{exc.filename}") from None

    return wrapper


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _cut(s: str, limit: int) -> str:
    out, w = [], 0
    for ch in s:
        cw = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        if w + cw > limit:
            return "".join(out)[:-1] + "…" if out else "…"
        out.append(ch)
        w += cw
    return "".join(out)


def print_table(rows: List[Dict[str, Any]], columns: Sequence[tuple]) -> None:
    """columns: (key, header, max width)."""
    cells = [[_cut("" if r.get(k) is None else str(r.get(k)), w) for k, _, w in columns] for r in rows]
    widths = [max([_width(h)] + [_width(c[i]) for c in cells]) for i, (_, h, _) in enumerate(columns)]

    def line(values):
        return "  ".join(v + " " * (widths[i] - _width(v)) for i, v in enumerate(values)).rstrip()

    click.echo(line([h for _, h, _ in columns]))
    click.echo(line(["-" * w for w in widths]))
    for c in cells:
        click.echo(line(c))


def _dump(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def _read_profile(path: Optional[str]) -> Optional[Dict[str, Any]]:
    if path is None:
        return None
    p = Path(path)
    if not p.is_file():
        raise click.ClickException(f"档案文件不存在：{path}")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"档案文件不是 UTF-8 文本：{path}") from None
    try:
        if p.suffix.lower() in (".yml", ".yaml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # json.JSONDecodeError, yaml.YAMLError
        raise click.ClickException(f"档案文件 {path} 无法解析：{exc}") from None
    if not isinstance(data, dict):
        raise click.ClickException(f"档案文件 {path} 应为一个 JSON 对象，例如 {{\"age\": 23, \"education\": \"本科\"}}")
    if isinstance(data.get("profile"), dict):  # `coach cases show --json` output works too
        data = data["profile"]
    return data


def _auto_load() -> None:
    """First use on an empty database: load the shipped tables (a note goes to stderr)."""
    from bot.positions import api

    if not api.list_exams():
        click.echo("数据库中还没有职位表，正在导入随产品提供的河南、湖北、广东 2026 职位表……", err=True)
        for r in api.ensure_shipped_data():
            click.echo(r.summary(), err=True)


VERDICT_ZH = {"eligible": "符合", "needs_confirmation": "需确认", "not_eligible": "不符合"}

exam_option = click.option("--exam", help="考试名称：国考、河南省考、湖北省考、广东省考（可写简称，如“广东”）")
year_option = click.option("--year", type=int, help="年度，如 2026（默认：该考试最新年度）")


@click.group(context_settings=CONTEXT)
def positions() -> None:
    """职位表：查询、资格核对与竞争比（position tables, eligibility and competition ratios）."""


@positions.command("exams", context_settings=CONTEXT)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@_friendly
def exams_cmd(as_json: bool) -> None:
    """列出数据库中已有的考试和年度。"""
    from bot.positions import api

    rows = api.list_exams()
    if as_json:
        _dump(rows)
    elif not rows:
        click.echo("数据库中还没有职位表；用 coach import-positions 导入")
    else:
        print_table(rows, [("exam", "考试", 20), ("year", "年度", 6), ("posts", "职位数", 8)])


@positions.command("search", context_settings=CONTEXT)
@exam_option
@year_option
@click.option("--city", help="城市/区县/机关名称包含该词")
@click.option("--keyword", "-k", help="关键词（机关、单位、职位名称、简介、专业）")
@click.option("--education", help="只看接受该学历的职位：大专、本科、硕士研究生、博士研究生")
@click.option("--family", help="职位类别：综合管理类、行政执法类、专业技术类")
@click.option("--min-openings", type=int, help="招录人数至少为")
@click.option("--max-ratio", type=float, help="竞争比不高于（需要报名数据）")
@click.option("--profile", "profile_file", help="档案 JSON 文件；配合 --verdict 只看某种资格结论")
@click.option("--verdict", type=click.Choice(["eligible", "needs_confirmation", "not_eligible"]))
@click.option("--sort", type=click.Choice(["code", "ratio", "-ratio"]), default="code", show_default=True,
              help="排序：代码、竞争比升序、竞争比降序")
@click.option("--limit", type=int, default=50, show_default=True, help="最多显示条数（0 = 全部）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@_friendly
def search_cmd(exam, year, city, keyword, education, family, min_openings, max_ratio, profile_file, verdict,
               sort, limit, as_json) -> None:
    """按条件查询职位。"""
    from bot.positions import api

    _auto_load()
    profile = _read_profile(profile_file)
    rows = api.search_posts(exam, year, city=city, keyword=keyword, education=education, family=family,
                            min_openings=min_openings, max_ratio=max_ratio, profile=profile, verdict=verdict,
                            sort=sort, limit=limit or None)
    if as_json:
        _dump(rows)
        return
    if not rows:
        click.echo("没有符合条件的职位")
        return
    cols = [("code", "职位代码", 17), ("organ", "招录机关", 30), ("name", "职位名称", 18), ("city", "城市", 10),
            ("openings", "人数", 4), ("education", "学历", 14), ("ratio", "竞争比", 8)]
    if profile is not None:
        cols.append(("verdict", "资格", 8))
        for r in rows:
            r["verdict"] = VERDICT_ZH.get(r.get("verdict"), r.get("verdict"))
    print_table(rows, cols)
    click.echo(f"共 {len(rows)} 条" + ("（已截断，用 --limit 0 显示全部）" if limit and len(rows) >= limit else ""))


@positions.command("show", context_settings=CONTEXT)
@click.argument("code")
@exam_option
@year_option
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@_friendly
def show_cmd(code: str, exam, year, as_json: bool) -> None:
    """显示一个职位的全部要求和报名快照。"""
    from bot.positions import api

    _auto_load()
    post = api.get_post(code, exam, year)
    if as_json:
        _dump(post)
        return
    click.echo(f"{post['code']}  {post['organ'] or ''} {post['unit'] or ''} · {post['name'] or ''}")
    click.echo(f"考试：{post['exam']} {post['year']}    城市：{post.get('city') or '-'}    "
               f"类别：{post.get('family') or '-'}    招录人数：{post['openings']}")
    if post.get("description"):
        click.echo(f"职位简介：{post['description']}")
    labels = {"education": "学历", "degree": "学位", "major": "专业", "major_college": "专科专业",
              "major_undergrad": "本科专业", "major_graduate": "研究生专业", "age": "年龄",
              "political_status": "政治面貌", "grassroots_experience": "工作经历", "service_project": "服务基层项目",
              "target_group": "招录对象", "identity": "身份要求", "gender": "性别", "hukou": "户籍",
              "other": "其他要求", "remarks": "备注", "physical_exam": "体检标准",
              "fitness_test": "体能测评"}
    for k, v in post["requirements"].items():
        click.echo(f"  {labels.get(k, k)}：{v}")
    if post.get("phone"):
        click.echo(f"  咨询电话：{post['phone']}")
    if post.get("section") or post.get("post_type"):
        click.echo(f"  所在分区：{post.get('section') or '-'}    职位类型：{post.get('post_type') or '-'}")
    for k, v in (post.get("details") or {}).items():
        click.echo(f"  {k}：{v}")
    if post["parsed"]["notes"]:
        click.echo("  提示：" + "；".join(post["parsed"]["notes"]))
    if post["snapshots"]:
        click.echo("报名人数：")
        for s in post["snapshots"]:
            click.echo(f"  {s['date']}  {s['applicants']:>6} 人  竞争比 {s['ratio']}")
    else:
        click.echo("报名人数：暂无数据")


@positions.command("eligible", context_settings=CONTEXT)
@click.option("--profile", "profile_file", required=True, help="档案 JSON 文件（intake 键：age, education, degree, major, …）")
@exam_option
@year_option
@click.option("--verdict", type=click.Choice(["eligible", "needs_confirmation", "not_eligible"]),
              help="只列出这种结论的职位")
@click.option("--limit", type=int, default=30, show_default=True, help="表格每类最多显示条数（JSON 总是全部）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON：每个职位一项 {code, verdict, reasons, …}")
@_friendly
def eligible_cmd(profile_file: str, exam, year, verdict, limit: int, as_json: bool) -> None:
    """核对一份档案对该考试每个职位的报考资格。"""
    from bot.positions import api

    _auto_load()
    profile = _read_profile(profile_file)
    report = api.check_eligibility(profile, exam, year, verdict=verdict)
    if as_json:
        _dump(report.results)
        return
    c = report.counts
    click.echo(f"{report.exam} {report.year}：符合 {c['eligible']} 个，需确认 {c['needs_confirmation']} 个，"
               f"不符合 {c['not_eligible']} 个")
    for n in report.profile_notes:
        click.echo(f"提示：{n}")
    titles = {"eligible": "符合条件", "needs_confirmation": "需确认", "not_eligible": "不符合"}
    for v in ("eligible", "needs_confirmation", "not_eligible"):
        rows = report.by_verdict(v)
        if verdict and v != verdict or not rows:
            continue
        click.echo(f"\n{titles[v]}（{len(rows)}）")
        shown = rows[:limit] if limit else rows
        for r in shown:
            r["why"] = "；".join(r["reasons"])
        print_table(shown, [("code", "职位代码", 17), ("organ", "招录机关", 26), ("name", "职位名称", 16)]
                    + ([("why", "原因", 70)] if v != "eligible" else [("city", "城市", 10)]))
        if limit and len(rows) > limit:
            click.echo(f"……另有 {len(rows) - limit} 个（--limit 0 显示全部，--json 输出全部）")


@positions.command("compare", context_settings=CONTEXT)
@click.argument("codes", nargs=-1, required=True)
@exam_option
@year_option
@click.option("--profile", "profile_file", help="档案 JSON 文件：用于“可报岗位”排名和替代岗位")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.option("--png", "png_out", type=click.Path(dir_okay=False, writable=True), help="把图表写入该 PNG 文件")
@_friendly
def compare_cmd(codes, exam, year, profile_file, as_json: bool, png_out) -> None:
    """对比候选职位的竞争比（与可报岗位分布、报名趋势和更好的替代岗位）。"""
    from bot.positions import api

    if as_json and png_out:
        raise click.UsageError("--json 和 --png 只能选一个")
    _auto_load()
    profile = _read_profile(profile_file)
    if png_out:
        png = api.compare_chart(list(codes), exam, year, profile)
        try:
            Path(png_out).write_bytes(png)
        except OSError as exc:
            raise click.ClickException(f"无法写入 {png_out}：{exc.strerror}") from None
        click.echo(f"已写入 {png_out}（{len(png)} 字节）")
        return
    result = api.compare_posts(list(codes), exam, year, profile)
    if as_json:
        _dump(result)
        return
    click.echo(f"{result['exam']} {result['year']}，报名数据截至 {result['date'] or '无'}")
    if result.get("note"):
        click.echo(result["note"])
    rows = []
    for p in result["posts"]:
        rows.append({**p, "verdict": VERDICT_ZH.get(p.get("verdict"), p.get("verdict")),
                     "rank": f"{p['rank_all']}/{p['posts_ranked']}" if p.get("rank_all") else "-",
                     "rank_el": (f"{p['rank_eligible']}/{p['eligible_ranked']}" if p.get("rank_eligible") else "-"),
                     "flag": "千里挑一" if p.get("one_in_a_thousand") else ""})
    cols = [("code", "职位代码", 17), ("organ", "招录机关", 24), ("name", "职位名称", 14), ("openings", "人数", 4),
            ("applicants", "报名", 6), ("ratio", "竞争比", 8), ("rank", "全部排名", 11)]
    if profile is not None:
        cols += [("verdict", "资格", 8), ("rank_el", "可报排名", 11)]
    print_table(rows, cols + [("flag", "", 8)])
    dist = result.get("eligible_posts") or result.get("all_posts")
    if dist:
        label = "你可报岗位" if result.get("eligible_posts") else "全部岗位"
        click.echo(f"\n{label}竞争比：中位数 {dist['median']}，四分位 {dist['p25']}–{dist['p75']}，"
                   f"最高 {dist['max']}，千里挑一的岗位 {dist['one_in_a_thousand']} 个（共 {dist['posts']} 个）")
    for p in result["posts"]:
        if len(p["snapshots"]) > 1:
            trend = " → ".join(f"{s['date'][5:]}:{s['applicants']}" for s in p["snapshots"])
            click.echo(f"{p['code']} 报名趋势：{trend}")
    for p in result["posts"]:
        alts = p.get("alternatives") or []
        if alts:
            click.echo(f"\n比 {p['code']}（{p['ratio']}）竞争更小、你符合条件的岗位：")
            print_table(alts, [("code", "职位代码", 17), ("organ", "招录机关", 24), ("name", "职位名称", 14),
                               ("city", "城市", 10), ("ratio", "竞争比", 8), ("why", "依据", 14)])


def _parse_map(values: Sequence[str]) -> Dict[str, str]:
    from bot.positions.importer import FIELD_ALIASES

    out = {}
    for v in values:
        if "=" not in v:
            raise click.BadParameter(f"“{v}”应写成 列名=字段", param_hint="--map")
        col, fld = (x.strip() for x in v.split("=", 1))
        if fld not in FIELD_ALIASES and fld != "ignore":
            raise click.BadParameter(f"未知字段“{fld}”；可用：{', '.join(sorted(FIELD_ALIASES))}, ignore",
                                     param_hint="--map")
        out[col] = fld
    return out


@click.command("import-positions", context_settings=CONTEXT)
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--exam", help="考试名称：国考、河南省考、湖北省考、广东省考（或其他省考名称）；"
                             "省略时按文件标题或文件名判断")
@click.option("--year", type=int, help="年度，如 2026；省略时按文件标题或文件名判断")
@click.option("--snapshot", help="报名人数的统计日期 YYYY-MM-DD（文件标题、JSON 或文件名中没有日期时必填）")
@click.option("--map", "mappings", multiple=True, metavar="列名=字段", help="指定某列对应的字段（可多次）；"
              "通常不需要：未识别的列会原样保存并随职位显示")
@click.option("--ignore", "ignored", multiple=True, metavar="列名", help="不保存该列（可多次）")
@click.option("--dry-run", is_flag=True, help="只读取并报告每列如何识别、解析出多少职位和条件、哪些表述需人工确认，不写入数据库")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出报告")
@click.option("--top", type=int, default=15, show_default=True, help="报告中列出最常见的待确认表述的条数")
@_friendly
def import_positions(files, exam: Optional[str], year: Optional[int], snapshot, mappings, ignored, dry_run: bool,
                     as_json: bool, top: int) -> None:
    """导入职位表和报名人数统计（XLS/XLSX/CSV/JSON），可重复导入；--dry-run 只看报告。"""
    from bot.positions import api

    kwargs = dict(snapshot=snapshot, column_map=_parse_map(mappings), ignore=ignored)
    if dry_run:
        reports = api.preview_import(list(files), exam, year, **kwargs)
    else:
        reports = api.import_positions(list(files), exam, year, progress=not as_json, **kwargs)
    if as_json:
        _dump([r.to_dict() for r in reports])
        return
    for r in reports:
        for line in r.lines(top):
            click.echo(line)
        if r.ignored_columns:
            click.echo(f"  按要求未保存的列：{'、'.join(r.ignored_columns)}")
    if dry_run:
        click.echo(f"试读完成：{len(reports)} 个文件，共 {sum(r.rows for r in reports)} 个职位；"
                   "确认无误后去掉 --dry-run 导入")
        return
    posts = sum(r.posts_new for r in reports)
    click.echo(f"完成：{len(reports)} 个文件，新增职位 {posts} 个，"
               f"新增报名快照 {sum(r.snapshots_new for r in reports)} 条")
