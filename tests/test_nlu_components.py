"""Custom NLU components: the unknown-words fallback, and the help cue in free-text answers."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from actions.common import is_free_text_interruption
from bot.nlu.unknown_words import UnknownWordsFallback


def _message(text: str, intent: str = "goodbye", entities=None) -> Message:
    message = Message(data={"text": text})
    message.set(TOKENS_NAMES["text"], [Token(w, text.find(w)) for w in text.split()])
    message.set("intent", {"name": intent, "confidence": 0.8})
    message.set("intent_ranking", [{"name": intent, "confidence": 0.8}])
    if entities:
        message.set("entities", entities)
    return message


class _Storage:
    """Just enough of Rasa's ModelStorage for train()."""

    def __init__(self, tmp_path):
        self.path = tmp_path

    def write_to(self, resource):
        import contextlib

        @contextlib.contextmanager
        def ctx():
            yield self.path
        return ctx()

    read_from = write_to


@pytest.fixture()
def guard(tmp_path):
    storage = _Storage(tmp_path)
    component = UnknownWordsFallback({}, storage, SimpleNamespace(name="r"))
    examples = []
    for text in ("hello there", "ok", "Rating 5"):
        example = _message(text)
        example.set("intent", "greet")
        examples.append(example)
    component.train(TrainingData(examples))
    return UnknownWordsFallback.load({}, storage, SimpleNamespace(name="r"), None)


@pytest.mark.parametrize("text", ["qwpeoiru zxmcnv", "asdf", "zzz !!"])
def test_gibberish_without_chinese_falls_back(guard, text):
    [message] = guard.process([_message(text)])
    assert message.get("intent")["name"] == "nlu_fallback"
    assert message.get("intent_ranking")[0]["name"] == "nlu_fallback"
    assert message.get("intent_ranking")[1]["name"] == "goodbye"   # the model's guess stays visible


@pytest.mark.parametrize("text", ["hello", "OK", "rating foo", "2031", "/affirm", "你好 asdf", "qwer 本科"])
def test_known_words_numbers_buttons_and_chinese_are_left_alone(guard, text):
    [message] = guard.process([_message(text)])
    assert message.get("intent")["name"] == "goodbye"


def test_an_entity_is_enough_to_keep_the_prediction(guard):
    [message] = guard.process([_message("MPA", entities=[{"entity": "major", "value": "公共管理"}])])
    assert message.get("intent")["name"] == "goodbye"


def _tracker(text: str, intent: str, confidence: float = 0.95):
    return SimpleNamespace(latest_message={"text": text, "intent": {"name": intent, "confidence": confidence}})


@pytest.mark.parametrize("text,interrupts", [
    ("很有帮助", False),          # praise given as an answer
    ("对我帮助很大", False),
    ("没什么帮助", False),
    ("帮助", True),
    ("求帮助！", True),
    ("有没有帮助文档", True),
    ("你能干嘛", True),
    ("这个怎么用", True),
    ("help", True),
])
def test_help_interrupts_a_free_text_answer_only_when_asked_for(text, interrupts):
    assert is_free_text_interruption(_tracker(text, "help")) is interrupts
