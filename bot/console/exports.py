"""Case exports (PDF with Chinese text, Markdown) and case-list exports (CSV, XLSX)."""

from __future__ import annotations

import csv
import re
import io
import json
import threading
from typing import Any, Dict, Iterable, List, Optional, Sequence
from xml.sax.saxutils import escape as xml_escape

from bot.console import present
from bot.console.casedata import CaseView
from bot.console.labels import (
    FLAG_LABELS,
    PROFILE_LABELS,
    REVIEW_LABELS,
    STAGE_LABELS,
    SWOT_LABELS,
    channel_label,
    fmt_bool,
    fmt_time,
)


class ExportError(RuntimeError):
    """A message for the counselor."""


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return fmt_bool(v)
    if v is None:
        return "—"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def role_label(view: CaseView, m) -> str:
    if m.role == "user":
        return "学生"
    if m.role == "counselor":
        name = (m.extra or {}).get("counselor")
        return f"顾问 {name}" if name else "顾问"
    return "助手"


def _swot_items(swot: Any) -> List[tuple]:
    """(label, [items]) pairs of a SWOT whatever its shape (dict of lists or of text)."""
    if isinstance(swot, dict):
        out = []
        for key, value in swot.items():
            items = value if isinstance(value, list) else [value]
            out.append((SWOT_LABELS.get(key, str(key)), [_value(i) for i in items if i not in (None, "")]))
        return out
    if isinstance(swot, list):
        return [("SWOT", [_value(i) for i in swot])]
    if swot:
        return [("SWOT", [_value(swot)])]
    return []


def sections(view: CaseView) -> List[Dict[str, Any]]:
    """The case as titled sections of (label, value) rows or lines: shared by both formats."""
    s = view.student
    out: List[Dict[str, Any]] = []
    consent = view.consent
    out.append({"title": "概况", "rows": [
        ("案例编号", f"#{s.id}"), ("称呼", s.display_name or "—"), ("渠道", channel_label(s.channel)),
        ("阶段", STAGE_LABELS.get(s.stage, s.stage)), ("审阅状态", REVIEW_LABELS.get(s.review_status, s.review_status)),
        ("负责顾问", view.users.get(s.assigned_to, "—") if s.assigned_to else "未分配"),
        ("标签", "、".join(s.tags or []) or "—"),
        ("创建时间", fmt_time(s.created_at)), ("最近活动", fmt_time(s.last_active_at)),
        ("知情同意", "—" if consent is None else
         f"{'已同意' if consent.given else '已拒绝/撤回'}（文本版本 {consent.text_version}，{fmt_time(consent.at)}）"),
    ]})
    out.append({"title": "基本信息", "rows": [(PROFILE_LABELS.get(k, k), _value(v)) for k, v in view.profile.items()]
                or [("—", "尚未采集")]})
    out.append({"title": f"资料修改记录（{len(view.history)}）", "lines": [
        f"{fmt_time(c.at)} {c.label}：{c.old} → {c.new}（{c.source_label}）"
        + (f"；学生原话：{c.message}" if c.message else "") + (f"；已于 {fmt_time(c.undone_at)} 撤销" if c.undone else "")
        for c in view.history] or ["暂无"]})
    lines: List[str] = []
    sa = view.self_analysis
    if sa is not None:
        for label, items in _swot_items(sa.swot):
            lines.append(f"{label}：" + ("；".join(items) or "—"))
        for key, value in (sa.answers or {}).items():
            lines.append(f"{key}：{_value(value)}")
    out.append({"title": "自我分析（SWOT）", "lines": lines or ["尚未完成"]})
    t = view.interest_test
    out.append({"title": "职业兴趣测试", "lines": [] if t is None else [
        f"结果代码：{t.code or '—'}（{'已完成' if t.completed else '未完成'}）",
        "得分：" + ("，".join(f"{k} {v}" for k, v in (t.scores or {}).items()) or "—"),
    ] or ["尚未完成"]})
    e = view.eligibility
    out.append({"title": "报考资格", "lines": ["尚未核查"] if e is None else [
        f"{e.exam} {e.year}：" + "，".join(f"{k} {v}" for k, v in (e.counts or {}).items()),
        *([f"摘要：{_value(e.summary)}"] if e.summary else []),
    ]})
    mc_lines = present.major_check_lines(view.major_check) if view.major_check else ["学生还没有问过"]
    if view.earlier_major_checks:
        mc_lines.append("更早的查询：" + "；".join(f"{fmt_time(e['at'])} {e['asked']}" for e in view.earlier_major_checks))
    out.append({"title": "专业对口查询", "lines": mc_lines})
    out.append({"title": "备考计划", "lines": present.plan_lines(view.plan) if view.plan else ["还没有备考计划"]})
    n, target = view.interview_progress
    out.append({"title": f"访谈往届考生（{n}/{target}）", "lines": [
        f"{i.major or '—'}｜{i.exam or '—'} {i.year or ''}｜{i.post or '—'}｜{i.result or '—'}｜建议：{i.advice or '—'}"
        for i in view.interviews] or ["暂无记录"]})
    sl_lines = []
    for entry in view.shortlist:
        comp = view.competition.get(f"{entry.exam}|{entry.year}|{entry.post_code}", {})
        ratio = comp.get("ratio")
        ratio_text = f"竞争比 {ratio}:1（报名 {comp.get('applicants')} 人 / 招 {comp.get('openings')} 人）" \
            if ratio is not None else (comp.get("error") or "暂无竞争比")
        sl_lines.append(f"{entry.exam} {entry.year} 职位 {entry.post_code}"
                        f"{'（' + comp['name'] + '）' if comp.get('name') else ''}：{ratio_text}；"
                        f"准备问题 {len(entry.questions or [])}/10")
    out.append({"title": f"岗位清单（{len(view.shortlist)}/5）", "lines": sl_lines or ["暂无"]})
    flag_lines = [f"{FLAG_LABELS.get(f.kind, f.kind)}（{fmt_time(f.at)}，{'已处理' if f.resolved_at else '待处理'}）"
                  + (f"：{f.detail}" if f.detail else "") for f in view.flags]
    flag_lines += [f"{FLAG_LABELS.get(k, k)}（根据对话数据）" for k in view.computed_flags]
    out.append({"title": "标记", "lines": flag_lines or ["无"]})
    out.append({"title": "满意度反馈", "lines": [
        f"{f.score if f.score is not None else '—'} 分（{fmt_time(f.at)}）" + (f"：{f.comment}" if f.comment else "")
        for f in view.feedback] or ["暂无"]})
    out.append({"title": "顾问备注", "lines": [f"{n.author}（{fmt_time(n.at)}）：{n.text}" for n in view.notes]
                or ["暂无"]})
    return out


