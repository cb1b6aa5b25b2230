"""Admin pages: the knowledge answers and their console edits (issue 10).

* ``GET /admin/knowledge`` lists every topic of knowledge/topics by group, with the
  version an admin of this agency saved, if any.
* ``GET /admin/knowledge/<key>`` shows the default answer, the facts behind it with their
  sources, the answer in use, every saved version, and a preview of what a student sees
  (rendered with an empty profile, as for a student who shared nothing).
* ``POST /admin/knowledge/<key>`` previews the posted text (``action=preview``) or saves it
  as a new version (``action=save``) through :func:`bot.knowledge_edits.save`; its refusals
  (empty, too long, a data placeholder removed) are shown on the form.
* ``POST /admin/knowledge/<key>/revert`` saves an older version's text, or the default
  text, again as a new version: every version stays readable.

The assistant reads the newest version when it answers, so no retraining is needed: the
topic keys (what the model predicts) do not change, only the text. Admins only, CSRF on
every POST, every save audited with the topic key and the new version.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any, Dict, List, Optional

import yaml
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from bot.console.app import error_response
from bot.console.models import User
from bot.console.web import admins_only, db, record, require_user

bp = Blueprint("knowledge", __name__, url_prefix="/admin/knowledge")


admins_only(bp, "只有管理员可以修改知识库的回答")


@lru_cache(maxsize=1)
def group_titles() -> Dict[str, str]:
    """Group key -> the title written at the top of its knowledge/topics file."""
    from bot import knowledge_base

    out: Dict[str, str] = {}
    for path in sorted(knowledge_base.TOPICS_DIR.glob("*.yml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        out[str(data.get("group") or path.stem)] = str(data.get("title") or path.stem)
    return out


def _agency_check() -> Optional[str]:
    """Why this account may not save (its agency is not the one this assistant serves)."""
    deployment = current_app.config["AGENCY_ID"]
    user = require_user()
    if user.agency != deployment:
        return f"本系统的助手服务的机构代号是 {deployment}，你的账号属于 {user.agency}：可以查看，但不能修改它的回答"
    return None


@bp.get("")
def topic_list():
    from bot import knowledge_base, knowledge_edits

    user = require_user()
    edited = knowledge_edits.edited_keys(user.agency)
    titles = group_titles()
    groups: List[Dict[str, Any]] = []
    for t in knowledge_base.topics().values():
        if not groups or groups[-1]["key"] != t.group:
            groups.append({"key": t.group, "title": titles.get(t.group, t.group), "topics": []})
        groups[-1]["topics"].append({"key": t.key, "title": t.title, "version": edited.get(t.key),
                                     "facts": len(t.facts), "varies": t.varies})
    return render_template("knowledge_list.html", groups=groups, total=sum(len(g["topics"]) for g in groups),
                           edited=len(edited), blocked=_agency_check())


def _missing_placeholders(topic, answer: str) -> List[str]:
    return ["{" + p + "}" for p in topic.placeholders if "{" + p + "}" in topic.answer and "{" + p + "}" not in answer]


def _page(topic, *, form: Optional[Dict[str, str]] = None, preview: Optional[Dict[str, Any]] = None,
          error: Optional[str] = None, status: int = 200):
    from bot import agency as agency_settings
    from bot import knowledge_base, knowledge_edits

    user = require_user()
    versions = knowledge_edits.versions(user.agency, topic.key)
    current = versions[0] if versions else None
    names = dict(db().execute(select(User.username, User.display_name).where(User.agency == user.agency)).all())
    for v in versions:
        v["author_name"] = names.get(v["author"], v["author"])
        try:
            v["at_time"] = dt.datetime.fromisoformat(v["at"]) if v.get("at") else None
        except ValueError:
            v["at_time"] = None
    try:
        settings = agency_settings.current()
    except Exception:
        settings = {}
    in_use = knowledge_base.render(topic.key, {}, agency=settings, override=current)
    if form is None:
        # An empty "more" in a version falls back to the default one (knowledge_base.render),
        # so the form shows what students get.
        form = {"answer": current["answer"] if current else topic.answer,
                "more": ((current or {}).get("more") or topic.more) or ""}
    if preview is None:
        preview_answer = in_use
        preview_label = "学生现在看到的回答"
    else:
        preview_answer = knowledge_base.render(topic.key, {}, agency=settings, override=preview)
        preview_label = "预览（尚未保存）"
    full = knowledge_base.render(topic.key, {}, agency=settings, override=preview if preview is not None else current,
                                 detail=True) if topic.more or (preview or current or {}).get("more") else None
    return render_template(
        "knowledge_topic.html", t=topic, group=group_titles().get(topic.group, topic.group), versions=versions,
        current=current, form=form, preview=preview_answer, preview_more=full, preview_label=preview_label,
        error=error, blocked=_agency_check(), personal=[knowledge_base.FACT_LABELS.get(p, p) for p in topic.personal],
        missing=_missing_placeholders(topic, form["answer"]) if preview is not None else [],
    ), status


def _topic_or_404(key: str):
    from bot import knowledge_base

    if len(key) > 64:
        return None
    topic = knowledge_base.topic(key)
    return topic if topic is not None and topic.key == knowledge_base.bare_key(key) else None


@bp.get("/<key>")
def topic_page(key: str):
    topic = _topic_or_404(key)
    if topic is None:
        return error_response(404, "没有这个知识点")
    return _page(topic)


def _save(topic, answer: str, more: Optional[str], detail: Dict[str, Any], action: str):
    from bot import knowledge_edits

    user = require_user()
    db().commit()          # the edit is written by its own session
    saved = knowledge_edits.save(user.agency, topic.key, answer, more, author=user.username)
    record(action, detail={"key": topic.key, "version": saved["version"], **detail})
    return saved


@bp.post("/<key>")
def edit(key: str):
    from bot.knowledge_edits import MAX_TEXT, EditError

    topic = _topic_or_404(key)
    if topic is None:
        return error_response(404, "没有这个知识点")
    form = {"answer": (request.form.get("answer") or "")[: MAX_TEXT * 2],
            "more": (request.form.get("more") or "")[: MAX_TEXT * 2]}
    if request.form.get("action") == "preview":
        preview = {"answer": form["answer"].replace("\r\n", "\n").strip(),
                   "more": form["more"].replace("\r\n", "\n").strip() or None}
        if not preview["answer"]:
            return _page(topic, form=form, error="回答不能为空。", status=400)
        return _page(topic, form=form, preview=preview)
    blocked = _agency_check()
    if blocked:
        return error_response(403, blocked)
    try:
        saved = _save(topic, form["answer"], form["more"], {}, "knowledge_edit")
    except EditError as exc:
        return _page(topic, form=form, error=str(exc), status=400)
    flash(f"已保存为第 {saved['version']} 版：助手从下一条回答起使用新文本，无需重新训练", "success")
    return redirect(url_for("knowledge.topic_page", key=topic.key))


@bp.post("/<key>/revert")
def revert(key: str):
    from bot import knowledge_edits
    from bot.knowledge_edits import EditError

    topic = _topic_or_404(key)
    if topic is None:
        return error_response(404, "没有这个知识点")
    blocked = _agency_check()
    if blocked:
        return error_response(403, blocked)
    raw = (request.form.get("version") or "").strip()
    if raw == "default":
        answer, more, origin = topic.answer, topic.more, "default"
    elif raw.isdigit() and len(raw) < 7:
        old = next((v for v in knowledge_edits.versions(require_user().agency, topic.key)
                    if v["version"] == int(raw)), None)
        if old is None:
            flash("没有这个版本", "warning")
            return redirect(url_for("knowledge.topic_page", key=topic.key))
        answer, more, origin = old["answer"], old["more"], old["version"]
    else:
        flash("没有这个版本", "warning")
        return redirect(url_for("knowledge.topic_page", key=topic.key))
    try:
        saved = _save(topic, answer, more, {"from": origin}, "knowledge_revert")
    except EditError as exc:
        # An old version may predate a placeholder the default text has gained since.
        flash(f"无法恢复：{exc}", "warning")
        return redirect(url_for("knowledge.topic_page", key=topic.key))
    what = "默认文本" if origin == "default" else f"第 {origin} 版"
    flash(f"已把{what}另存为第 {saved['version']} 版，助手现在使用它", "success")
    return redirect(url_for("knowledge.topic_page", key=topic.key))
