"""bot/rasa_patches.py: each change to Rasa, one section of tests each.

The turn-level tests run Rasa's own ``MessageProcessor.handle_message`` (no trained model: the
message comes parsed and a script stands in for the policies), so they show what is saved when
the tracker store or a custom action fails, and what the message sent again records.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, List, Optional

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecutionRejected, UserUttered
from rasa.shared.data import TrainingType
from rasa.utils.endpoints import ClientResponseError
from sqlalchemy.exc import OperationalError

import bot.tracker_store  # noqa: F401  - importing it applies the patches, as in `rasa run`
from bot import rasa_patches
from bot.rasa_patches import CustomActionFailed, EventOutbox

SECRET = "我叫李雷，身份证号码是110101200001011234"     # what must never reach a log


# -- 2. the action-response check ------------------------------------------------------------------


def test_importing_the_tracker_store_applies_the_patches():
    from rasa.core.brokers.pika import PikaEventBroker
    from rasa.core.lock_store import LockStore
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import Event

    for fn in (RemoteAction._validate_action_result, RemoteAction.run, MessageProcessor._run_action,
               MessageProcessor.run_action_extract_slots, MessageProcessor.parse_message,
               FailSafeTrackerStore.save, FailSafeTrackerStore.retrieve,
               FailSafeTrackerStore.retrieve_full_tracker, PikaEventBroker.publish, PikaEventBroker.close,
               LockStore._acquire_lock, RulePolicy._rule_key_to_state, Event.resolve_by_type,
               Domain.states_for_tracker_history):
        assert fn.__module__ == rasa_patches.__name__, fn


def _action() -> RemoteAction:
    return RemoteAction("action_x", None)


def test_a_valid_response_passes():
    response = {"events": [{"event": "slot", "name": "age", "value": 23}],
                "responses": [{"text": "好的", "buttons": [{"title": "同意", "payload": "/affirm"}]}]}
    assert _action()._validate_action_result(response) is True


INVALID = [
    {"events": "not a list"},
    {"events": [{"name": "age"}]},            # an event without its type
    {"events": [{"event": 5}]},
]


@pytest.mark.parametrize("response", INVALID)
def test_an_invalid_response_is_rejected_with_rasa_s_message(response):
    with pytest.raises(ValidationError) as info:
        _action()._validate_action_result(response)
    assert "Failed to validate Action server response" in info.value.message


@pytest.mark.parametrize("response", INVALID + [{"events": [], "responses": []}])
def test_same_verdict_and_error_as_jsonschema_validate(response):
    from jsonschema import validate

    def outcome(check):
        try:
            check()
            return None
        except ValidationError as exc:
            return (list(exc.path), exc.validator)

    spec = RemoteAction.action_response_format_spec()
    assert outcome(lambda: _action()._validate_action_result(response)) == outcome(lambda: validate(response, spec))


def test_apply_is_idempotent():
    import structlog
    from rasa.core.brokers.pika import PikaEventBroker
    from rasa.core.processor import MessageProcessor

    def patched():
        return (RemoteAction._validate_action_result, RemoteAction.run, MessageProcessor._run_action,
                MessageProcessor.parse_message, FailSafeTrackerStore.save, PikaEventBroker.publish)

    before = patched()
    rasa_patches.apply()
    assert patched() == before
    assert structlog.get_config()["processors"].count(rasa_patches.redact_log_event) == 1


# -- a turn through Rasa's MessageProcessor ---------------------------------------------------------

DOMAIN = Domain.from_dict({
    "version": "3.1",
    "intents": ["greet", "inform"],
    "responses": {"utter_ok": [{"text": "好的"}]},
    "actions": ["action_lookup", "validate_some_form"],
})


class FakeActionServer:
    """Stands in for the action endpoint: ``mode`` decides the next answers."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.calls: List[str] = []
        self.kwargs: Dict[str, Any] = {}

    async def request(self, json: Dict[str, Any], method: str = "post", **_: Any) -> Dict[str, Any]:
        name = json["next_action"]
        self.calls.append(name)
        if self.mode == "down":
            raise ClientResponseError(503, "Service Unavailable", "<html>no server is available</html>")
        if self.mode == "reject":
            raise ClientResponseError(400, "Bad Request", '{"action_name": "%s", "error": "no"}' % name)
        if self.mode == "invalid":
            return {"events": "not a list"}
        return {"events": [{"event": "slot", "name": "requested_slot", "value": None}],
                "responses": [{"text": f"{name} 的结果"}]}


