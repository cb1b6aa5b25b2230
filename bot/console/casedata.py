"""Everything the case page and the case exports show, loaded in a few queries."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from bot.console import present, search
from bot.console.labels import INTERVIEW_TARGET
from bot.console.models import User
from bot.db.models import (
    Consent,
    EligibilityCheck,
    Feedback,
    Flag,
    InterestTest,
    Interview,
    MajorCheck,
    Media,
    Message,
    Note,
    Profile,
    ProfileChange,
    Report,
    SelfAnalysis,
    ShortlistEntry,
    Student,
    StudyPlan,
)

logger = logging.getLogger(__name__)

PROFILE_ORDER = ("age", "gender", "education", "degree", "major", "major_code", "major_raw", "grad_year",
                 "fresh_graduate", "political_status", "experience_years", "hukou", "target_region",
                 "target_exam", "target_year")


@dataclass
class CaseView:
    student: Student
    profile: Dict[str, Any]
    consents: List[Consent]
    self_analysis: Optional[SelfAnalysis]
    interest_test: Optional[InterestTest]
    eligibility: Optional[EligibilityCheck]
    interviews: List[Interview]
    shortlist: List[ShortlistEntry]
    feedback: List[Feedback]
    flags: List[Flag]
    notes: List[Note]
    reports: List[Report]
    media: List[Media]
    messages: List[Message]
    users: Dict[int, str]
    computed_flags: List[str] = field(default_factory=list)
    competition: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    profile_changes: List[ProfileChange] = field(default_factory=list)
    major_checks: List[MajorCheck] = field(default_factory=list)
    study_plan: Optional[StudyPlan] = None

    @cached_property
    def history(self) -> List["present.ChangeRow"]:
        return present.profile_changes(self.profile_changes)

    @cached_property
    def major_check(self) -> Optional[Dict[str, Any]]:
        """The latest major check, ready to show (None when the student never asked)."""
        return present.major_check_view(self.major_checks[-1]) if self.major_checks else None

    @cached_property
    def earlier_major_checks(self) -> List[Dict[str, Any]]:
        return [{"at": m.at, "asked": present.asked(m.query, m.result)} for m in reversed(self.major_checks[:-1])]

    @cached_property
    def plan(self) -> Optional[Dict[str, Any]]:
        return present.plan_view(self.study_plan)

    @property
    def consent(self) -> Optional[Consent]:
        return self.consents[-1] if self.consents else None

    @property
    def interview_majors(self) -> List[str]:
        seen: List[str] = []
        for i in self.interviews:
            if i.major and i.major not in seen:
                seen.append(i.major)
        return seen

    @property
    def interview_progress(self) -> Tuple[int, int]:
        return len(self.interviews), INTERVIEW_TARGET

    @property
    def user_message_count(self) -> int:
        return sum(1 for m in self.messages if m.role == "user")

    @property
    def fallback_count(self) -> int:
        return sum(1 for m in self.messages if m.role == "user" and m.intent == search.FALLBACK_INTENT)

    def media_for_url(self, url: Any) -> Optional[Media]:
        """The stored image a bot message's image URL points to (by its token)."""
        if not isinstance(url, str):
            return None
        for m in self.media:
            if m.token and m.token in url:
                return m
        return None

    def shortlist_groups(self) -> List[Tuple[str, int, List[str]]]:
        groups: Dict[Tuple[str, int], List[str]] = {}
        for s in self.shortlist:
            groups.setdefault((s.exam, s.year), []).append(s.post_code)
        return [(e, y, codes) for (e, y), codes in groups.items()]


def _profile_dict(profile: Optional[Profile]) -> Dict[str, Any]:
    if profile is None:
        return {}
    return {k: getattr(profile, k) for k in PROFILE_ORDER if getattr(profile, k) is not None}


def find_case(session: Session, case_id: int, agency: str) -> Optional[Student]:
    return session.execute(
        select(Student).where(Student.id == case_id, Student.agency == agency)
    ).scalar_one_or_none()


def load_case(session: Session, case_id: int, agency: str, with_competition: bool = True) -> Optional[CaseView]:
    student = find_case(session, case_id, agency)
    if student is None:
        return None
    sid = student.id

    def rows(model, *options, order=None):
        stmt = select(model).where(model.student_id == sid)
        if options:
            stmt = stmt.options(*options)
        stmt = stmt.order_by(order if order is not None else model.id)
        return list(session.execute(stmt).scalars())

    profile = session.get(Profile, sid)
    tests = rows(InterestTest)
    test = next((t for t in reversed(tests) if t.completed), None) or (tests[-1] if tests else None)
    checks = rows(EligibilityCheck)
    view = CaseView(
        student=student,
        profile=_profile_dict(profile),
        consents=rows(Consent),
        self_analysis=session.get(SelfAnalysis, sid),
        interest_test=test,
        eligibility=checks[-1] if checks else None,
        interviews=rows(Interview),
        shortlist=[s for s in rows(ShortlistEntry) if s.removed_at is None],
        feedback=rows(Feedback),
        flags=rows(Flag),
        notes=rows(Note),
        reports=rows(Report, defer(Report.pdf), defer(Report.markdown)),
        media=rows(Media, defer(Media.data)),
        messages=rows(Message),
        users=dict(session.execute(select(User.id, User.display_name).where(User.agency == agency)).all()),
        profile_changes=rows(ProfileChange),
        major_checks=rows(MajorCheck),
        study_plan=session.get(StudyPlan, sid),
    )
    kinds = {f.kind for f in view.flags}
    if "fallback_heavy" not in kinds and search.is_fallback_heavy(view.fallback_count, view.user_message_count):
        view.computed_flags.append("fallback_heavy")
    if "low_satisfaction" not in kinds and any(f.score is not None and f.score <= 2 for f in view.feedback):
        view.computed_flags.append("low_satisfaction")
    if with_competition and view.shortlist:
        view.competition = competition(view)
    return view


def competition(view: CaseView) -> Dict[str, Dict[str, Any]]:
    """Applicants and ratio of each shortlisted post, from the position tables."""
    out: Dict[str, Dict[str, Any]] = {}
    try:
        from bot.positions import api
    except ImportError:  # pragma: no cover - the positions engine ships with the product
        return out
    for entry in view.shortlist:
        key = f"{entry.exam}|{entry.year}|{entry.post_code}"
        try:
            out[key] = api.post_competition(entry.post_code, entry.exam, entry.year)
        except (api.UnknownExam, api.PostNotFound):
            out[key] = {"error": "岗位库中查不到这个职位（可能尚未导入该考试的职位表）"}
        except api.PositionsError as exc:
            out[key] = {"error": str(exc)}
        except Exception as exc:  # the case page must not fail because of the position data
            logger.warning("competition lookup failed: %s", exc.__class__.__name__)
            out[key] = {"error": "暂时无法读取该职位的竞争数据"}
    return out
