"""bot/rasa_patches.py: the cached check of action-server responses keeps Rasa's behaviour."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

import bot.tracker_store  # noqa: F401  - importing it applies the patch, as in `rasa run`
from bot import rasa_patches


def test_importing_the_tracker_store_applies_the_patch():
    assert RemoteAction._validate_action_result.__module__ == rasa_patches.__name__


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
    before = RemoteAction._validate_action_result
    rasa_patches.apply()
    assert RemoteAction._validate_action_result is before