class ScriptedProcessor:
    """Builds a MessageProcessor whose policies are a script of action names per turn."""

    def __init__(self, store: TrackerStore, server: FakeActionServer) -> None:
        from rasa.core.processor import MessageProcessor

        p = object.__new__(MessageProcessor)
        p.nlg = TemplatedNaturalLanguageGenerator(DOMAIN.responses)
        p.tracker_store = store
        p.lock_store = InMemoryLockStore()
        p.max_number_of_predictions = 10
        p.on_circuit_break = None
        p.action_endpoint = server
        p.model_metadata = SimpleNamespace(training_type=TrainingType.BOTH, model_id="m", assistant_id="a",
                                           domain=DOMAIN)
        p.domain = DOMAIN
        p.http_interpreter = None
        self.processor = p
        self.script: List[str] = []

        def predict(tracker):
            name = self.script.pop(0) if self.script else "action_listen"
            return p._get_action(name), PolicyPrediction.for_action_name(DOMAIN, name)

        p.predict_next_with_tracker_if_should = predict

    def say(self, sender: str, text: str, actions: List[str]) -> List[Dict[str, Any]]:
        self.script = list(actions)
        output = CollectingOutputChannel()
        message = UserMessage(text, output, sender, parse_data={
            "text": text, "intent": {"name": "inform", "confidence": 0.9}, "entities": []})
        asyncio.run(self.processor.handle_message(message))
        return output.messages


def _user_texts(store: TrackerStore, sender: str) -> List[str]:
    tracker = asyncio.run(store.retrieve(sender))
    return [e.text for e in tracker.events if isinstance(e, UserUttered)] if tracker else []


# -- 3. a tracker store error fails the turn ---------------------------------------------------------


class FlakyStore(InMemoryTrackerStore):
    """An in-memory store that fails like a database being restarted, when told to."""

    def __init__(self) -> None:
        super().__init__(DOMAIN)
        self.down = False

    def _fail(self) -> None:
        if self.down:
            # SQLAlchemy puts the statement's parameters into the error's text.
            raise OperationalError("INSERT INTO events (data) VALUES (%(data)s)", {"data": SECRET},
                                   Exception("server closed the connection unexpectedly"))

    async def retrieve(self, sender_id):
        self._fail()
        return await super().retrieve(sender_id)

    async def retrieve_full_tracker(self, sender_id):
        self._fail()
        return await super().retrieve_full_tracker(sender_id)

    async def save(self, tracker):
        self._fail()
        await super().save(tracker)


def test_a_database_error_fails_the_turn_instead_of_starting_over(caplog):
    inner = FlakyStore()
    store = FailSafeTrackerStore(inner)
    bot_ = ScriptedProcessor(store, FakeActionServer())
    bot_.say("s1", "你好", ["utter_ok"])
    bot_.say("s1", "我学法学", ["utter_ok"])
    inner.down = True
    with caplog.at_level(logging.WARNING):
        # Rasa used to read "no tracker" here and start the conversation again (consent).
        with pytest.raises(OperationalError):
            bot_.say("s1", "我23岁", ["utter_ok"])
        with pytest.raises(OperationalError):
            asyncio.run(store.retrieve_full_tracker("s1"))
    assert store._fallback_tracker_store is None          # nothing went to a memory fallback
    assert SECRET not in caplog.text and "OperationalError" in caplog.text
    inner.down = False
    bot_.say("s1", "我23岁", ["utter_ok"])                # the student sends it again
    assert _user_texts(store, "s1") == ["你好", "我学法学", "我23岁"]


def test_a_failed_save_keeps_nothing_of_the_turn_and_the_resend_is_recorded_once(caplog):
    inner = FlakyStore()
    store = FailSafeTrackerStore(inner)
    bot_ = ScriptedProcessor(store, FakeActionServer())
    bot_.say("s2", "你好", ["utter_ok"])

    original_save = inner.save

    async def save_fails(tracker):
        inner.down = True
        try:
            await original_save(tracker)
        finally:
            inner.down = False

    inner.save = save_fails
    with caplog.at_level(logging.WARNING), pytest.raises(OperationalError):
        bot_.say("s2", "本科", ["utter_ok"])
    assert store._fallback_tracker_store is None
    assert _user_texts(store, "s2") == ["你好"]
    inner.save = original_save
    bot_.say("s2", "本科", ["utter_ok"])
    assert _user_texts(store, "s2") == ["你好", "本科"]
    assert SECRET not in caplog.text


