"""What students see when a service fails in the middle of their conversations, on the
production stack (tests/production/conftest.py): PostgreSQL restarted, the action servers
killed, RabbitMQ stopped. (The Redis lock store: test_production_stack.py. Recovery times at
scale: ``python -m bench load --only faults``.)

Each test runs a few concurrent conversations through the fault, the service restarted the
way this machine starts it, and checks that

* students read a reply or the short request to send again, never silence, an error page or
  a stack trace; the fault was felt where it should be (the request to send again was sent);
* every turn is in the tracker and in the case transcript exactly once and in order, and the
  cases hold what the conversations gave: nothing recorded was lost, no conversation went back
  to the consent question, and the conversations went on when the service was back;
* for the broker: every event reached RabbitMQ after the outage, or the replicas counted it;
* the replicas' logs hold none of what the students wrote.
"""

from __future__ import annotations

import json
from typing import Dict, List

import pytest
import yaml

from bench.load_bench import (
    Fault,
    broker_counts,
    fault,
    run_load,
    service_ready,
    verify,
    wait_for_outboxes,
    what_students_saw_is_acceptable,
)
from tests.conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

CONVERSATIONS = 8
TURNS = 8


def _consent_question() -> str:
    """The last line of the consent request (what a conversation sent back to consent reads)."""
    messages = yaml.safe_load((ROOT / "actions" / "messages.yml").read_text(encoding="utf-8"))["messages"]
    return messages["consent_request"]["text"].strip().splitlines()[-1]


class Logs:
    """What the Rasa replicas log from now on."""

    def __init__(self, prod) -> None:
        self.files = [p.log for p in prod.replicas]
        self.start = {f: f.stat().st_size if f.exists() else 0 for f in self.files}

    def text(self) -> str:
        out = []
        for f in self.files:
            with open(f, "rb") as fh:
                fh.seek(self.start[f])
                out.append(fh.read().decode("utf-8", errors="replace"))
        return "\n".join(out)


def _through(prod, the_fault: Fault, seed: int, conversations: int = CONVERSATIONS):
    result = run_load(prod, conversations, TURNS, seed=seed, fault=the_fault, label=the_fault.name)
    prod.recover()
    stats = result.stats()
    print(json.dumps(stats, ensure_ascii=False))
    return result, stats


def _student_words(result) -> List[str]:
    """What the students wrote in words (their majors, questions; not button payloads, nor
    numbers such as a graduation year, which a log's date may contain)."""
    words = set()
    for s in result.students:
        for t in s.turns:
            if not t.text.startswith("/") and sum("\u4e00" <= c <= "\u9fff" for c in t.text) >= 4:
                words.add(t.text)
        words.add(s.plan.major)
    return sorted(words)


def _check_students(prod, result, stats) -> None:
    assert stats["protocol_failure_count"] == 0, stats["protocol_failures"]
    assert verify(prod, result) == []
    assert what_students_saw_is_acceptable(result) == []
    assert not [s for s in stats["attempts_by_status"] if s.startswith("5")], stats["attempts_by_status"]
    # The conversations went on once the service was back.
    back = result.fault.restored_at
    assert any(a.kind == "reply" for a in result.attempts if a.started >= back), "the run ended before the restart"
    consent = _consent_question()
    for s in result.students:
        first = s.turns[0].attempts[-1].reply
        assert consent in first                         # the marker is real...
        for t in s.turns[1:]:
            for a in t.attempts:
                assert consent not in a.reply, (s.sender, t.text)   # ...and never came back


def test_postgres_restart_mid_conversation(prod):
    """Rasa's fail-safe tracker store used to answer a failed read with an empty conversation
    (students were back at the consent question) and keep a failed write in memory only."""
    logs = Logs(prod)
    result, stats = _through(prod, fault(prod, "postgres", hold=2, at=0.3), seed=31, conversations=12)
    _check_students(prod, result, stats)
    seen = stats["fault"]["what_students_saw"]
    assert seen.get("apology", 0) > 0 and seen.get("empty", 0) == 0, seen
    assert "再发一次" in stats["fault"]["samples"]["apology"]
    text = logs.text()
    assert "InMemoryTrackerStore" not in text              # no fall-back to memory
    assert "could not read a conversation" in text or "could not save a conversation" in text \
        or "Custom action" in text                         # the outage reached the turns
    for words in _student_words(result):
        assert words not in text, words
    assert service_ready("postgres")


def test_action_servers_killed_mid_conversation(prod):
    """Both action servers killed (one alone is absorbed by HAProxy, see the benchmark), then
    started again: a turn whose custom action fails used to stay silent and be saved, and the
    message sent again was recorded twice."""
    victims = list(prod.actions)
    logs = Logs(prod)
    outage = Fault("action_servers", lambda: [p.kill() for p in victims],
                   lambda: [prod.restart(p) for p in victims], hold=3, at_fraction=0.35)
    result, stats = _through(prod, outage, seed=37)
    _check_students(prod, result, stats)
    seen = stats["fault"]["what_students_saw"]
    assert seen.get("apology", 0) > 0 and seen.get("empty", 0) == 0, seen
    text = logs.text()
    assert "the turn fails" in text and "Bot will continue" not in text
    assert all(p.alive() for p in prod.actions)


def test_broker_outage_loses_no_event(prod):
    """RabbitMQ stopped while students talk, then started: the replicas keep the events that
    could not be published and publish them, in order, when it is back; what they could not
    keep they count. (Rasa lost a quarter of the user messages of such an outage, uncounted.)"""
    from bot.rasa_patches import OUTBOX_BATCH, OUTBOX_RESEND_MAX

    logs = Logs(prod)
    prod.queued_events()                                    # an empty queue to start from
    before = broker_counts(prod)
    assert before is not None, "the stack's replicas count in Redis (COACH_REDIS_HOST)"
    # More conversations than the other tests: the run outlasts RabbitMQ's stop and start.
    result, stats = _through(prod, fault(prod, "rabbitmq", hold=3, at=0.2), seed=41, conversations=16)
    _check_students(prod, result, stats)
    after = wait_for_outboxes(prod)
    assert after["outages"] > before["outages"]            # the replicas saw the outage...
    assert after["dropped"] == before["dropped"] and after["pending"] == 0   # ...and lost nothing

    user_events: Dict[str, list] = {}
    for event in prod.queued_events():
        if event.get("event") == "user":
            user_events.setdefault(event["sender_id"], []).append(event)
    duplicates = 0
    for s in result.students:
        got = user_events.get(s.sender, [])
        once = {e["timestamp"]: e for e in got}           # delivery is at least once
        duplicates += len(got) - len(once)
        # Each replica publishes its own events in order; a conversation's turns alternate
        # between replicas, so the stream is in order by the events' timestamps.
        assert [once[t]["text"] for t in sorted(once)] == prod.tracker_user_texts(s.sender), s.sender
    # At most a batch in flight per replica, and what was confirmed just before the outage.
    assert duplicates <= len(prod.replicas) * (OUTBOX_BATCH + OUTBOX_RESEND_MAX)

    text = logs.text()
    assert "Event broker unreachable" in text and "reachable again" in text
    assert "pika.events.publish.failed" not in text
    for words in _student_words(result):
        assert words not in text, words
    assert service_ready("rabbitmq")
