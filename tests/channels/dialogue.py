"""What a student answers in the intake, whichever order the assistant asks in.

The questions' wording is in actions/messages.yml; the student is a 2025 law graduate,
23, Communist Youth League member, no grass-roots years, aiming at the Hubei exam in Wuhan.
"""

from __future__ import annotations

from typing import Optional, Sequence

# Buttons the student presses when they are offered (gender is asked by the eligibility check).
PRESS = ("本科", "是应届", "共青团员", "没有", "湖北省考", "女")
# Typed answers, by a phrase of the question.
TYPE = (
    ("什么专业", "法学"),
    ("哪一年毕业", "2025"),
    ("多大", "23"),
    ("哪个地区", "武汉"),
)
DONE = "基本情况记好了"
EXPECTED_PROFILE = {
    "education": "本科",
    "major": "法学",
    "grad_year": 2025,
    "fresh_graduate": True,
    "age": 23,
    "political_status": "共青团员",
    "experience_years": 0,
    "target_exam": "湖北省考",
}


def button_to_press(titles: Sequence[str]) -> Optional[str]:
    for title in PRESS:
        if title in titles:
            return title
    return None


def typed_answer(question: str) -> Optional[str]:
    """The answer to the question asked last in ``question`` (a reply may hold several)."""
    found = [(question.rfind(phrase), answer) for phrase, answer in TYPE if phrase in question]
    return max(found)[1] if found else None
