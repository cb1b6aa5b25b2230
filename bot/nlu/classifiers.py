"""The project's intent classifier and knowledge-topic selector (Rasa graph components).

* ``LinearIntentClassifier`` predicts the intent (retrieval intents count as one, ``faq``).
* ``KnowledgeSelector`` picks the knowledge topic (``faq/<key>``) for every message and writes
  it where Rasa's ResponseSelector would (``response_selector.faq``), so ``utter_faq``,
  the console and the actions read it as before. It also scores each question of a message
  that asks two ("国考几月报名？专科能报吗？") under ``response_selector.faq.questions``.

Both are sparse linear models (bot/nlu/linear.py): they train in seconds, which keeps the
full training within budget with many topics and a separate in-domain gate.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import joblib

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.config import ROOT
from bot import rasa_patches
from bot.nlu import linear, speech_act

logger = logging.getLogger(__name__)

# Rasa imports this module in `rasa train` and `rasa run`: its rule and event lookups cache what
# they decode from here on (bot/rasa_patches.py, section 2); RulePolicy training checks every
# rule against every story turn and decoded each rule's JSON key again each time.
rasa_patches.apply_lookups()
MODEL_FILE = "model.joblib"
RETRIEVAL_INTENT = "faq"


def doc_of(message: Message) -> linear.Doc:
    tokens = [t.text for t in (message.get(TOKENS_NAMES[TEXT]) or [])]
    return linear.make_doc(message.get(TEXT) or "", tokens)


class _LinearComponent(GraphComponent):
    """Fit/persist/load plumbing shared by the two components."""

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Optional[Dict[str, Any]] = None) -> None:
        self.component_config = config
        self._model_storage = model_storage
        self._resource = resource
        self.model = model or {}

    @classmethod
    def required_components(cls) -> List[type]:
        return [Tokenizer]

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "_LinearComponent":
        return cls(config, model_storage, resource)

    def _persist(self) -> Resource:
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self.model, directory / MODEL_FILE)
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "_LinearComponent":
        try:
            with model_storage.read_from(resource) as directory:
                model = joblib.load(directory / MODEL_FILE)
        except (ValueError, OSError, EOFError):
            logger.warning("%s: no trained model found; predictions stay empty", cls.__name__)
            model = {}
        if model.get("clf") is not None:
            model["weights"] = linear.weights_of(model["clf"])   # not persisted: derived at load
        return cls(config, model_storage, resource, model)

    def _fit(self, docs: List[linear.Doc], labels: List[str]) -> None:
        vectorizer = linear.TextVectorizer()
        matrix = vectorizer.fit_transform(docs)
        clf = linear.logistic_regression(float(self.component_config["alpha"]),
                                         balanced=bool(self.component_config.get("balanced", True)),
                                         seed=int(self.component_config.get("random_seed", 1)),
                                         epochs=int(self.component_config.get("epochs", 50)))
        clf.fit(matrix, labels)
        self.model = {"vectorizer": vectorizer, "clf": clf}

    def _rank(self, docs: List[linear.Doc], top: int = 10) -> List[List[tuple]]:
        if not self.model or not docs:
            return [[] for _ in docs]
        return linear.ranking(self.model["clf"], self.model["vectorizer"].transform(docs), top,
                              self.model.get("weights"))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        # Real questions are read from disk, not passed through the graph: a change must retrain.
        return linear.files_digest(corpus_files(config.get("question_corpora") or []))

    def real_questions(self) -> List[Dict[str, Any]]:
        """The training part of the real questions (corpora/questions; held-out lines never)."""
        return corpus_lines(list(self.component_config.get("question_corpora") or []), "questions")


def corpus_files(rel_dirs: List[str]) -> List[Path]:
    files: List[Path] = []
    for rel in rel_dirs:
        path = ROOT / rel
        files.extend(sorted(path.glob("*.jsonl")) if path.is_dir() else [path])
    return files


def corpus_lines(rel_dirs: List[str], kind: str) -> List[Dict[str, Any]]:
    """Training lines of the real-text corpora (corpora/split.py decides what is held out)."""
    from corpora.split import split_of

    rows = []
    for file in corpus_files(rel_dirs):
        with open(file, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                row = json.loads(line)
                text = str(row.get("text") or "").strip()
                if text and split_of(text, kind) == "train":
                    rows.append(row)
    return rows


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(_LinearComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"alpha": 2e-5, "epochs": 50, "balanced": True, "random_seed": 1, "ranking_length": 10,
                "question_corpora": ["corpora/questions"]}

    def train(self, training_data: TrainingData) -> Resource:
        docs, labels = [], []
        intents = set()
        for example in training_data.intent_examples:
            if example.get(TEXT):
                docs.append(doc_of(example))
                labels.append(example.get(INTENT))
                intents.add(example.get(INTENT))
        for row in self.real_questions():
            label = str(row.get("label") or "")
            label = RETRIEVAL_INTENT if label.startswith(RETRIEVAL_INTENT + "/") else label
            if label in intents:
                docs.append(linear.make_doc(row["text"]))
                labels.append(label)
        if len(set(labels)) >= 2:
            self._fit(docs, labels)
        return self._persist()

    def process(self, messages: List[Message]) -> List[Message]:
        todo = [m for m in messages if m.get(TEXT)]
        ranked = self._rank([doc_of(m) for m in todo], int(self.component_config["ranking_length"]))
        for message, ranking in zip(todo, ranked):
            if not ranking:
                continue
            name, confidence = ranking[0]
            message.set(INTENT, {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [{INTENT_NAME_KEY: n, PREDICTED_CONFIDENCE_KEY: c} for n, c in ranking],
                        add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class KnowledgeSelector(_LinearComponent):
    """Selects the knowledge topic of a question, in ResponseSelector's output format."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"alpha": 2e-5, "epochs": 50, "balanced": True, "random_seed": 1, "ranking_length": 5,
                "question_corpora": ["corpora/questions"]}

    def train(self, training_data: TrainingData) -> Resource:
        from bot import knowledge_base

        docs, labels = [], []
        for example in training_data.intent_examples:
            key = example.get_full_intent()   # "faq/<key>"
            if example.get(INTENT) == RETRIEVAL_INTENT and "/" in key and example.get(TEXT):
                docs.append(doc_of(example))
                labels.append(key)
        known = set(labels)
        # Each topic's title, and the training part of the real questions.
        for key, topic in knowledge_base.topics().items():
            if f"{RETRIEVAL_INTENT}/{key}" in known:
                docs.append(linear.make_doc(topic.title))
                labels.append(f"{RETRIEVAL_INTENT}/{key}")
        for row in self.real_questions():
            if row.get("label") in known:
                docs.append(linear.make_doc(row["text"]))
                labels.append(row["label"])
        if len(set(labels)) >= 2:
            self._fit(docs, labels)
        return self._persist()

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        # Topic titles come from knowledge/topics; real questions from corpora/questions.
        return linear.files_digest(corpus_files(list(config.get("question_corpora") or []) + ["knowledge/topics"]))

    @staticmethod
    def _result(ranking: List[tuple]) -> Dict[str, Any]:
        key, confidence = ranking[0]
        return {
            "response": {
                "responses": None,
                "confidence": confidence,
                "intent_response_key": key,
                "utter_action": f"utter_{key}",
            },
            "ranking": [{"confidence": c, "intent_response_key": k} for k, c in ranking],
        }

    def process(self, messages: List[Message]) -> List[Message]:
        length = int(self.component_config["ranking_length"])
        for message in messages:
            text = message.get(TEXT) or ""
            if not text or text.startswith("/"):
                continue
            ranked = self._rank([doc_of(message)], length)[0]
            if not ranked:
                continue
            main = speech_act.main_question(text)
            if main and main != text:
                # A long message: a story, then the question. The question decides the topic
                # when it is clearer on its own than the whole text.
                own = self._rank([linear.make_doc(main)], length)[0]
                if own and own[0][1] > ranked[0][1]:
                    ranked = own + [r for r in ranked if r[0] not in {k for k, _ in own}]
                    ranked = ranked[:length]
            result = self._result(ranked)
            spans = speech_act.split_questions(text)
            if len(spans) > 1:
                docs = [linear.make_doc(piece) for _, _, piece in spans]
                result["questions"] = [
                    {"start": start, "end": end, "text": text[start:end], "key": r[0][0], "confidence": r[0][1]}
                    for (start, end, _), r in zip(spans, self._rank(docs, 1)) if r]
            selector = dict(message.get("response_selector") or {})
            selector["all_retrieval_intents"] = [RETRIEVAL_INTENT]
            selector[RETRIEVAL_INTENT] = result
            message.set("response_selector", selector, add_to_output=True)
        return messages
