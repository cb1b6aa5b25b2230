"""Two changes to Rasa 3.6, applied in the Rasa server process.

1. Reading a message in its conversation (bot/nlu/context.py): ``MessageProcessor.parse_message``
   gets the tracker; a message that is the title of a button just shown is parsed as that
   button's payload (keeping the text the student typed); inside a form the form's own
   request is not demoted by the NLU gate; after the study plan was shown, "下周出差" adjusts it.
2. A measured speed fix, below.

After every custom action, Rasa's ``RemoteAction._validate_action_result`` checks the
action server's response with ``jsonschema.validate(result, spec)``. With jsonschema 4.17
(the version Rasa 3.6 allows), that call first validates the *schema itself* against the
draft-2020-12 meta-schema, every time. The profile of a running assistant (py-spy, bench
turns) put half of Rasa's CPU time there, for a schema that never changes.

``apply()`` swaps in the same check with the validator built once: the same schema, the
same errors (``best_match``, as ``jsonschema.validate`` raises) and the same message.
It is called when Rasa imports the project's tracker store (bot/tracker_store.py, named
by both endpoints files), so it is in effect wherever ``rasa run`` serves this project.
Idempotent.
"""

from __future__ import annotations

from typing import Any, Dict, Text

_applied = False


def apply() -> None:
    global _applied
    if _applied:
        return
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
    _patch_typed_buttons()
    _applied = True


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
