"""What counts as personal data in a conversation, and how it is kept out of storage.

Shared by the tracker store (redaction before writing), the action server (clearing
personal slots without consent) and logging (a filter that keeps message text out of logs).
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any, Dict

CONSENT_SLOT = "consent"
CONSENT_GIVEN = "given"
CONSENT_REFUSED = "refused"

# Set by action_delete_my_data; the tracker store erases the stored conversation on it.
ERASE_SLOT = "data_erased_at"

REDACTED = "［未经同意，内容未保存］"

# Slots that hold facts about the student. Without consent they are never stored.
PROFILE_SLOTS = (
    "age",
    "education",
    "major",
    "grad_year",
    "fresh_graduate",
    "political_status",
    "experience_years",
    "target_region",
    "target_exam",
    "gender",
    "hukou",
)
PERSONAL_SLOTS = PROFILE_SLOTS + (
    "sa_answer",
    "interview_draft",
    "feedback_comment",
    "complaint_text",
    "counselor_request_text",
)

# Bookkeeping slots that are not shown as "slots set" in the counselor's transcript.
INTERNAL_SLOTS = {"requested_slot", "awaiting", "data_erased_at", "session_started_metadata"}


def redact_event_dict(data: Dict[str, Any]) -> Dict[str, Any]:
    """Returns a copy of a serialised Rasa event with personal content removed."""
    event = data.get("event")
    if event == "user":
        out = copy.deepcopy(data)
        out["text"] = REDACTED
        out["metadata"] = {}
        parse = out.get("parse_data") or {}
        if parse:
            parse["text"] = REDACTED
            parse["entities"] = []
            for selector in (parse.get("response_selector") or {}).values():
                if isinstance(selector, dict):
                    selector.pop("ranking", None)
        return out
    if event == "slot" and data.get("name") in PERSONAL_SLOTS and data.get("value") is not None:
        out = dict(data)
        out["value"] = None
        return out
    if event == "session_started" or (event == "slot" and data.get("name") == "session_started_metadata"):
        out = copy.deepcopy(data)
        if "metadata" in out:
            out["metadata"] = {}
        if event == "slot":
            out["value"] = None
        return out
    return data


_DIGITS = re.compile(r"\d{5,}")


class NoPersonalDataFilter(logging.Filter):
    """Drops the text of messages from log records of chatty libraries.

    Rasa and the SDK log user text at DEBUG level only; the product runs at INFO. This
    filter is a second line: it masks long digit runs (phone numbers, chat ids) in any
    record that still gets through.
    """

    def filter(self, record: logging.LogRecord) -> bool:  # pragma: no cover - trivial
        try:
            message = record.getMessage()
        except Exception:
            return True
        masked = _DIGITS.sub("…", message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True
