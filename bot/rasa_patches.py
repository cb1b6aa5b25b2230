"""Every change this project makes to Rasa 3.6, in one place, applied in the Rasa server process.

``apply()`` is called when Rasa imports the project's tracker store (bot/tracker_store.py,
named by both endpoints files), so each change is in effect wherever ``rasa run`` serves this
project. Idempotent. Unit tests: tests/test_rasa_patches.py; what students see under faults:
tests/production/test_faults.py.

1. **Reading a message in its conversation** (bot/nlu/context.py): ``MessageProcessor.parse_message``
   gets the tracker; a message that is the title of a button just shown is parsed as that
   button's payload (keeping the text the student typed); inside a form the form's own
   request is not demoted by the NLU gate; after the study plan was shown, "下周出差" adjusts it.

2. **Speed.** After every custom action, ``RemoteAction._validate_action_result`` checks the
   action server's response with ``jsonschema.validate(result, spec)``, which with jsonschema
   4.17 first validates the *schema itself* against the draft-2020-12 meta-schema, every time:
   half of Rasa's CPU time per turn (py-spy, bench turns). Here the validator is built once:
   the same schema, the same errors (``best_match``) and the same message.
   The RulePolicy decodes each rule from its JSON key through an ``lru_cache`` of 1,000 entries;
   this project's rules (1,104, and 237 for forms' unhappy paths) do not fit, so the cache
   thrashed and every prediction decoded ~600 rules again (a third of the rule matching time,
   cProfile of the bench turns). Here the cache holds them all. And each event read from the
   tracker store looked its class up by walking all of ``Event``'s subclasses; here a found
   class is remembered (unknown names still go the original way, with its errors).
   Each prediction replays the whole conversation into dialogue states once per policy; the
   memoization and TED policies ask for the very same states (rule-only turns hidden, the same
   rule-only data), so the second asks a small cache keyed by the tracker and its last event
   (a deep copy: the featurizers edit the states they get).

3. **A tracker store error fails the turn.** Rasa wraps the tracker store in
   ``FailSafeTrackerStore``. When the database could not be read it handed the processor an
   empty tracker (during a PostgreSQL restart, students were sent back to the consent
   question); when it could not be written it kept the turn in this process's memory only; and
   it logged the error's text, which for SQL errors holds the statement's parameters (what the
   student wrote). Here ``retrieve``, ``retrieve_full_tracker`` and ``save`` call the project's
   store directly and the error ends the turn: the channels answer it with the polite request to
   send the message again (bot/channels/ratelimit.py, webchat.py, telegram.py). Nothing of the
   failed turn was saved, so the message sent again is recorded once.

4. **A failed custom action fails the turn.** When the action server cannot be reached, times
   out or answers with an error (killed, overloaded, its database down), Rasa logged it, dropped
   the action's events and went on: the student got no answer, yet the turn was saved with the
   message, so sending it again recorded it twice. Here ``RemoteAction.run`` notes the failure
   (also when it runs inside a form or a custom slot mapping) and the turn stops right after
   that action with :class:`CustomActionFailed`, before anything is saved; as in 3. the channels
   ask for the message again. An action that rejects itself (``ActionExecutionRejection``, the
   way forms hand over) is not a failure.

5. **Event broker outages: events wait, and what is lost is counted.** Rasa's Pika broker
   published each event in a task of its own; the ones that failed went to an unbounded list
   retried only from the connection's reconnect callback, where those failing again stayed for
   good: in the load benchmark 158-171 of 600 user messages of a RabbitMQ restart never reached
   the broker, and each failure was logged with the event, i.e. the student's words. Here each
   broker publishes through an :class:`EventOutbox`: one queue, in order, published in batches
   with RabbitMQ's confirmation (without holding the channel until each frame is written: under
   load, a busy event loop could not keep up otherwise); while RabbitMQ is down the head is
   retried every ``OUTBOX_RETRY_SECONDS`` and the events wait, then go out in order when it is
   back.
   The outbox is **in memory and bounded** (``COACH_EVENT_BROKER_BUFFER`` events per Rasa
   process, default 10 000, a few minutes of a busy deployment's events): every event is already
   stored durably by the tracker store (PostgreSQL), the broker's stream is a copy for
   analytics, and a database outbox would add a write and a table to every turn. What does not
   fit, and what still waits when Rasa stops, is dropped and counted; a process killed during
   an outage loses what it held, and that count stays visible (``pending``). Counts are logged
   (one line when an outage starts, one when it ends) and, when ``COACH_REDIS_HOST`` is set,
   added to the Redis hash ``coach:event_broker:<queue>`` (the rate limit's database), read by
   :func:`event_broker_counts`: ``outages``, ``republished`` (published after waiting),
   ``dropped``, ``pending`` (waiting right now, summed over the replicas; each replica writes its
   own number, so it is right again after a Redis restart). Delivery is at least once: an event
   whose confirmation was lost as the connection broke may arrive twice, and the events RabbitMQ
   confirmed in the ``OUTBOX_RESEND_SECONDS`` before an outage are published again when it is
   back (2 user messages confirmed just before a RabbitMQ stop were missing afterwards in
   tests/production; see ``OUTBOX_RESEND_SECONDS``). Each replica keeps its
   own order; a conversation's turns alternate between replicas, so a consumer orders a
   conversation's events by their timestamps.

6. **No message text in logs.** A structlog processor blanks the values that carry what a
   student wrote (``text``, ``rasa_event``, ``parse_data_text``... the keys Rasa's own
   anonymizer knows) in every Rasa log event, among them the REST channel's
   ``rest.message.received.timeout``/``failure`` lines; the broker no longer logs events.

7. **A request whose lock ticket expired while it waited stops waiting.** Rasa's lock store
   (``LockStore._acquire_lock``) waits until the conversation's "now serving" ticket is its
   own, looking every second. When the ticket ahead of it expires (its request runs longer
   than the ticket lifetime, or its replica was killed) less than a second before its own,
   both have expired by the next look: its ticket is gone, "now serving" never equals it, and
   the request spins until a later message of the same student deletes the lock; the student's
   request hangs meanwhile. Here a waiting request whose ticket is gone fails with Rasa's
   ``LockError`` (the channels ask for the message again). Tested with Rasa's own lock store.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import copy
import itertools
import logging
import os
import time
from typing import Any, Awaitable, Callable, Deque, Dict, List, Optional, Sequence, Text, Tuple

logger = logging.getLogger(__name__)

_applied = False
_lookups_applied = False
_rasa_originals: Dict[str, Any] = {}     # Rasa's own functions, where a test shows the difference


def apply() -> None:
    global _applied
    if _applied:
        return
    _patch_action_validation()
    apply_lookups()
    _patch_shared_states()
    _patch_typed_buttons()
    _patch_tracker_store_errors()
    _patch_failed_actions()
    _patch_event_broker()
    _patch_log_redaction()
    _patch_lock_waiting()
    _applied = True


# -- 1. a message read in its conversation ------------------------------------------------------


def _patch_typed_buttons() -> None:
    from rasa.core.channels.channel import UserMessage
    from rasa.core.processor import MessageProcessor

    from bot.nlu.context import in_context, typed_payload

    original = MessageProcessor.parse_message

    async def parse_message(self: MessageProcessor, message: UserMessage, tracker: Any = None,
                            only_output_properties: bool = True) -> Dict[Text, Any]:
        payload = typed_payload(message.text or "", tracker.events) if tracker is not None else None
        if payload is None:
            parse_data = await original(self, message, tracker, only_output_properties)
            return in_context(parse_data, tracker) if tracker is not None else parse_data
        as_button = UserMessage(payload, message.output_channel, message.sender_id,
                                input_channel=message.input_channel, message_id=message.message_id,
                                metadata=message.metadata)
        parse_data = await original(self, as_button, tracker, only_output_properties)
        parse_data["text"] = message.text
        parse_data["typed_button"] = payload
        return parse_data

    MessageProcessor.parse_message = parse_message  # type: ignore[assignment]


# -- 2. the action-response check, built once ------------------------------------------------------


def _patch_action_validation() -> None:
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    spec = RemoteAction.action_response_format_spec()
    validator_class = validator_for(spec)
    validator_class.check_schema(spec)
    validator = validator_class(spec)

    def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is not None:
            error.message += (
                f". Failed to validate Action server response from API, "
                f"make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise error
        return True

    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[assignment]


def _patch_rule_and_event_lookups() -> None:
    import functools
    import json

    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.events import Event

    @functools.lru_cache(maxsize=None)
    def _rule_key_to_state(rule_key: Text) -> List[Dict[Text, Any]]:
        return json.loads(rule_key)

    RulePolicy._rule_key_to_state = staticmethod(_rule_key_to_state)  # type: ignore[assignment]

    original = Event.resolve_by_type
    found: Dict[Text, Any] = {}

    def resolve_by_type(type_name: Text, default: Any = None) -> Any:
        cls = found.get(type_name)
        if cls is None:
            cls = original(type_name, default)
            if cls is not None and cls is not default:
                found[type_name] = cls
        return cls

    _rasa_originals["Event.resolve_by_type"] = original
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[assignment]


def apply_lookups() -> None:
    """The rule-key and event-class lookups of section 2 alone: also in ``rasa train`` (called
    when Rasa imports bot/nlu/classifiers.py), where the RulePolicy's contradiction check
    decodes the same rules over and over. Idempotent; ``apply()`` includes it."""
    global _lookups_applied
    if not _lookups_applied:
        _lookups_applied = True
        _patch_rule_and_event_lookups()


def _patch_shared_states() -> None:
    from rasa.shared.core.domain import Domain

    states_of = Domain.states_for_tracker_history
    recent: "collections.OrderedDict[tuple, List[Dict[Text, Any]]]" = collections.OrderedDict()

    def states_for_tracker_history(self: Domain, tracker: Any, omit_unset_slots: bool = False,
                                   ignore_rule_only_turns: bool = False,
                                   rule_only_data: Optional[Dict[Text, Any]] = None) -> List[Dict[Text, Any]]:
        events = tracker.events
        key = (id(self), id(tracker), tracker.sender_id, len(events), id(events[-1]) if events else None,
               omit_unset_slots, ignore_rule_only_turns, repr(rule_only_data))
        states = recent.get(key)
        if states is None:
            states = states_of(self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
            recent[key] = states
            while len(recent) > 4:
                recent.popitem(last=False)
        return copy.deepcopy(states)

    _rasa_originals["Domain.states_for_tracker_history"] = states_of
    Domain.states_for_tracker_history = states_for_tracker_history  # type: ignore[assignment]


# -- 3. a tracker store error fails the turn --------------------------------------------------------


def _patch_tracker_store_errors() -> None:
    from rasa.core.tracker_store import FailSafeTrackerStore

    async def retrieve(self: FailSafeTrackerStore, sender_id: Text) -> Any:
        try:
            return await self._tracker_store.retrieve(sender_id)
        except Exception as exc:
            _tracker_store_failed("read", exc)
            raise

    async def retrieve_full_tracker(self: FailSafeTrackerStore, sender_id: Text) -> Any:
        try:
            return await self._tracker_store.retrieve_full_tracker(sender_id)
        except Exception as exc:
            _tracker_store_failed("read", exc)
            raise

    async def save(self: FailSafeTrackerStore, tracker: Any) -> None:
        try:
            await self._tracker_store.save(tracker)
        except Exception as exc:
            _tracker_store_failed("save", exc)
            raise

    FailSafeTrackerStore.retrieve = retrieve  # type: ignore[assignment]
    FailSafeTrackerStore.retrieve_full_tracker = retrieve_full_tracker  # type: ignore[assignment]
    FailSafeTrackerStore.save = save  # type: ignore[assignment]


def _tracker_store_failed(what: str, exc: BaseException) -> None:
    # The type only: the text of a database error can hold what the student wrote.
    logger.warning("The tracker store could not %s a conversation (%s); the turn fails and the "
                   "student is asked to send the message again.", what, type(exc).__name__)


# -- 4. a failed custom action fails the turn -------------------------------------------------------


class CustomActionFailed(Exception):
    """A custom action could not run: the turn stops before it is saved (the channels ask the
    student to send the message again)."""

    def __init__(self, action_name: str, cause: str) -> None:
        super().__init__(f"custom action '{action_name}' failed ({cause})")
        self.action_name = action_name
        self.cause = cause


# The failures of custom actions in the step of the turn being run (None: not inside a step).
_action_failures: contextvars.ContextVar[Optional[List[Tuple[str, str]]]] = contextvars.ContextVar(
    "coach_action_failures", default=None)


def _failure_cause(exc: BaseException) -> str:
    """What went wrong, without the error's text (a response body can quote the request)."""
    root = exc.__cause__ or exc
    status = getattr(root, "status", None)
    return f"{type(root).__name__} {status}" if status else type(root).__name__