def test_keys_still_fall_back_quietly():
    store = FailSafeTrackerStore(FlakyStore())
    store._tracker_store.down = True

    async def keys_fail():
        raise OperationalError("SELECT", {}, Exception("down"))

    store._tracker_store.keys = keys_fail
    assert asyncio.run(store.keys()) == []


# -- 4. a failed custom action fails the turn -----------------------------------------------------------


@pytest.mark.parametrize("mode", ["down", "invalid"])
def test_a_failed_custom_action_fails_the_turn_and_nothing_is_saved(mode, caplog):
    server = FakeActionServer()
    store = InMemoryTrackerStore(DOMAIN)
    bot_ = ScriptedProcessor(store, server)
    assert bot_.say("a1", "你好", ["utter_ok"]) == [{"recipient_id": "a1", "text": "好的"}]
    server.mode = mode
    with caplog.at_level(logging.WARNING), pytest.raises(CustomActionFailed) as info:
        bot_.say("a1", "帮我查岗位", ["utter_ok", "action_lookup", "utter_ok"])
    assert info.value.action_name == "action_lookup"
    # The turn stopped at the failed action (the utterance after it did not run) ...
    assert server.calls[-1] == "action_lookup"
    # ... and left no trace: the message is not stored, so sending it again records it once.
    assert _user_texts(store, "a1") == ["你好"]
    assert "Bot will continue" not in caplog.text            # Rasa's misleading line is replaced
    assert "action_lookup" in caplog.text and "<html>" not in caplog.text
    server.mode = "ok"
    reply = bot_.say("a1", "帮我查岗位", ["utter_ok", "action_lookup", "utter_ok"])
    assert [m["text"] for m in reply] == ["好的", "action_lookup 的结果", "好的"]
    assert _user_texts(store, "a1") == ["你好", "帮我查岗位"]


def test_an_action_that_rejects_itself_is_not_a_failure():
    server = FakeActionServer()
    store = InMemoryTrackerStore(DOMAIN)
    bot_ = ScriptedProcessor(store, server)
    server.mode = "reject"
    bot_.say("r1", "你好", ["action_lookup", "utter_ok"])
    tracker = asyncio.run(store.retrieve("r1"))
    assert any(isinstance(e, ActionExecutionRejected) for e in tracker.events)
    assert _user_texts(store, "r1") == ["你好"]


def test_a_failure_swallowed_inside_a_step_still_fails_it():
    """Rasa catches the failure of a custom slot mapping (action_extract_slots) itself; it is
    still noted and the step fails."""
    server = FakeActionServer()
    server.mode = "down"
    action = RemoteAction("validate_some_form", server)

    async def step():
        try:
            await action.run(CollectingOutputChannel(), None, _empty_tracker(), DOMAIN)
        except Exception:
            pass        # swallowed, as ActionExtractSlots._run_custom_action does
        return "went on"

    with pytest.raises(CustomActionFailed) as info:
        asyncio.run(rasa_patches._failing_on_action_errors(step()))
    assert info.value.action_name == "validate_some_form" and "503" in info.value.cause


def test_outside_a_turn_a_failed_action_raises_as_before():
    """The HTTP API's /execute path: RemoteAction.run raises Rasa's error, nothing is noted."""
    from rasa.shared.exceptions import RasaException

    server = FakeActionServer()
    server.mode = "down"
    with pytest.raises(RasaException):
        asyncio.run(RemoteAction("action_lookup", server).run(CollectingOutputChannel(), None,
                                                               _empty_tracker(), DOMAIN))
    assert rasa_patches._action_failures.get() is None


def _empty_tracker():
    from rasa.shared.core.trackers import DialogueStateTracker

    return DialogueStateTracker.from_events("x", [], DOMAIN.slots)


# -- 5. the event broker's outbox -------------------------------------------------------------------------


class FakeBroker:
    """A broker that confirms messages while ``up``."""

    def __init__(self) -> None:
        self.up = True
        self.hang = False
        self.received: List[Any] = []

    async def send(self, message: Any) -> None:
        await asyncio.sleep(0)
        if self.hang:
            await asyncio.sleep(3600)
        if not self.up:
            raise ConnectionResetError("broker down")
        self.received.append(message)


