"""The tracker store: transcript, redaction without consent, erasure (bot/tracker_store.py)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import text

from bot import cases
from bot.config import ROOT
from bot.db import get_engine
from bot.privacy import ERASE_SLOT, REDACTED


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def _store(domain):
    from bot.tracker_store import CoachTrackerStore

    return CoachTrackerStore(domain=domain)


def _user(text, intent="inform", ts=None, entities=None):
    return UserUttered(text, {"name": intent, "confidence": 0.93},
                       entities=entities or [], timestamp=ts or time.time())


def _rows(sender):
    with get_engine().connect() as conn:
        return [json.loads(r[0]) for r in conn.execute(
            text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender})]


def _save(store, tracker):
    asyncio.run(store.save(tracker))


def test_without_consent_user_text_and_personal_slots_are_redacted(any_db, domain):
    store = _store(domain)
    tracker = DialogueStateTracker.from_events("anon", [
        ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
        _user("我今年23岁，本科", entities=[{"entity": "age", "value": "23", "start": 3, "end": 5}]),
        SlotSet("age", 23), SlotSet("education", "本科"),
        ActionExecuted("action_confirm_profile_update"), BotUttered("你还没同意记录个人信息"),
    ], domain.slots)
    _save(store, tracker)
    stored = json.dumps(_rows("anon"), ensure_ascii=False)
    assert "23岁" not in stored and "本科" not in stored and REDACTED in stored
    assert "inform" in stored              # the intent is kept: the dialogue still works
    assert cases.case_json("anon") is None  # and no case exists


def test_with_consent_transcript_is_written_in_order_once(any_db, domain):
    cases.record_consent("c1", True, "v1")
    store = _store(domain)
    t0 = time.time()
    events = [
        ActionExecuted("action_session_start", timestamp=t0), SessionStarted(timestamp=t0),
        ActionExecuted("action_listen", timestamp=t0),
        _user("你好", intent="greet", ts=t0 + 1),
        ActionExecuted("action_greet", timestamp=t0 + 1.1),
        BotUttered("欢迎", {"buttons": [{"title": "同意", "payload": "/affirm"}]}, timestamp=t0 + 1.2),
        SlotSet("consent", "given", timestamp=t0 + 1.3),
        _user("本科，23岁", ts=t0 + 2),
        SlotSet("education", "本科", timestamp=t0 + 2.1), SlotSet("requested_slot", "major", timestamp=t0 + 2.1),
        BotUttered("学的什么专业？", timestamp=t0 + 2.2),
    ]
    tracker = DialogueStateTracker.from_events("c1", events, domain.slots)
    _save(store, tracker)
    _save(store, tracker)  # saving again adds nothing
    transcript = cases.case_json("c1")["transcript"]
    assert [(m["role"], m["text"]) for m in transcript] == [
        ("user", "你好"), ("bot", "欢迎"), ("user", "本科，23岁"), ("bot", "学的什么专业？")]
    from bot.db import session_scope
    from bot.db.models import Message
    from sqlalchemy import select

    with session_scope() as s:
        rows = s.execute(select(Message).order_by(Message.id)).scalars().all()
        assert rows[2].intent == "inform" and rows[2].confidence == pytest.approx(0.93)
        assert rows[2].slots == {"education": "本科"}          # requested_slot is internal
        assert rows[1].extra["buttons"][0]["payload"] == "/affirm"
        assert len({r.session_id for r in rows}) == 1


def test_erasure_marker_deletes_stored_events(any_db, domain):
    cases.record_consent("e1", True, "v1")
    store = _store(domain)
    first = [ActionExecuted("action_listen"), _user("我是法学专业的"), SlotSet("consent", "given"),
             BotUttered("记下了")]
    tracker = DialogueStateTracker.from_events("e1", first, domain.slots)
    _save(store, tracker)
    assert "法学" in json.dumps(_rows("e1"), ensure_ascii=False)
    cases.delete_student("e1")
    tracker.update(_user("/affirm", intent="affirm"))
    tracker.update(ActionExecuted("action_delete_my_data"))
    tracker.update(BotUttered("已删除"))
    tracker.update(SlotSet(ERASE_SLOT, time.time()))
    tracker.update(Restarted())
    tracker.update(ActionExecuted("action_listen"))
    _save(store, tracker)
    rows = _rows("e1")
    stored = json.dumps(rows, ensure_ascii=False)
    assert "法学" not in stored and rows[0]["event"] == "slot" and rows[0]["name"] == ERASE_SLOT
    assert cases.case_json("e1") is None
    # The stored conversation loads and goes on.
    loaded = asyncio.run(store.retrieve("e1"))
    assert loaded is not None and len(loaded.events) == len(rows)


def test_new_session_is_a_new_row_of_the_same_case(any_db, domain):
    cases.record_consent("s1", True, "v1")
    store = _store(domain)
    t0 = time.time() - 10000
    tracker = DialogueStateTracker.from_events("s1", [
        ActionExecuted("action_session_start", timestamp=t0), SessionStarted(timestamp=t0),
        SlotSet("consent", "given", timestamp=t0), _user("一", ts=t0 + 1), BotUttered("a", timestamp=t0 + 2),
    ], domain.slots)
    _save(store, tracker)
    t1 = time.time()
    for event in (ActionExecuted("action_session_start", timestamp=t1), SessionStarted(timestamp=t1),
                  SlotSet("consent", "given", timestamp=t1), _user("二", ts=t1 + 1), BotUttered("b", timestamp=t1 + 2)):
        tracker.update(event)
    _save(store, tracker)
    case = cases.case_json("s1")
    assert case["sessions"] == 2
    assert [m["text"] for m in case["transcript"]] == ["一", "a", "二", "b"]


class RecordingBroker:
    def __init__(self) -> None:
        self.published = []

    def publish(self, event, headers=None):
        self.published.append(event)


def test_save_publishes_what_it_stored_once_in_order(any_db, domain):
    cases.record_consent("b1", True, "v1")
    store = _store(domain)
    store.event_broker = RecordingBroker()
    t0 = time.time()
    tracker = DialogueStateTracker.from_events("b1", [
        ActionExecuted("action_listen", timestamp=t0), _user("你好", intent="greet", ts=t0 + 1),
        SlotSet("consent", "given", timestamp=t0 + 2), BotUttered("欢迎", timestamp=t0 + 3),
    ], domain.slots)
    _save(store, tracker)
    _save(store, tracker)                  # nothing new: nothing published
    tracker.update(_user("本科", ts=t0 + 4))
    _save(store, tracker)
    published = store.event_broker.published
    assert [e["event"] for e in published] == ["action", "user", "slot", "bot", "user"]
    assert {e["sender_id"] for e in published} == {"b1"}
    assert [e.get("text") for e in published if e["event"] == "user"] == ["你好", "本科"]
    assert [json.loads(json.dumps(e)) for e in published] == [
        {"sender_id": "b1", **row} for row in _rows("b1")]      # exactly the stored rows


def test_without_consent_the_stream_is_redacted_like_the_store(any_db, domain):
    store = _store(domain)
    store.event_broker = RecordingBroker()
    tracker = DialogueStateTracker.from_events("b2", [
        ActionExecuted("action_listen"), _user("我叫王芳，今年24"), SlotSet("age", 24),
    ], domain.slots)
    _save(store, tracker)
    published = store.event_broker.published
    stream = json.dumps(published, ensure_ascii=False)
    assert "王芳" not in stream and REDACTED in stream
    assert [e.get("value") for e in published if e["event"] == "slot"] != [24]
    assert [json.loads(json.dumps(e)) for e in published] == [
        {"sender_id": "b2", **row} for row in _rows("b2")]


def test_a_save_that_fails_publishes_nothing(any_db, domain, monkeypatch):
    """The turn fails and the student sends the message again: had the events been published
    before the commit, the stream would hold them twice."""
    cases.record_consent("b3", True, "v1")
    store = _store(domain)
    store.event_broker = RecordingBroker()
    tracker = DialogueStateTracker.from_events("b3", [
        ActionExecuted("action_listen"), _user("你好"), SlotSet("consent", "given"), BotUttered("欢迎"),
    ], domain.slots)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(store, "_write_transcript", broken)
    with pytest.raises(RuntimeError):
        _save(store, tracker)
    assert store.event_broker.published == [] and _rows("b3") == []
    monkeypatch.undo()
    _save(store, tracker)
    assert len(store.event_broker.published) == 4 and len(_rows("b3")) == 4


def test_a_broker_that_raises_does_not_fail_a_saved_turn(any_db, domain, caplog):
    store = _store(domain)

    class Broken:
        def publish(self, event, headers=None):
            raise TypeError("cannot serialise")

    store.event_broker = Broken()
    tracker = DialogueStateTracker.from_events("b4", [ActionExecuted("action_listen"), _user("你好")],
                                               domain.slots)
    _save(store, tracker)
    assert len(_rows("b4")) == 2 and "TypeError" in caplog.text
