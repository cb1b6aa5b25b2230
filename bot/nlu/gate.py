"""The gate between what the classifiers guess and what the dialogue acts on.

Runs after the intent classifier and the knowledge selector, before the fallback:

It runs after the FallbackClassifier, so it has the last word: a low-confidence guess
(``nlu_fallback``) may still be a clear knowledge question.

1. **In domain or not.** A binary classifier (real out-of-domain text from corpora/ood and
   the team's out_of_scope examples, against every in-domain example and the real
   questions of corpora/questions; held-out lines never) scores the message. Out of domain
   becomes ``out_of_scope`` with no entities: it starts no flow and fills no slot.
2. **Follow-ups.** "那湖北的呢", "广东呢" become ``follow_up`` with the target marked, so the
   dialogue re-runs what it just showed instead of changing the profile.
3. **A question is not a command** (bot/nlu/speech_act.py). An intent that starts a flow or
   writes to the case runs only when the message asks for it. Otherwise the message is a
   question: it goes to the knowledge topic the selector found, or to ``nlu_fallback`` with
   what was guessed, so the assistant can offer a one-tap choice.
4. **Whose facts.** Profile entities in a question, a hypothetical or about someone else
   get the role ``mentioned``; facts the student states about themself inside a question get
   ``offered``. Slot mappings without a role ignore both; the dialogue offers the second.

What the gate did is written to the parse data under ``gate`` (shown in the console).
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
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

from bot.nlu import linear, speech_act
from bot.nlu.classifiers import RETRIEVAL_INTENT, _LinearComponent, corpus_files, corpus_lines, doc_of

logger = logging.getLogger(__name__)

OUT_OF_SCOPE = "out_of_scope"
FOLLOW_UP = "follow_up"
IN, OUT = "in", "out"
# Intents a follow-up replaces: what a short "那湖北的呢" is usually mistaken for.
FOLLOWUP_FROM = {"inform", RETRIEVAL_INTENT, "check_my_eligibility", DEFAULT_NLU_FALLBACK_INTENT_NAME,
                 "compare_ratios", "ask_post_info", OUT_OF_SCOPE, FOLLOW_UP}
# A very short message of these ("好", "谢谢", "不用了") is about the conversation itself.
CONVERSATIONAL = {"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "stop", "skip_question",
                  "resume", "help", "undo"}
SHORT = 4


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class DomainGate(_LinearComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "alpha": 2e-5,
            "epochs": 50,
            "balanced": True,
            "random_seed": 1,
            "ood_threshold": 0.5,
            # A demoted request becomes the knowledge answer above this selector confidence
            # (when phrased as a question; above faq_sure whatever the wording).
            "faq_threshold": 0.35,
            "faq_sure": 0.5,
            "ood_corpora": ["corpora/ood"],
            "question_corpora": ["corpora/questions"],
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        # The corpora are read from disk, not passed through the graph: a change must retrain.
        config = {**cls.get_default_config(), **config}
        return linear.files_digest(corpus_files(list(config["ood_corpora"]) + list(config["question_corpora"])))

    def train(self, training_data: TrainingData) -> Resource:
        docs: List[linear.Doc] = []
        labels: List[str] = []
        for example in training_data.intent_examples:
            if example.get(TEXT):
                docs.append(doc_of(example))
                labels.append(OUT if example.get(INTENT) == OUT_OF_SCOPE else IN)
        for row in corpus_lines(list(self.component_config.get("ood_corpora") or []), "ood"):
            docs.append(linear.make_doc(row["text"]))
            labels.append(OUT)
        for row in self.real_questions():
            docs.append(linear.make_doc(row["text"]))
            labels.append(OUT if row.get("label") == OUT_OF_SCOPE else IN)
        if len(set(labels)) == 2:
            self._fit(docs, labels)
        return self._persist()

    # -- prediction --------------------------------------------------------------------------

    def ood_probability(self, message: Message) -> float:
        ranked = self._rank([doc_of(message)], 2)[0]
        return dict(ranked).get(OUT, 0.0)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if not text.strip() or text.startswith("/"):
                continue
            self._decide(message, text)
        return messages

    def _decide(self, message: Message, text: str) -> None:
        intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        confidence = float((message.get(INTENT) or {}).get(PREDICTED_CONFIDENCE_KEY) or 0.0)
        entities = list(message.get(ENTITIES) or [])
        faq_key, faq_confidence = self._faq(message)
        info: Dict[str, Any] = {"predicted": intent, "confidence": round(confidence, 4)}

        p_ood = self.ood_probability(message) if self.model else 0.0
        info["ood"] = round(p_ood, 4)
        short_talk = intent in CONVERSATIONAL and len(text.strip()) <= SHORT
        if p_ood >= float(self.component_config["ood_threshold"]) and not short_talk \
                and not speech_act.names_the_path(text):
            info["action"] = "out_of_domain"
            self._set_intent(message, OUT_OF_SCOPE, p_ood)
            message.set(ENTITIES, [], add_to_output=True)
            message.set("gate", info, add_to_output=True)
            return

        if speech_act.is_followup(text, entities) and intent in FOLLOWUP_FROM:
            info["action"] = "follow_up"
            for entity in entities:
                if entity.get("entity") in ("location", "exam", "grad_year"):
                    entity["role"] = speech_act.FOLLOWUP
            message.set(ENTITIES, entities, add_to_output=True)
            self._set_intent(message, FOLLOW_UP, max(confidence, 0.9))
            message.set("gate", info, add_to_output=True)
            return

        act = speech_act.judge(intent or "", text)
        question = speech_act.is_question(text)
        if not act.keep:
            info["demoted"] = intent
            info["reason"] = act.reason
            sure = faq_confidence >= float(self.component_config["faq_sure"])
            if faq_key and faq_confidence >= float(self.component_config["faq_threshold"]) \
                    and (question or not act.ask or sure):
                info["action"] = "answer_question"
                intent = RETRIEVAL_INTENT
                self._set_intent(message, intent, faq_confidence)
            else:
                info["action"] = "ask"
                intent = DEFAULT_NLU_FALLBACK_INTENT_NAME
                self._set_intent(message, intent, confidence)
        elif intent in ("inform", DEFAULT_NLU_FALLBACK_INTENT_NAME) and question and faq_key \
                and faq_confidence >= float(self.component_config["faq_threshold"]):
            # "27岁还来得及吗": facts inside a question; the question is what to answer. A
            # question the intent classifier was unsure about is answered when the topic is clear.
            info["action"] = "answer_question"
            info["demoted"] = intent
            intent = RETRIEVAL_INTENT
            self._set_intent(message, intent, faq_confidence)

        roles = 0
        for entity in entities:
            if entity.get("entity") in speech_act.PROFILE_ENTITIES and not entity.get("role"):
                role = speech_act.entity_role(text, entity, intent=intent, others=entities)
                if role:
                    entity["role"] = role
                    roles += 1
        if roles:
            message.set(ENTITIES, entities, add_to_output=True)
            info["roles"] = {e["entity"]: e["role"] for e in entities if e.get("role")}
        message.set("gate", info, add_to_output=True)

    @staticmethod
    def _faq(message: Message) -> Tuple[Optional[str], float]:
        selector = (message.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
        response = selector.get("response") or {}
        return response.get("intent_response_key"), float(response.get("confidence") or 0.0)

    @staticmethod
    def _set_intent(message: Message, name: str, confidence: float) -> None:
        message.set(INTENT, {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: float(confidence)}, add_to_output=True)
        ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get(INTENT_NAME_KEY) != name]
        message.set(INTENT_RANKING_KEY, [{INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: float(confidence)}] + ranking,
                    add_to_output=True)
