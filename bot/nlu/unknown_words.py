"""Falls back when a message without Chinese shares no word with the training data.

DIET classifies every message into some intent, and a softmax is confident about
anything far enough from the training data: "qwpeoiru zxmcnv" came out as ``goodbye`` at
0.80 and ended the conversation. Chinese text is read through its characters, which the
model nearly always knows, so this guard leaves it alone. A message with no Chinese
character (Latin letters, digits, emoji...) is different: if none of its words occurs in
the training examples and nothing in it was recognised as an entity, the prediction says
nothing about the student's intent, and the honest answer is "I did not understand"
(``nlu_fallback``), as for a low-confidence prediction.

The vocabulary is the set of (folded) token texts of the training examples, saved with
the model.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Set, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

VOCABULARY_FILE = "vocabulary.json"
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Tokens that carry no meaning of their own: whitespace and punctuation.
_BLANK = re.compile(r"^[\s\W_]*$")


def _words(message: Message) -> List[str]:
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return [t.text.lower() for t in tokens if not _BLANK.match(t.text)]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class UnknownWordsFallback(GraphComponent, IntentClassifier):
    """Predicts ``nlu_fallback`` for non-Chinese messages made only of unseen words."""

    @classmethod
    def required_components(cls) -> List[type]:
        return [Tokenizer]   # runs after the classifiers: its place in config.yml says so

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 vocabulary: Optional[Set[str]] = None) -> None:
        self.component_config = config
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary: Set[str] = vocabulary or set()

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "UnknownWordsFallback":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        vocabulary: Set[str] = set()
        for example in training_data.training_examples:
            vocabulary.update(_words(example))
        self.vocabulary = vocabulary
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(
                json.dumps(sorted(vocabulary), ensure_ascii=False), encoding="utf-8")
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "UnknownWordsFallback":
        try:
            with model_storage.read_from(resource) as directory:
                words = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        except (ValueError, OSError):
            words = []
        return cls(config, model_storage, resource, set(words))

    def should_fall_back(self, message: Message) -> bool:
        text = message.get(TEXT) or ""
        if not self.vocabulary or text.startswith("/") or _CJK.search(text):
            return False
        if message.get(ENTITIES):
            return False
        words = _words(message)
        if not words or any(any(ch.isdigit() for ch in word) for word in words):
            return False   # a number is an answer (a score, a year, an age) even when unseen
        return not any(word in self.vocabulary for word in words)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get(INTENT_NAME_KEY) == DEFAULT_NLU_FALLBACK_INTENT_NAME:
                continue
            if not self.should_fall_back(message):
                continue
            fallback = {INTENT_NAME_KEY: DEFAULT_NLU_FALLBACK_INTENT_NAME, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.set(INTENT, fallback, add_to_output=True)
            ranking = message.get(INTENT_RANKING_KEY) or []
            message.set(INTENT_RANKING_KEY, [dict(fallback)] + list(ranking), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