async def _failing_on_action_errors(step: Awaitable[Any]) -> Any:
    """Runs one step of a turn (an action, or the slot extraction); raises
    :class:`CustomActionFailed` after it when a custom action inside it failed."""
    failures: List[Tuple[str, str]] = []
    token = _action_failures.set(failures)
    try:
        result = await step
    finally:
        _action_failures.reset(token)
    if failures:
        name, cause = failures[0]
        logger.warning("Custom action %s failed (%s); the turn fails and the student is asked to "
                       "send the message again.", name, cause)
        raise CustomActionFailed(name, cause)
    return result


def _patch_failed_actions() -> None:
    from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
    from rasa.core.processor import MessageProcessor

    original_run = RemoteAction.run

    async def run(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> Any:
        try:
            return await original_run(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except Exception as exc:
            failures = _action_failures.get()
            if failures is not None:
                failures.append((self.name(), _failure_cause(exc)))
            raise

    original_run_action = MessageProcessor._run_action

    async def _run_action(self: MessageProcessor, action: Any, tracker: Any, output_channel: Any,
                          nlg: Any, prediction: Any) -> bool:
        return await _failing_on_action_errors(
            original_run_action(self, action, tracker, output_channel, nlg, prediction))

    original_extract = MessageProcessor.run_action_extract_slots

    async def run_action_extract_slots(self: MessageProcessor, output_channel: Any, tracker: Any) -> Any:
        return await _failing_on_action_errors(original_extract(self, output_channel, tracker))

    RemoteAction.run = run  # type: ignore[assignment]
    MessageProcessor._run_action = _run_action  # type: ignore[assignment]
    MessageProcessor.run_action_extract_slots = run_action_extract_slots  # type: ignore[assignment]


# -- 5. event broker: an in-order, bounded outbox; what is lost is counted ---------------------------

OUTBOX_CAPACITY = 10_000
OUTBOX_RETRY_SECONDS = 2.0
OUTBOX_PUBLISH_TIMEOUT = 15.0    # a safety net: a batch confirms in well under a second when RabbitMQ is up
OUTBOX_BATCH = 100
# Events RabbitMQ confirmed in the last seconds before an outage are published again when it is
# back: in tests/production 2 user messages confirmed just before `rabbitmqctl stop` were missing
# from the queue afterwards (our reading: a classic queue stopping with its node has the channel
# confirm the messages still on their way to it). Consumers drop the copies by timestamp
# (delivery is at least once anyway).
OUTBOX_RESEND_SECONDS = 3.0
OUTBOX_RESEND_MAX = 300
OUTBOX_CLOSE_SECONDS = 5.0
OUTBOX_REPORT_SECONDS = 60.0
COUNTS_KEY = "coach:event_broker:"
COUNT_FIELDS = ("outages", "republished", "dropped", "pending")


def outbox_capacity(environ: Optional[Dict[str, str]] = None) -> int:
    raw = (os.environ if environ is None else environ).get("COACH_EVENT_BROKER_BUFFER", "")
    try:
        value = int(raw) if raw.strip() else OUTBOX_CAPACITY
    except ValueError:
        logger.warning("COACH_EVENT_BROKER_BUFFER is not a whole number; using %d.", OUTBOX_CAPACITY)
        return OUTBOX_CAPACITY
    return max(0, value)


def counts_key(queues: Sequence[str]) -> str:
    return COUNTS_KEY + ",".join(queues)


class RedisCounts:
    """The outbox's counts in a Redis hash shared by the replicas: counters added
    (``outages``, ``republished``, ``dropped``) and, per process, the events waiting now
    (``pending:<host>:<pid>``). Best effort: when Redis cannot be reached the counts wait for
    the next flush."""

    def __init__(self, url: str, key: str, replica: Optional[str] = None) -> None:
        import socket

        self.url = url
        self.key = key
        self.replica = replica or f"{socket.gethostname()}:{os.getpid()}"
        self._client: Any = None

    async def add(self, deltas: Dict[str, int], pending: Optional[int] = None) -> None:
        if self._client is None:
            import redis.asyncio as aioredis

            self._client = aioredis.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)
        pipe = self._client.pipeline(transaction=True)
        for name, delta in deltas.items():
            pipe.hincrby(self.key, name, delta)
        if pending is not None:
            if pending:
                pipe.hset(self.key, f"pending:{self.replica}", pending)
            else:
                pipe.hdel(self.key, f"pending:{self.replica}")
        await pipe.execute()

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.close()
            except Exception:
                pass


def event_broker_counts(queues: Sequence[str], redis_url: Optional[str] = None) -> Optional[Dict[str, int]]:
    """The counts the replicas publishing to ``queues`` left in Redis (see 5. above); None
    when no Redis is configured. For the deploy check and the console."""
    from bot.channels.ratelimit import redis_url_from_env

    url = redis_url if redis_url is not None else redis_url_from_env()
    if not url:
        return None
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        raw = client.hgetall(counts_key(queues))
    finally:
        client.close()
    counts = {name: 0 for name in COUNT_FIELDS}
    for name, value in raw.items():
        name = name.decode() if isinstance(name, bytes) else name
        if name.startswith("pending:"):
            counts["pending"] += int(value)
        elif name in counts:
            counts[name] = int(value)
    return counts


class EventOutbox:
    """Events waiting to be published, in order, at most ``capacity`` of them.

    ``send`` publishes one message and returns when the broker has confirmed it. One task
    (started when an event is put) publishes from the head of the queue, ``batch`` at a time,
    until the queue is empty; when ``send`` fails the broker counts as down, the head is
    retried every ``retry_seconds`` and new events queue behind it."""

    def __init__(self, send: Callable[[Any], Awaitable[Any]], capacity: int = OUTBOX_CAPACITY,
                 counts: Optional[RedisCounts] = None, loop: Optional[asyncio.AbstractEventLoop] = None,
                 retry_seconds: float = OUTBOX_RETRY_SECONDS, timeout: float = OUTBOX_PUBLISH_TIMEOUT,
                 batch: int = OUTBOX_BATCH, clock: Callable[[], float] = time.monotonic,
                 resend_seconds: float = OUTBOX_RESEND_SECONDS, resend_max: int = OUTBOX_RESEND_MAX) -> None:
        self._send = send
        self.resend_seconds = resend_seconds
        self.resend_max = resend_max
        self._recent: Deque[Tuple[float, Any]] = collections.deque()   # (confirmed at, message)
        self.resent = 0           # confirmed just before an outage, published again
        self.capacity = capacity
        self.counts = counts
        self._loop = loop
        self.retry_seconds = retry_seconds
        self.timeout = timeout
        self.batch = max(1, batch)
        self._clock = clock
        self.pending: Deque[Any] = collections.deque()
        self.published = 0
        self.republished = 0      # published after waiting for the broker to come back
        self.dropped = 0
        self.outages = 0
        self.down_since: Optional[float] = None
        self._outage_dropped = 0         # since the last outage ended
        self._outage_republished = 0
        self._full_logged = False
        self._last_report = 0.0
        self._task: Optional[asyncio.Task] = None
        self._closed = False
        self._deltas: Dict[str, int] = collections.Counter()
        self._reported_pending = 0

    # -- putting events in ------------------------------------------------------------------

    def put(self, message: Any) -> None:
        if self._closed or len(self.pending) >= self.capacity:
            self._drop(1, "full" if not self._closed else "closed")
            return
        self.pending.append(message)
        if self._task is None or self._task.done():
            loop = self._loop
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                pass
            if loop is None:
                loop = asyncio.get_event_loop()
            self._task = loop.create_task(self._pump())

    def _drop(self, n: int, why: str) -> None:
        self.dropped += n
        self._outage_dropped += n
        self._deltas["dropped"] += n
        if why == "full" and not self._full_logged:
            self._full_logged = True
            logger.error("Event broker outbox full (%d events waiting for the broker): new events are "
                         "dropped (counted) until it drains.", len(self.pending))

    # -- publishing ---------------------------------------------------------------------------

    async def _pump(self) -> None:
        while True:
            while self.pending:
                # Up to ``batch`` messages at once: they are written in call order and one round
                # trip confirms them (one by one, a busy Rasa's event loop fell behind).
                batch = list(itertools.islice(self.pending, 0, self.batch))
                try:
                    results = await asyncio.wait_for(
                        asyncio.gather(*(self._send(m) for m in batch), return_exceptions=True), self.timeout)
                except asyncio.TimeoutError as exc:
                    results = [exc] * len(batch)
                confirmed = next((i for i, r in enumerate(results) if isinstance(r, BaseException)),
                                 len(batch))
                now = self._clock()
                for _ in range(confirmed):   # the ones after a failure go again (at least once)
                    message = self.pending.popleft()
                    if self.resend_seconds > 0:
                        self._recent.append((now, message))
                while self._recent and (len(self._recent) > self.resend_max
                                        or self._recent[0][0] < now - self.resend_seconds):
                    self._recent.popleft()
                self.published += confirmed
                if self.down_since is not None:
                    self.republished += confirmed
                    self._outage_republished += confirmed
                    self._deltas["republished"] += confirmed
                if confirmed < len(batch):
                    self._down(results[confirmed])
                    await self.flush_counts()
                    await asyncio.sleep(self.retry_seconds)
            if self.down_since is not None:
                self._back()
            elif self._outage_dropped:      # full without a failed publish (a slow broker)
                logger.error("Event broker outbox drained; %d events were dropped while it was full.",
                             self._outage_dropped)
                self._outage_dropped = 0
                self._full_logged = False
            await self.flush_counts()
            if not self.pending:
                # No await between this check and the end of the task: an event put from now on
                # finds the task done and starts a new one.
                return

    def _down(self, exc: BaseException) -> None:
        now = self._clock()
        if self.down_since is None:
            self.down_since = now
            self._last_report = now
            self.outages += 1
            self._deltas["outages"] += 1
            if self._recent:     # confirmed in the seconds before the outage: not trusted
                self.pending.extendleft(reversed([m for _, m in self._recent]))
                self.resent += len(self._recent)
                self._recent.clear()
            logger.warning("Event broker unreachable (%s): events wait in memory (up to %d) and are "
                           "published in order when it is back.", type(exc).__name__, self.capacity)
        elif now - self._last_report >= OUTBOX_REPORT_SECONDS:
            self._last_report = now
            logger.warning("Event broker unreachable for %.0f s: %d events waiting, %d dropped.",
                           now - self.down_since, len(self.pending), self._outage_dropped)

    def _back(self) -> None:
        assert self.down_since is not None
        took = self._clock() - self.down_since
        self.down_since = None
        log = logger.error if self._outage_dropped else logger.info
        log("Event broker reachable again after %.0f s: %d events that waited were published, %d "
            "were dropped (not in the event stream; still in the tracker store).",
            took, self._outage_republished, self._outage_dropped)
        self._outage_dropped = self._outage_republished = 0
        self._full_logged = False

    async def flush_counts(self) -> None:
        """Adds what changed since the last flush to the shared counts, and sets this
        process's number of waiting events (an absolute value: right again after a Redis
        restart)."""
        if self.counts is None:
            self._deltas.clear()
            return
        waiting = len(self.pending) if self.down_since is not None else 0
        deltas = {k: v for k, v in self._deltas.items() if v}
        if not deltas and waiting == self._reported_pending:
            return
        try:
            await self.counts.add(deltas, waiting)
        except Exception as exc:   # Redis down as well: the counts wait for the next flush
            logger.debug("Event broker counts not written (%s).", type(exc).__name__)
            return
        self._reported_pending = waiting
        for k, v in deltas.items():
            self._deltas[k] -= v

    async def close(self, timeout: float = OUTBOX_CLOSE_SECONDS) -> None:
        """Gives the waiting events ``timeout`` seconds to go out; drops and counts the rest."""
        if self._task is not None and not self._task.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout)
            except (asyncio.TimeoutError, Exception):
                pass
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        self._closed = True
        left = len(self.pending)
        if left:
            self.pending.clear()
            self._drop(left, "closed")
            logger.error("Rasa stops with %d events not published to the event broker (dropped, "
                         "counted; still in the tracker store).", left)
        self.down_since = None
        await self.flush_counts()
        if self.counts is not None:
            await self.counts.close()


