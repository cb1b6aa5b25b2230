"""Rasa tracker store that keeps the case database's transcript and honours consent.

It is Rasa's ``SQLTrackerStore`` on the case database (same URL, same engine), with three
additions, all applied where Rasa persists a turn so that no other process has to agree:

* **Transcript.** For a student who consented, every user and bot message of the turn is
  appended to the ``messages`` table in the same transaction as the tracker events, with
  the predicted intent, its confidence and the slots the user message set. Each Rasa
  session becomes a ``sessions`` row of the student's case.
* **No consent, nothing personal.** While the conversation has no consent, user text,
  entities, metadata and the values of personal slots are redacted before they are
  written. The conversation still works (policies only need intents).
* **Erasure.** When ``action_delete_my_data`` sets the ``data_erased_at`` slot, every stored
  event of the sender is deleted and only the events from that point on are kept.

Configured in endpoints.yml as ``type: bot.tracker_store.CoachTrackerStore``; the database
URL comes from ``url`` there or, by default, from ``COACH_DATABASE_URL`` / coach.yml.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any, Dict, Iterable, List, Optional, Tuple

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot import privacy, rasa_patches
from bot.config import settings
from bot.db import get_engine, upgrade
from bot.db.models import ChatSession, Message, Student, utcnow

logger = logging.getLogger(__name__)

from bot.privacy import ERASE_SLOT  # noqa: E402  (re-exported)

# Rasa imports this module in the server process (endpoints*.yml name this tracker store):
# the place to apply the one run-time fix to Rasa (bot/rasa_patches.py).
rasa_patches.apply()


def _user_extra(event: UserUttered) -> Optional[Dict[str, Any]]:
    """What the console shows next to a student's message besides intent and confidence:
    the channel, the knowledge topic chosen, what the NLU gate did (bot/nlu/gate.py), and
    whether a typed text was read as a button."""
    extra: Dict[str, Any] = {}
    if event.input_channel:
        extra["input_channel"] = event.input_channel
    parse = event.parse_data or {}
    if (event.intent or {}).get("name") == "faq":
        response = ((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}
        if response.get("intent_response_key"):
            extra["topic"] = response["intent_response_key"]
            extra["topic_confidence"] = response.get("confidence")
    if parse.get("gate"):
        extra["gate"] = parse["gate"]
    if parse.get("typed_button"):
        extra["typed_button"] = parse["typed_button"]
    return extra or None


def _ts(value: Optional[float]) -> dt.datetime:
    if value is None:
        return utcnow()
    return dt.datetime.fromtimestamp(float(value), tz=dt.timezone.utc)


class CoachTrackerStore(SQLTrackerStore):
    """See the module docstring."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[str] = None,
        event_broker: Optional[EventBroker] = None,
        url: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        self.url = url or host or settings()["database_url"]
        upgrade(self.url)
        self.engine = get_engine(self.url)
        self.Base.metadata.create_all(self.engine)
        self.sessionmaker = sessionmaker(bind=self.engine, future=True)
        TrackerStore.__init__(self, domain, event_broker, **kwargs)

    # -- streaming to the event broker (production profile) -------------------------------

    async def stream_events(self, tracker: DialogueStateTracker) -> None:
        """Publishes the events of ``tracker`` not stored yet, redacted like the stored ones
        when there is no consent. (``save`` does not call this: it publishes exactly what it
        has just committed.)"""
        if self.event_broker is None:
            return
        from rasa.core.tracker_store import TrackerEventDiffEngine

        old_tracker = await self.retrieve(tracker.sender_id)
        consent = tracker.get_slot(privacy.CONSENT_SLOT) == privacy.CONSENT_GIVEN
        rows = []
        for event in TrackerEventDiffEngine.event_difference(old_tracker, tracker):
            data = event.as_dict()
            rows.append(data if consent else privacy.redact_event_dict(data))
        self._publish(tracker.sender_id, rows)

    def _publish(self, sender_id: str, rows: List[Dict[str, Any]]) -> None:
        if self.event_broker is None:
            return
        for data in rows:
            try:
                self.event_broker.publish({"sender_id": sender_id, **data})
            except Exception as exc:  # the stream is a copy: never fail a saved turn over it
                logger.error("An event could not be handed to the event broker (%s).", type(exc).__name__)

    # -- saving -------------------------------------------------------------------------

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stores the new events (and the transcript) in one transaction, then publishes them
        to the event broker: a turn whose save fails publishes nothing, so the message sent
        again is not in the stream twice."""
        events = list(tracker.events)
        consent = tracker.get_slot(privacy.CONSENT_SLOT) == privacy.CONSENT_GIVEN

        with self.session_scope() as session:
            erase_from = self._erase_index(session, tracker, events)
            if erase_from is not None:
                self._erase(session, tracker.sender_id)
                new_events: Iterable[Event] = events[erase_from:]
            else:
                new_events = list(self._additional_events(session, tracker))

            stored: List[Dict[str, Any]] = []
            for event in new_events:
                data = event.as_dict()
                if not consent:
                    data = privacy.redact_event_dict(data)
                stored.append(data)
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=(data.get("parse_data") or {}).get("intent", {}).get("name"),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            if consent and erase_from is None:
                self._write_transcript(session, tracker, events)
            session.commit()
        self._publish(tracker.sender_id, stored)

    def _erase_index(
        self, session: Session, tracker: DialogueStateTracker, events: List[Event]
    ) -> Optional[int]:
        """Index of an erasure marker among the events not stored yet, if any."""
        stored = self._event_query(
            session, tracker.sender_id, fetch_events_from_all_sessions=False
        ).count()
        marker = None
        for index in range(stored, len(events)):
            event = events[index]
            if isinstance(event, SlotSet) and event.key == ERASE_SLOT and event.value:
                marker = index
        return marker

    def _erase(self, session: Session, sender_id: str) -> None:
        session.execute(delete(self.SQLEvent).where(self.SQLEvent.sender_id == sender_id))
        # The action already deleted the case; this covers a case row that a concurrent
        # transcript write may have recreated.
        session.execute(delete(Student).where(Student.sender_id == sender_id))
        logger.info("Erased stored conversation on request.")

    # -- transcript ---------------------------------------------------------------------

    def _write_transcript(
        self, session: Session, tracker: DialogueStateTracker, events: List[Event]
    ) -> None:
        student = session.execute(
            select(Student).where(Student.sender_id == tracker.sender_id)
        ).scalar_one_or_none()
        if student is None:  # consent is recorded by the action server; not yet there
            return

        session_start_index, session_start_ts = self._session_start(events)
        chat_session = self._chat_session(session, student, session_start_ts, events)
        since = events[session_start_index:]
        if not since:
            return
        first_ts = since[0].timestamp or 0.0
        seen = set(
            session.execute(
                select(Message.rasa_event_ts, Message.role).where(
                    Message.student_id == student.id,
                    Message.rasa_event_ts >= first_ts,
                )
            ).all()
        )
        last_at = None
        for message in self._messages(since):
            key = (message["rasa_event_ts"], message["role"])
            if key in seen:
                continue
            seen.add(key)
            session.add(Message(student_id=student.id, session_id=chat_session.id, **message))
            last_at = message["at"]
        if last_at is not None:
            student.last_active_at = last_at
            chat_session.last_event_at = last_at
            channel = tracker.get_latest_input_channel()
            if channel and student.channel in (None, "", "rest") and channel != "rest":
                student.channel = channel
            metadata = (tracker.latest_message.metadata if tracker.latest_message else None) or {}
            if metadata.get("display_name"):
                student.display_name = str(metadata["display_name"])[:128]
            if metadata.get("channel_address"):
                student.channel_address = str(metadata["channel_address"])[:128]

    @staticmethod
    def _session_start(events: List[Event]) -> Tuple[int, Optional[float]]:
        for index in range(len(events) - 1, -1, -1):
            if isinstance(events[index], SessionStarted):
                return index, events[index].timestamp
        return 0, None

    @staticmethod
    def _chat_session(
        session: Session, student: Student, start_ts: Optional[float], events: List[Event]
    ) -> ChatSession:
        key = start_ts if start_ts is not None else (events[0].timestamp if events else None)
        row = session.execute(
            select(ChatSession).where(
                ChatSession.student_id == student.id, ChatSession.rasa_session_start == key
            )
        ).scalar_one_or_none()
        if row is None:
            row = ChatSession(
                student_id=student.id,
                rasa_session_start=key,
                started_at=_ts(key),
                last_event_at=_ts(key),
            )
            session.add(row)
            session.flush()
        return row

    @staticmethod
    def _messages(events: List[Event]) -> Iterable[Dict[str, Any]]:
        """User and bot messages with what a counselor needs to see next to them."""
        pending_user: Optional[Dict[str, Any]] = None
        for event in events:
            if isinstance(event, UserUttered):
                if pending_user is not None:
                    yield pending_user
                intent = event.intent or {}
                pending_user = {
                    "role": "user",
                    "text": event.text or "",
                    "at": _ts(event.timestamp),
                    "rasa_event_ts": event.timestamp,
                    "intent": intent.get("name"),
                    "confidence": intent.get("confidence"),
                    "slots": {},
                    "extra": _user_extra(event),
                }
            elif isinstance(event, SlotSet):
                if pending_user is not None and event.key not in privacy.INTERNAL_SLOTS:
                    pending_user["slots"][event.key] = event.value
            elif isinstance(event, BotUttered):
                if pending_user is not None:
                    yield pending_user
                    pending_user = None
                data = event.data or {}
                extra = {k: v for k, v in data.items() if v and k in ("buttons", "image", "attachment", "custom")}
                # A counselor's reply (console take-over) is appended as a bot event
                # carrying the counselor's name in its metadata.
                counselor = (event.metadata or {}).get("counselor")
                if counselor:
                    extra["counselor"] = counselor
                # A knowledge answer carries its topic and sources (shown to counselors).
                if (event.metadata or {}).get("knowledge"):
                    extra["knowledge"] = event.metadata["knowledge"]
                if (event.metadata or {}).get("format"):
                    extra["format"] = event.metadata["format"]
                yield {
                    "role": "counselor" if counselor else "bot",
                    "text": event.text or "",
                    "at": _ts(event.timestamp),
                    "rasa_event_ts": event.timestamp,
                    "intent": None,
                    "confidence": None,
                    "slots": None,
                    "extra": extra or None,
                }
        if pending_user is not None:
            yield pending_user
