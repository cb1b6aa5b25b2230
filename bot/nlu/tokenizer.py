"""Jieba tokenizer that first folds the variants students type into one form.

Rasa's ``JiebaTokenizer`` with the project's user dictionary, plus a character-for-
character normalisation before segmentation: traditional characters to simplified,
full-width letters and digits to ASCII, upper to lower case. Each character maps to
exactly one character, so token offsets still point into the original text and entity
annotations stay aligned; only the token texts (what the featurizers see) change.
"""

from __future__ import annotations

from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

from bot.textnorm import fold


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class NormalizingJiebaTokenizer(JiebaTokenizer):
    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        import jieba

        text = message.get(attribute)
        folded = fold(text)
        tokens = [Token(word, start) for (word, start, end) in jieba.tokenize(folded)]
        return self._apply_token_pattern(tokens)