def _patch_event_broker() -> None:
    from rasa.core.brokers.pika import PikaEventBroker

    original_close = PikaEventBroker.close

    from aiormq import spec

    def outbox(self: PikaEventBroker) -> EventOutbox:
        box = self.__dict__.get("_coach_outbox")
        if box is None:
            from bot.channels.ratelimit import redis_url_from_env

            url = redis_url_from_env()

            async def send(message: Any) -> None:
                exchange = self._exchange
                if exchange is None:
                    raise ConnectionError("not connected to the event broker")
                # aio-pika's Exchange.publish, without holding the channel until the frame is
                # written (wait=False): the broker's confirmation is still awaited.
                channel = exchange.channel
                # A publish on a channel that closed with its connection waits forever (aiormq
                # rejects the pending confirmations when it closes, not the ones made after).
                if channel is None or getattr(channel, "is_closed", False):
                    raise ConnectionError("the event broker's channel is closed")
                publish = asyncio.ensure_future(channel.basic_publish(
                    message.body, exchange=exchange.name, routing_key="", properties=message.properties,
                    mandatory=True, wait=False))
                publish.add_done_callback(lambda f: f.cancelled() or f.exception())   # retrieved
                # A confirmation awaited when the connection drops is not always rejected (seen
                # under load: the publish hung until the outbox's timeout, so the outage went
                # unnoticed and unreported for that long): the connection's end ends the wait.
                ends = [f for f in (getattr(channel, "closing", None),
                                    getattr(getattr(channel, "connection", None), "closing", None))
                        if isinstance(f, asyncio.Future)]
                done, _ = await asyncio.wait([publish, *ends], return_when=asyncio.FIRST_COMPLETED)
                if publish not in done:
                    publish.cancel()
                    raise ConnectionError("the connection to the event broker closed")
                confirmation = publish.result()
                # RabbitMQ acknowledges an event that no queue took as well, after returning it:
                # right after a restart Rasa's (non-durable) exchange is declared again before its
                # queues are bound, and such events were lost while counted as published.
                if confirmation is not None and not isinstance(confirmation, spec.Basic.Ack):
                    raise ConnectionError("the event broker returned the event (no queue bound yet)")

            box = EventOutbox(send, outbox_capacity(), RedisCounts(url, counts_key(self.queues)) if url else None,
                              loop=self._loop)
            self.__dict__["_coach_outbox"] = box
        return box

    def publish(self: PikaEventBroker, event: Dict[Text, Any], headers: Optional[Dict[Text, Text]] = None) -> None:
        box = outbox(self)
        try:
            message = self._message(event, headers)
        except Exception as exc:    # not serialisable: never fail the turn over the copy
            logger.error("An event could not be serialised for the event broker (%s); dropped.",
                         type(exc).__name__)
            box._drop(1, "serialise")
            return
        box.put(message)

    async def _publish(self: PikaEventBroker, event: Dict[Text, Any],
                       headers: Optional[Dict[Text, Text]] = None) -> None:
        publish(self, event, headers)

    def _publish_unpublished_messages(self: PikaEventBroker, *_: Any, **__: Any) -> None:
        # Rasa's list of failed events is not used any more: the outbox retries by itself.
        return None

    async def close(self: PikaEventBroker) -> None:
        box = self.__dict__.get("_coach_outbox")
        if box is not None:
            await box.close()
        await original_close(self)

    PikaEventBroker.outbox = outbox  # type: ignore[attr-defined]
    PikaEventBroker.publish = publish  # type: ignore[assignment]
    PikaEventBroker._publish = _publish  # type: ignore[assignment]
    PikaEventBroker._publish_unpublished_messages = _publish_unpublished_messages  # type: ignore[assignment]
    PikaEventBroker.close = close  # type: ignore[assignment]