def transcript_lines(view: CaseView) -> List[Dict[str, Any]]:
    out = []
    for m in view.messages:
        meta = []
        if m.role == "user" and m.intent:
            meta.append(f"意图 {m.intent}" + (f" {m.confidence:.2f}" if m.confidence is not None else ""))
        if m.role == "user" and m.slots:
            meta.append("槽位 " + "，".join(f"{k}={_value(v)}" for k, v in m.slots.items()))
        meta.extend(present.message_meta(m))
        buttons = (m.extra or {}).get("buttons") if m.role != "user" else None
        if buttons:
            meta.append("按钮 " + " / ".join(str(b.get("title", "")) for b in buttons if isinstance(b, dict)))
        out.append({"who": role_label(view, m), "at": fmt_time(m.at, seconds=True), "text": m.text or "",
                    "meta": "；".join(meta)})
    return out


# -- Markdown ------------------------------------------------------------------------------

_MD_INLINE = set("\\`*_[]<>|~&")
_MD_LINE_START = re.compile(r"^(\s*)([#>+=-])")
_MD_ORDERED = re.compile(r"^(\s*\d+)([.)])")


def md_escape(text: Any) -> str:
    """Backslash-escapes Markdown and HTML syntax so student text stays plain text in any
    Markdown renderer (no tags, links, emphasis, headings or lists); line breaks are kept."""
    out = []
    for line in str(text).splitlines() or [""]:
        line = "".join("\\" + ch if ch in _MD_INLINE else ch for ch in line)
        line = _MD_LINE_START.sub(r"\1\\\2", line)
        line = _MD_ORDERED.sub(r"\1\\\2", line)
        out.append(line)
    return "  \n".join(out)