class FakeCounts:
    def __init__(self) -> None:
        self.totals: Dict[str, int] = {}
        self.pending = 0            # this process's waiting events, as last written
        self.fail = False

    async def add(self, deltas: Dict[str, int], pending: Optional[int] = None) -> None:
        if self.fail:
            raise ConnectionError("redis down")
        for k, v in deltas.items():
            self.totals[k] = self.totals.get(k, 0) + v
        if pending is not None:
            self.pending = pending

    async def close(self) -> None:
        pass


async def _until(predicate, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_outbox_publishes_in_order_when_the_broker_is_up():
    async def scenario():
        broker = FakeBroker()
        box = EventOutbox(broker.send, capacity=100, counts=FakeCounts())
        for i in range(50):
            box.put(i)
        await _until(lambda: not box.pending)
        return broker.received, box

    received, box = asyncio.run(scenario())
    assert received == list(range(50))
    assert (box.published, box.outages, box.dropped, box.republished) == (50, 0, 0, 0)
    assert box.counts.totals == {} and box.counts.pending == 0     # nothing to count normally


def test_outbox_keeps_events_while_the_broker_is_down_and_publishes_them_in_order(caplog):
    async def scenario():
        broker = FakeBroker()
        counts = FakeCounts()
        box = EventOutbox(broker.send, capacity=100, counts=counts, retry_seconds=0.05, resend_seconds=0)
        box.put({"n": 0, "text": SECRET})
        await _until(lambda: not box.pending)
        broker.up = False
        for i in range(1, 21):
            box.put({"n": i, "text": SECRET})
            await asyncio.sleep(0.005)
        await _until(lambda: box.down_since is not None)
        await asyncio.sleep(0.2)
        during = dict(counts.totals, pending=counts.pending)
        broker.up = True
        for i in range(21, 26):
            box.put({"n": i, "text": SECRET})
        await _until(lambda: not box.pending and box.down_since is None)
        await asyncio.sleep(0.05)
        return broker.received, box, during, dict(counts.totals, pending=counts.pending)

    with caplog.at_level(logging.INFO):
        received, box, during, totals = asyncio.run(scenario())
    assert [m["n"] for m in received] == list(range(26))        # all of them, in order, once
    assert box.outages == 1 and box.dropped == 0 and box.republished == 25
    assert during["outages"] == 1 and during["pending"] > 0     # the replicas' gap is visible...
    assert totals == {"outages": 1, "pending": 0, "republished": 25}   # ...and closes
    assert "Event broker unreachable (ConnectionResetError)" in caplog.text
    assert "reachable again" in caplog.text and SECRET not in caplog.text


def test_outbox_publishes_again_what_was_confirmed_just_before_an_outage():
    """RabbitMQ confirms messages routed to a queue that stops during its shutdown, and loses
    them: the events confirmed in the last seconds before an outage go out again after it."""
    async def scenario():
        clock = [0.0]
        broker = FakeBroker()
        box = EventOutbox(broker.send, capacity=100, retry_seconds=0.05, clock=lambda: clock[0],
                          resend_seconds=3.0, resend_max=5)
        for i in range(3):                      # confirmed long before the outage
            box.put(i)
        await _until(lambda: not box.pending)
        clock[0] = 100.0
        for i in range(3, 10):                  # confirmed just before it (the last 5 kept)
            box.put(i)
        await _until(lambda: not box.pending)
        broker.received.clear()                 # what the broker "lost"
        broker.up = False
        box.put(10)
        await _until(lambda: box.down_since is not None)
        broker.up = True
        await _until(lambda: not box.pending and box.down_since is None)
        return broker.received, box

    received, box = asyncio.run(scenario())
    assert received == [5, 6, 7, 8, 9, 10]      # in order, then the new one
    assert box.resent == 5 and box.outages == 1 and box.dropped == 0


def test_outbox_is_bounded_and_counts_what_it_drops(caplog):
    async def scenario():
        broker = FakeBroker()
        broker.up = False
        counts = FakeCounts()
        box = EventOutbox(broker.send, capacity=3, counts=counts, retry_seconds=0.05)
        for i in range(8):
            box.put(i)
        await _until(lambda: box.down_since is not None)
        assert len(box.pending) == 3
        broker.up = True
        await _until(lambda: box._task.done())
        return broker.received, box, dict(counts.totals, pending=counts.pending)

    with caplog.at_level(logging.INFO):
        received, box, totals = asyncio.run(scenario())
    assert received == [0, 1, 2]                       # the first ones, in order
    assert box.dropped == 5 and totals["dropped"] == 5 and totals["pending"] == 0
    assert "new events are dropped" in caplog.text and "5 were dropped" in caplog.text


def test_a_publish_that_hangs_is_retried_after_the_timeout():
    async def scenario():
        broker = FakeBroker()
        broker.hang = True
        box = EventOutbox(broker.send, capacity=10, retry_seconds=0.01, timeout=0.05)
        box.put("a")
        box.put("b")
        await _until(lambda: box.down_since is not None)
        broker.hang = False
        await _until(lambda: not box.pending)
        return broker.received, box

    received, box = asyncio.run(scenario())
    assert received == ["a", "b"] and box.outages == 1


def test_closing_during_an_outage_counts_what_was_not_published(caplog):
    async def scenario():
        broker = FakeBroker()
        broker.up = False
        counts = FakeCounts()
        box = EventOutbox(broker.send, capacity=10, counts=counts, retry_seconds=0.05)
        for i in range(4):
            box.put(i)
        await _until(lambda: box.down_since is not None)
        await box.close(timeout=0.1)
        box.put(99)                     # after close: counted, never published
        await box.flush_counts()
        return box, dict(counts.totals, pending=counts.pending)

    with caplog.at_level(logging.INFO):
        box, totals = asyncio.run(scenario())
    assert box.dropped == 5 and not box.pending
    assert totals == {"outages": 1, "dropped": 5, "pending": 0}
    assert "Rasa stops with 4 events not published" in caplog.text


def test_counts_wait_for_redis_when_it_is_down_too():
    async def scenario():
        broker = FakeBroker()
        broker.up = False
        counts = FakeCounts()
        counts.fail = True
        box = EventOutbox(broker.send, capacity=1, counts=counts, retry_seconds=0.05)
        box.put(1)
        box.put(2)                  # dropped
        await _until(lambda: box.down_since is not None)
        await asyncio.sleep(0.1)
        counts.fail = False
        broker.up = True
        await _until(lambda: box.down_since is None)
        await box.flush_counts()
        return dict(counts.totals, pending=counts.pending)

    # Written once Redis answers again; nothing waits any more.
    assert asyncio.run(scenario()) == {"outages": 1, "dropped": 1, "republished": 1, "pending": 0}


def test_capacity_from_the_environment(caplog):
    assert rasa_patches.outbox_capacity({}) == rasa_patches.OUTBOX_CAPACITY
    assert rasa_patches.outbox_capacity({"COACH_EVENT_BROKER_BUFFER": "500"}) == 500
    assert rasa_patches.outbox_capacity({"COACH_EVENT_BROKER_BUFFER": "-3"}) == 0
    with caplog.at_level(logging.WARNING):
        assert rasa_patches.outbox_capacity({"COACH_EVENT_BROKER_BUFFER": "lots"}) == rasa_patches.OUTBOX_CAPACITY
    assert "COACH_EVENT_BROKER_BUFFER" in caplog.text


class FakeExchange:
    """aio-pika's exchange as the outbox uses it: its name and its (aiormq) channel."""

    name = "rasa-exchange"

    def __init__(self) -> None:
        self.bodies: List[Dict[str, Any]] = []
        self.channel = self

    async def basic_publish(self, body: bytes, *, exchange: str, routing_key: str, properties: Any,
                            mandatory: bool, wait: bool) -> None:
        assert exchange == self.name and properties.delivery_mode == 2     # persistent, as Rasa's
        self.bodies.append(json.loads(body))


def test_rasa_s_pika_broker_publishes_through_the_outbox(monkeypatch, caplog):
    """Not connected yet (Rasa dropped those events silently): they wait, and go out in
    order once there is an exchange; Rasa's failure log line (with the event) is gone."""
    from rasa.core.brokers.pika import PikaEventBroker

    monkeypatch.delenv("COACH_REDIS_HOST", raising=False)
    monkeypatch.delenv("COACH_RATE_LIMIT_REDIS_URL", raising=False)
    monkeypatch.setattr(rasa_patches, "OUTBOX_RETRY_SECONDS", 0.05)

    async def scenario():
        broker = PikaEventBroker("127.0.0.1", "guest", "guest", queues=["q"],
                                 event_loop=asyncio.get_running_loop())
        for i in range(5):
            broker.publish({"event": "user", "text": SECRET, "n": i})
        box = broker.outbox()
        box.retry_seconds = 0.05
        await _until(lambda: box.down_since is not None)
        exchange = FakeExchange()
        broker._exchange = exchange
        await _until(lambda: not box.pending)
        await broker.close()
        return exchange.bodies, box

    with caplog.at_level(logging.DEBUG):
        bodies, box = asyncio.run(scenario())
    assert [b["n"] for b in bodies] == [0, 1, 2, 3, 4]
    assert box.counts is None and box.republished == 5
    assert SECRET not in caplog.text and "pika.events.publish" not in caplog.text


def test_the_counts_in_redis_are_read_back(monkeypatch):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(socket_timeout=1).ping()
    except Exception:
        pytest.skip("no Redis on 127.0.0.1:6379")
    import uuid

    url = "redis://127.0.0.1:6379/2"
    queues = [f"test-{uuid.uuid4().hex[:8]}"]
    key = rasa_patches.counts_key(queues)
    one = rasa_patches.RedisCounts(url, key, replica="rasa-1")
    two = rasa_patches.RedisCounts(url, key, replica="rasa-2")

    def counts():
        return rasa_patches.event_broker_counts(queues, url)

    async def run(*calls):
        for counter, deltas, pending in calls:
            await counter.add(deltas, pending)
        await one.close()
        await two.close()

    try:
        asyncio.run(run((one, {"outages": 1, "dropped": 3}, 2), (two, {"outages": 1}, 5)))
        assert counts() == {"outages": 2, "republished": 0, "dropped": 3, "pending": 7}
        asyncio.run(run((one, {"republished": 7}, 0)))
        assert counts() == {"outages": 2, "republished": 7, "dropped": 3, "pending": 5}
        # Redis restarted without its data: the waiting count is right again at the next flush.
        redis.Redis.from_url(url).delete(key)
        asyncio.run(run((two, {}, 4)))
        assert counts() == {"outages": 0, "republished": 0, "dropped": 0, "pending": 4}
        assert rasa_patches.event_broker_counts(["never-used"], url) == {
            "outages": 0, "republished": 0, "dropped": 0, "pending": 0}
        monkeypatch.delenv("COACH_REDIS_HOST", raising=False)
        monkeypatch.delenv("COACH_RATE_LIMIT_REDIS_URL", raising=False)
        assert rasa_patches.event_broker_counts(queues) is None     # no Redis configured
    finally:
        redis.Redis.from_url(url).delete(key)


# -- 6. no message text in logs ------------------------------------------------------------------------


def test_rasa_s_log_events_carry_no_message_text(caplog):
    import structlog
    from rasa.utils import log_utils

    cached = structlog.get_logger("rasa.core.channels.rest")
    with caplog.at_level(logging.INFO):
        cached.info("warm.up")                 # structlog caches its loggers on first use
        # Rasa configures structlog at start-up (and may again): the redaction stays first.
        log_utils.configure_structlog(logging.INFO)
        structlog.get_logger("rasa.core.channels.rest").error("rest.message.received.timeout", text=SECRET)
        structlog.get_logger("rasa.core.brokers.pika").error(
            "pika.events.publish.failed", rasa_event={"event": "user", "text": SECRET})
        structlog.get_logger("rasa.core.processor").info("processor.extract.slots",
                                                         rasa_events=[SECRET], len_extraction_events=1)
    assert "rest.message.received.timeout" in caplog.text and "pika.events.publish.failed" in caplog.text
    assert SECRET not in caplog.text and rasa_patches.LOG_REDACTED in caplog.text
    assert "len_extraction_events" in caplog.text           # the rest of the event stays


def test_redact_log_event_leaves_empty_values_and_other_keys():
    event = {"event": "x", "text": "", "message": None, "intent": "greet", "user_text": "你好"}
    assert rasa_patches.redact_log_event(None, "info", dict(event)) == {
        "event": "x", "text": "", "message": None, "intent": "greet", "user_text": rasa_patches.LOG_REDACTED}


# -- 7. a waiting request whose lock ticket expired ---------------------------------------------------


def _expired_while_waiting(acquire) -> str:
    """The request ahead (ticket 1) never finishes (its replica was killed); ours (ticket 2) was
    issued a moment later with the same lifetime. Between two of our looks both tickets
    expire. What happens to our request within 3 s?"""
    from rasa.core.lock_store import InMemoryLockStore as Store
    from rasa.core.lock_store import LockError

    async def scenario() -> str:
        store = Store()
        store.issue_ticket("c", lock_lifetime=1.0)              # the killed replica's request
        await asyncio.sleep(0.05)
        ours = store.issue_ticket("c", lock_lifetime=1.0)
        try:
            await asyncio.wait_for(acquire(store, "c", ours, 0.4), 3.0)
            return "acquired"
        except LockError:
            return "LockError"
        except asyncio.TimeoutError:
            return "still waiting"

    return asyncio.run(scenario())


def test_a_request_whose_ticket_expired_while_waiting_stops_waiting(caplog):
    from rasa.core.lock_store import LockStore

    # Rasa's own loop never ends (until a later message of the student deletes the lock).
    assert _expired_while_waiting(rasa_patches._rasa_originals["LockStore._acquire_lock"]) == "still waiting"
    with caplog.at_level(logging.WARNING):
        assert _expired_while_waiting(LockStore._acquire_lock) == "LockError"
    assert "longer than its lock ticket lives" in caplog.text


def test_the_lock_still_serves_tickets_in_order():
    from rasa.core.lock_store import InMemoryLockStore

    async def scenario() -> List[str]:
        store = InMemoryLockStore()
        order: List[str] = []

        async def turn(name: str, hold: float) -> None:
            async with store.lock("c", lock_lifetime=5, wait_time_in_seconds=0.02):
                order.append(f"{name} in")
                await asyncio.sleep(hold)
                order.append(f"{name} out")

        first = asyncio.create_task(turn("a", 0.2))
        await asyncio.sleep(0.01)
        second = asyncio.create_task(turn("b", 0.0))
        await asyncio.gather(first, second)
        return order

    assert asyncio.run(scenario()) == ["a in", "a out", "b in", "b out"]


# -- 2. speed: rule keys decoded once, event classes looked up once ------------------------------


def test_every_rule_key_is_decoded_once():
    import json

    from rasa.core.policies.rule_policy import RulePolicy

    # More rules than Rasa's cache of 1,000 held (this project has 1,104 + 237): a second
    # pass over them all must not decode any of them again.
    keys = [json.dumps([{"prev_action": {"action_name": f"action_{i}"}}]) for i in range(1500)]
    for key in keys:
        assert RulePolicy._rule_key_to_state(key) == json.loads(key)
    misses = RulePolicy._rule_key_to_state.cache_info().misses
    for key in keys:
        RulePolicy._rule_key_to_state(key)
    assert RulePolicy._rule_key_to_state.cache_info().misses == misses


def test_event_classes_are_looked_up_as_rasa_does():
    from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

    assert Event.resolve_by_type("user") is UserUttered and UserUttered.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("user") is UserUttered                     # from the cache
    assert Event.resolve_by_type("topic") is None                           # Rasa's old-event case
    assert Event.resolve_by_type("no-such-event", default=ActionExecuted) is ActionExecuted
    with pytest.raises(ValueError, match="no-such-event"):
        Event.resolve_by_type("no-such-event")                             # the default is not remembered


def test_dialogue_states_are_the_same_and_each_caller_gets_its_own():
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(Path(__file__).resolve().parents[1] / "domain.yml"))
    original = rasa_patches._rasa_originals["Domain.states_for_tracker_history"]
    tracker = DialogueStateTracker.from_events("s1", [
        ActionExecuted("action_listen"), UserUttered("你好", {"name": "greet", "confidence": 1.0}),
        ActionExecuted("action_greet"), ActionExecuted("action_listen"),
        UserUttered("我想考公", {"name": "inform", "confidence": 1.0}), SlotSet("consent", "given"),
    ], slots=domain.slots)
    for args in ((False, False, None), (False, True, {"slots": ["consent"], "loops": []})):
        first = domain.states_for_tracker_history(tracker, *args)
        assert first == original(domain, tracker, *args)
        first[-1].clear()                                      # a featurizer edits what it got
        assert domain.states_for_tracker_history(tracker, *args) == original(domain, tracker, *args)
    # A new event: new states, not the cached ones.
    tracker.update(ActionExecuted("action_listen"))
    assert domain.states_for_tracker_history(tracker) == original(domain, tracker)
    assert len(domain.states_for_tracker_history(tracker)) == len(original(domain, tracker)) > 0
