"""Intake: the basic facts of a student, validated, normalised, correctable and saved at once.

Two validators share one checker:

* ``action_validate_slot_mappings`` runs after every message. It normalises profile
  slots filled from entities anywhere in the conversation ("不对，我是硕士"), writes them
  to the case, and without consent clears them so nothing personal is kept.
* ``validate_intake_form`` additionally reads the answer to the question just asked from
  the raw text ("23", "没有", "区块链工程") when no entity was found.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker, ValidationAction
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    INTAKE_SLOTS,
    INTERRUPTIONS,
    SLOT_LABELS,
    SLOT_TO_FIELD,
    display,
    has_consent,
    offer_consent,
    profile_lines,
    register_ask_actions,
    say,
)
from bot import cases, normalize

SLOT_ENTITY = {
    "age": "age",
    "education": "education",
    "major": "major",
    "grad_year": "grad_year",
    "political_status": "political_status",
    "experience_years": "experience_years",
    "target_region": "location",
    "target_exam": "exam",
}
RULE_EXTRACTORS = ("SpacyEntityExtractor", "RegexEntityExtractor")

def _latest_entities(tracker: Tracker, entity: str) -> List[Any]:
    """Values of one entity type the student stated as their own in the latest message
    (no role: see bot/nlu/gate.py), rule-based extractors first."""
    found = [e for e in (tracker.latest_message.get("entities") or [])
             if e.get("entity") == entity and not e.get("role")]
    found.sort(key=lambda e: 0 if e.get("extractor") in RULE_EXTRACTORS else 1)
    return [e.get("value") for e in found]


def _fresh_graduate_from_year(year: int, today: Optional[dt.date] = None) -> Optional[bool]:
    """Still studying → fresh graduate; graduated over two years ago → not. Else ask."""
    today = today or dt.date.today()
    if year > today.year or (year == today.year and today.month < 7):
        return True
    if year <= today.year - 3:
        return False
    return None


# Forms whose questions are about the student's profile; elsewhere (no form active) a
# fact stated as `inform` is a correction.
PROFILE_FORMS = (None, "intake_form", "eligibility_form")


class ProfileChecker:
    """Validates profile slots of one turn against what the case already holds."""

    def __init__(self, tracker: Tracker, dispatcher: CollectingDispatcher, source: Optional[str] = None) -> None:
        self.tracker = tracker
        self.dispatcher = dispatcher
        self.consent = has_consent(tracker)
        self._stored: Optional[Dict[str, Any]] = None
        # How the value came: answering a form's question, stated in passing, or confirmed
        # after the assistant offered it. Kept in the profile history with the message.
        self.source = source or ("form" if tracker.active_loop_name else "stated")
        self.message = (tracker.latest_message.get("text") or "")[:500] or None

    @property
    def stored(self) -> Dict[str, Any]:
        if self._stored is None:
            self._stored = cases.load_profile(self.tracker.sender_id) if self.consent else {}
        return self._stored

    def check(self, slot: str, value: Any) -> Dict[str, Any]:
        if not self.consent:
            return {slot: None}  # never keep personal facts without consent
        field = SLOT_TO_FIELD[slot]
        previous = self.stored.get(field)
        if value is None:
            return {slot: previous}
        if self.tracker.active_loop_name not in PROFILE_FORMS:
            # An answer in one's own words (self-analysis, an interview about someone else)
            # may mention a major or an age; it is not a change of the student's profile.
            return {slot: previous}
        if value == normalize.SKIPPED:
            return {slot: value}

        candidates = []
        entity = SLOT_ENTITY.get(slot)
        if entity:
            candidates = [v for v in _latest_entities(self.tracker, entity) if v is not None]
        if value not in candidates:
            candidates.append(value)
        region = self.tracker.get_slot("target_region") or self.stored.get("target_region")
        result = None
        errors: List[str] = []
        for candidate in candidates:
            result = normalize.normalize(slot, candidate, region=region,
                                         education=self.tracker.get_slot("education"))
            if result.ok:
                break
            errors.append(result.error or "")
        if result is None or not result.ok:
            self.dispatcher.utter_message(text=errors[0])
            return {slot: previous}  # keep what was recorded before

        new = result.value
        out: Dict[str, Any] = {slot: new}
        updates: Dict[str, Any] = {field: new}
        if result.extra:
            updates.update(result.extra)
        if slot == "education":
            updates["degree"] = normalize.EDUCATION_DEGREE.get(new)
        if slot == "grad_year" and self.tracker.get_slot("fresh_graduate") is None \
                and self.stored.get("fresh_graduate") is None:
            fresh = _fresh_graduate_from_year(int(new))
            if fresh is not None:
                out["fresh_graduate"] = fresh
                updates["fresh_graduate"] = fresh
                say(self.dispatcher, "fresh_graduate_inferred", year=new,
                    status="算应届毕业生" if fresh else "已经不在两年择业期内，不算应届")
        if previous is not None and previous != new:
            say(self.dispatcher, "changed", label=SLOT_LABELS[slot], old=display(slot, previous),
                new=display(slot, new))
        changed = {k: v for k, v in updates.items() if self.stored.get(k) != v}
        if changed:
            self._stored = cases.save_profile(self.tracker.sender_id, source=self.source, message=self.message,
                                              **changed)
        return out


def validate_profile_slots(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """Checks every profile slot set in this turn (see ``ProfileChecker``)."""
    checker = ProfileChecker(tracker, dispatcher)
    out: Dict[str, Any] = {}
    for slot, value in tracker.slots_to_validate().items():
        if slot in SLOT_TO_FIELD:
            out.update(checker.check(slot, value))
    return [SlotSet(k, v) for k, v in out.items()]


class ValidateSlotMappings(ValidationAction):
    """Global validation of profile slots (inside and outside forms)."""

    def name(self) -> Text:
        return "action_validate_slot_mappings"

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        return validate_profile_slots(dispatcher, tracker)


class ValidateIntakeForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_intake_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        return list(INTAKE_SLOTS)

    async def get_extraction_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        slot = tracker.get_slot("requested_slot")
        if slot not in SLOT_TO_FIELD or tracker.slots_to_validate().get(slot) is not None:
            return []
        text = (tracker.latest_message.get("text") or "").strip()
        if not text or text.startswith("/"):
            return []
        intent = tracker.latest_message.get("intent") or {}
        name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
        if slot == "fresh_graduate" and name in ("affirm", "deny"):
            return []  # filled by the slot's from_intent mapping
        looks_valid = normalize.normalize(slot, text, region=tracker.get_slot("target_region")).ok
        if name in INTERRUPTIONS and confidence >= 0.6 and not looks_valid:
            return []
        if not looks_valid and name not in ("inform", "nlu_fallback", "deny", "out_of_scope"):
            return []
        if not looks_valid and slot != "experience_years" and name == "deny":
            return []
        return [SlotSet(slot, text)]

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        return validate_profile_slots(dispatcher, tracker)


def previous_slot_value(tracker: Tracker, slot: str) -> Any:
    """The value a slot had before the latest user message."""
    events = tracker.events or []
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))
    value = None
    for event in events[:last_user]:
        if event.get("event") == "slot" and event.get("name") == slot:
            value = event.get("value")
        elif event.get("event") in ("restart", "reset_slots"):
            value = None
    return value


class ActionConfirmProfileUpdate(Action):
    """The student told a fact outside a form: say what was recorded (or why not)."""

    def name(self) -> Text:
        return "action_confirm_profile_update"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        if not has_consent(tracker):
            say(dispatcher, "not_stored_without_consent")
            return offer_consent(dispatcher, tracker, intro=False)
        added, changed = [], False
        for slot in INTAKE_SLOTS:
            now = tracker.get_slot(slot)
            before = previous_slot_value(tracker, slot)
            if now is not None and now != before:
                if before is None:
                    added.append(f"{SLOT_LABELS[slot]}：{display(slot, now)}")
                else:
                    changed = True
        if added:
            say(dispatcher, "recorded", items="；".join(added))
        offer = offer_pending_facts(dispatcher, tracker)
        if any(e.get("name") == "awaiting" and e.get("value") == "facts_confirmation" for e in offer):
            return offer   # a bare fact out of the blue: confirmed with one tap first
        if not added and not changed and not _had_profile_entities(tracker):
            say(dispatcher, "nothing_recognised")
        missing = [s for s in INTAKE_SLOTS if tracker.get_slot(s) is None]
        if missing:
            which = "、".join(SLOT_LABELS[s] for s in missing[:3]) + ("等" if len(missing) > 3 else "")
            say(dispatcher, "intake_missing", count=len(missing), which=which)
        return offer


def _had_profile_entities(tracker: Tracker) -> bool:
    """The message named a fact (the validator has answered about it, e.g. with an error)."""
    wanted = set(SLOT_ENTITY.values())
    return any(e.get("entity") in wanted and not e.get("role") for e in (tracker.latest_message.get("entities") or []))


class ActionIntakeDone(Action):
    def name(self) -> Text:
        return "action_intake_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        profile = cases.load_profile(tracker.sender_id)
        if not profile:  # e.g. consent withdrawn meanwhile; fall back to the slots
            profile = {SLOT_TO_FIELD[s]: tracker.get_slot(s) for s in INTAKE_SLOTS}
        say(dispatcher, "intake_summary", profile=profile_lines(profile))
        say(dispatcher, "menu")
        return [SlotSet("paused_form", None)]


# -- facts offered for the profile, and undo (issue 9) -----------------------------------------

ENTITY_SLOT = {entity: slot for slot, entity in SLOT_ENTITY.items()}


def offered_facts(tracker: Tracker) -> Dict[str, Any]:
    """Facts the student stated about themself inside a question (role ``offered``),
    normalised, that differ from what the case holds: slot -> value."""
    stored = cases.load_profile(tracker.sender_id) if has_consent(tracker) else {}
    region = tracker.get_slot("target_region") or stored.get("target_region")
    out: Dict[str, Any] = {}
    for entity in tracker.latest_message.get("entities") or []:
        slot = ENTITY_SLOT.get(entity.get("entity"))
        if entity.get("role") != "offered" or slot is None or slot in out:
            continue
        result = normalize.normalize(slot, entity.get("value"), region=region,
                                     education=tracker.get_slot("education"))
        if result.ok and stored.get(SLOT_TO_FIELD[slot]) != result.value:
            out[slot] = result.value
    return out


def offer_pending_facts(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """After an answer: offers the student's own facts from the question for the profile
    (one tap), or clears an offer that is no longer current."""
    # In a form the questions ask for these facts anyway, and a yes/no there answers the form.
    facts = offered_facts(tracker) if has_consent(tracker) and not tracker.active_loop_name else {}
    if not facts:
        if tracker.get_slot("awaiting") == "facts_confirmation":
            return [SlotSet("pending_facts", None), SlotSet("awaiting", None)]
        return []
    items = "、".join(f"{SLOT_LABELS[s]}：{display(s, v)}" for s, v in facts.items())
    say(dispatcher, "facts_offer", items=items)
    pending = {"facts": facts, "message": (tracker.latest_message.get("text") or "")[:500]}
    return [SlotSet("pending_facts", pending), SlotSet("awaiting", "facts_confirmation")]


class ActionApplyPendingFacts(Action):
    """"记下来": the offered facts go into the profile (old → new shown, undo possible)."""

    def name(self) -> Text:
        return "action_apply_pending_facts"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        pending = tracker.get_slot("pending_facts") or {}
        facts = pending.get("facts") or {}
        events: List[EventType] = [SlotSet("pending_facts", None), SlotSet("awaiting", None)]
        if not facts or not has_consent(tracker):
            say(dispatcher, "facts_nothing_pending")
            return events
        stored = cases.load_profile(tracker.sender_id)
        updates: Dict[str, Any] = {}
        lines = []
        for slot, value in facts.items():
            field = SLOT_TO_FIELD[slot]
            old = stored.get(field)
            updates[field] = value
            if slot == "education":
                updates["degree"] = normalize.EDUCATION_DEGREE.get(value)
            lines.append(f"{SLOT_LABELS[slot]}：{display(slot, old)} → {display(slot, value)}" if old is not None
                         else f"{SLOT_LABELS[slot]}：{display(slot, value)}")
            events.append(SlotSet(slot, value))
        cases.save_profile(tracker.sender_id, source="offered", message=pending.get("message"), **updates)
        say(dispatcher, "facts_recorded", items="；".join(lines))
        return events


class ActionDropPendingFacts(Action):
    def name(self) -> Text:
        return "action_drop_pending_facts"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        say(dispatcher, "facts_not_recorded")
        return [SlotSet("pending_facts", None), SlotSet("awaiting", None)]


class ActionUndoProfileChange(Action):
    """"撤销": the values the latest change replaced are put back (one step)."""

    def name(self) -> Text:
        return "action_undo_profile_change"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        if not has_consent(tracker):
            say(dispatcher, "undo_nothing")
            return []
        undone = cases.undo_last_change(tracker.sender_id)
        if not undone:
            say(dispatcher, "undo_nothing")
            return []
        slot_of = {field: slot for slot, field in SLOT_TO_FIELD.items()}
        events: List[EventType] = []
        lines = []
        for change in undone:
            slot = slot_of.get(change["field"])
            if slot is None:
                continue
            lines.append(f"{SLOT_LABELS[slot]}：{display(slot, change['new'])} → {display(slot, change['old'])}")
            events.append(SlotSet(slot, change["old"]))
        say(dispatcher, "undo_done", items="；".join(lines))
        return events


register_ask_actions(globals(), INTAKE_SLOTS)