def case_markdown(view: CaseView, agency_name: str) -> str:
    s = view.student
    lines = [f"# {md_escape(agency_name)} · 学生案例 #{s.id}", ""]
    for section in sections(view):
        lines.append(f"## {section['title']}")
        lines.append("")
        for label, value in section.get("rows", []):
            lines.append(f"- **{md_escape(label)}**：{md_escape(value)}")
        for line in section.get("lines", []):
            lines.append(f"- {md_escape(line)}")
        lines.append("")
    lines.append(f"## 对话记录（{len(view.messages)} 条）")
    lines.append("")
    for t in transcript_lines(view):
        lines.append(f"**{md_escape(t['who'])}** · {md_escape(t['at'])}  ")
        lines.append(md_escape(t["text"]))
        if t["meta"]:
            lines.append("")
            lines.append(f"> {md_escape(t['meta'])}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# -- PDF -----------------------------------------------------------------------------------

_font_lock = threading.Lock()
_font_name: Optional[str] = None


def _cjk_font() -> str:
    """Registers a CJK TrueType font with reportlab once; the PDF embeds a subset of it."""
    global _font_name
    with _font_lock:
        if _font_name:
            return _font_name
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        from bot.positions.chart import cjk_font_path

        path = cjk_font_path()
        if not path:
            raise ExportError("服务器上没有可用的中文字体，无法生成 PDF（请安装 fonts-wqy-zenhei）")
        try:
            kwargs = {"subfontIndex": 0} if path.lower().endswith(".ttc") else {}
            pdfmetrics.registerFont(TTFont("CoachCJK", path, **kwargs))
        except Exception as exc:
            raise ExportError(f"中文字体无法加载（{exc.__class__.__name__}），无法生成 PDF") from None
        _font_name = "CoachCJK"
        return _font_name


def _p(text: Any) -> str:
    """Paragraph markup of plain text: escaped, line breaks kept."""
    return xml_escape(str(text)).replace("\n", "<br/>")


def case_pdf(view: CaseView, agency_name: str) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _cjk_font()
    base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=14, wordWrap="CJK")
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=11, textColor=colors.HexColor("#666666"))
    h1 = ParagraphStyle("h1", parent=base, fontSize=16, leading=22, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=base, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4,
                        textColor=colors.HexColor("#0b5c3b"))
    who_style = ParagraphStyle("who", parent=base, fontSize=8.5, leading=12, textColor=colors.HexColor("#333333"))

    buf = io.BytesIO()
    s = view.student
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=f"学生案例 #{s.id}", author=agency_name,
                            subject="生涯规划案例")
    story: List[Any] = [Paragraph(_p(f"{agency_name} · 学生案例 #{s.id}"), h1)]
    for section in sections(view):
        story.append(Paragraph(_p(section["title"]), h2))
        rows = section.get("rows")
        if rows:
            table = Table([[Paragraph(_p(k), base), Paragraph(_p(v), base)] for k, v in rows],
                          colWidths=[32 * mm, None])
            table.setStyle(TableStyle([
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#dddddd")),
                ("TEXTCOLOR", (0, 0), (0, -1), colors.HexColor("#555555")),
            ]))
            story.append(table)
        for line in section.get("lines", []):
            story.append(Paragraph(_p("· " + line), base))
    story.append(Paragraph(_p(f"对话记录（{len(view.messages)} 条）"), h2))
    if not view.messages:
        story.append(Paragraph(_p("暂无对话记录"), base))
    for t in transcript_lines(view):
        story.append(Paragraph(_p(f"{t['who']}  {t['at']}"), who_style))
        story.append(Paragraph(_p(t["text"]), base))
        if t["meta"]:
            story.append(Paragraph(_p(t["meta"]), small))
        story.append(Spacer(1, 3))

    def footer(canvas, doc_):
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.setFillColor(colors.HexColor("#888888"))
        canvas.drawString(16 * mm, 9 * mm, f"含学生个人信息，仅限本机构生涯顾问使用 · 案例 #{s.id} · 第 {doc_.page} 页")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


# -- list exports --------------------------------------------------------------------------

LIST_HEADERS = ("案例编号", "称呼", "专业", "学历", "毕业年份", "渠道", "阶段", "审阅状态", "负责顾问", "标记",
                "最低满意度", "消息数", "创建时间", "最近活动")


def list_rows(rows: Iterable[Dict[str, Any]], users: Dict[int, str]) -> List[List[Any]]:
    out = []
    for r in rows:
        out.append([
            r["id"], r.get("display_name") or "", r.get("major") or r.get("major_raw") or "",
            r.get("education") or "", r.get("grad_year") or "", channel_label(r.get("channel")),
            STAGE_LABELS.get(r.get("stage"), r.get("stage") or ""),
            REVIEW_LABELS.get(r.get("review_status"), r.get("review_status") or ""),
            users.get(r.get("assigned_to"), "") if r.get("assigned_to") else "",
            "、".join(FLAG_LABELS[k] + ("（待处理）" if waiting else "") for k, waiting in r["flags"].items()),
            r.get("min_score") if r.get("min_score") is not None else "",
            r.get("messages") or 0, fmt_time(r.get("created_at")), fmt_time(r.get("last_active_at")),
        ])
    return out


def _cell(value: Any) -> Any:
    """Neutralises spreadsheet formulas in text typed by students (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def list_csv(rows: Sequence[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(LIST_HEADERS)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    # BOM: Excel then opens the UTF-8 file with the Chinese text intact.
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def list_xlsx(rows: Sequence[Sequence[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "案例列表"
    ws.append(list(LIST_HEADERS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(list(row))
        for cell in ws[ws.max_row]:
            # openpyxl would store text beginning with "=" as a formula: keep it text.
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    for column, width in zip("ABCDEFGHIJKLMN", (9, 12, 18, 10, 9, 10, 10, 9, 10, 24, 9, 7, 17, 17)):
        ws.column_dimensions[column].width = width
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