# -- 6. no message text in logs ------------------------------------------------------------------

# The keys of Rasa's log events that carry what students wrote (Rasa's own anonymizer's list,
# rasa/utils/log_utils.py) and the broker's event.
PERSONAL_LOG_KEYS = frozenset({
    "text", "response_text", "user_text", "slot_values", "parse_data_text", "parse_data_entities",
    "prediction_events", "tracker_latest_message", "prefilled_slots", "message", "response",
    "slot_candidates", "rasa_event", "rasa_events", "tracker_states", "current_states",
    "old_states", "successes", "current_entity", "next_entity", "states", "entity", "token_text",
    "user_message", "json_message", "events", "slots", "parse_data", "tracker",
})
LOG_REDACTED = "[redacted]"


def redact_log_event(_logger: Any, _method: str, event_dict: Dict[str, Any]) -> Dict[str, Any]:
    """structlog processor: the values of :data:`PERSONAL_LOG_KEYS` are replaced."""
    for key in PERSONAL_LOG_KEYS.intersection(event_dict):
        if event_dict[key] not in (None, "", [], {}):
            event_dict[key] = LOG_REDACTED
    return event_dict


def install_log_redaction() -> None:
    """Puts :func:`redact_log_event` first in structlog's processors, in place, so that loggers
    already bound (structlog caches them) use it too."""
    import structlog

    processors = structlog.get_config()["processors"]
    if redact_log_event not in processors:
        processors.insert(0, redact_log_event)


