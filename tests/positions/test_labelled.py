"""The labelled (profile, post) set: hand-checked verdicts from both provinces.

Reports the accuracy and fails below 100%: every verdict must match, and every listed
reason word must appear in the reasons the engine gives.
"""

from pathlib import Path

import yaml

from bot.positions import api

DATA = Path(__file__).with_name("labelled_pairs.yml")


def load():
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return raw["profiles"], raw["cases"]


def test_labelled_set_is_large_and_covers_both_provinces():
    profiles, cases = load()
    assert len(cases) >= 150
    exams = {c["exam"] for c in cases}
    assert exams == {"河南省考", "湖北省考"}
    verdicts = {c["expect"] for c in cases}
    assert verdicts == {"eligible", "not_eligible", "needs_confirmation"}
    assert len({c["id"] for c in cases}) == len(cases)
    assert all(c["profile"] in profiles for c in cases)
    assert all(c.get("why") for c in cases)
    for c in cases:
        if c["expect"] != "eligible":
            assert c.get("reasons"), f"{c['id']}: a negative label must say which condition"


def test_labelled_accuracy(shipped_db, record_property, capsys):
    profiles, cases = load()
    wrong = []
    for c in cases:
        got = api.check_post(profiles[c["profile"]], c["code"], c["exam"], 2026, url=shipped_db)
        text = " ".join(got["reasons"])
        missing = [w for w in c.get("reasons", []) if w not in text]
        if got["verdict"] != c["expect"] or missing:
            wrong.append(f"{c['id']} {c['exam']} {c['code']} profile {c['profile']}: expected {c['expect']}"
                         f"{' with ' + '/'.join(missing) if missing else ''}, got {got['verdict']}: {got['reasons']}")
    accuracy = (len(cases) - len(wrong)) / len(cases)
    record_property("labelled_accuracy", accuracy)
    with capsys.disabled():
        print(f"\nlabelled set: {len(cases) - len(wrong)}/{len(cases)} correct ({accuracy:.1%})")
    assert not wrong, f"accuracy {accuracy:.1%}; wrong:\n" + "\n".join(wrong)