class _ConvertedActionErrorFilter(logging.Filter):
    """Drops Rasa's "Bot will continue, but the actions events are lost" traceback for an
    action whose failure fails the turn (4.): the warning of :func:`_failing_on_action_errors`
    replaces it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Encountered an exception while running action"):
            return not _action_failures.get()
        return True


def _patch_log_redaction() -> None:
    from rasa.utils import log_utils

    install_log_redaction()
    original = log_utils.configure_structlog
    if not getattr(original, "_coach_redacting", False):
        def configure_structlog(*args: Any, **kwargs: Any) -> None:
            original(*args, **kwargs)
            install_log_redaction()

        configure_structlog._coach_redacting = True  # type: ignore[attr-defined]
        log_utils.configure_structlog = configure_structlog  # type: ignore[assignment]
    processor_logger = logging.getLogger("rasa.core.processor")
    if not any(isinstance(f, _ConvertedActionErrorFilter) for f in processor_logger.filters):
        processor_logger.addFilter(_ConvertedActionErrorFilter())


# -- 7. a waiting request whose ticket expired stops waiting ---------------------------------------


def _patch_lock_waiting() -> None:
    from rasa.core.lock_store import LockError, LockStore

    _rasa_originals["LockStore._acquire_lock"] = LockStore._acquire_lock

    async def _acquire_lock(self: LockStore, conversation_id: Text, ticket: int,
                            wait_time_in_seconds: float) -> Any:
        while True:
            lock = self.get_lock(conversation_id)
            if not lock:
                break
            if not lock.is_locked(ticket):
                return lock
            if lock._ticket_for_ticket_number(ticket) is None:
                # Our ticket expired while we waited: "now serving" will never be it.
                logger.warning("A message waited for its conversation longer than its lock ticket lives; "
                               "it is not processed (the student is asked to send it again).")
                break
            await asyncio.sleep(wait_time_in_seconds)
            self.update_lock(conversation_id)
        raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")

    LockStore._acquire_lock = _acquire_lock  # type: ignore[assignment]
