"""Sparse linear text models shared by the project's NLU components.

A message is read through two views, both TF-IDF weighted: the characters of the folded
text (1–3-grams; Chinese meaning lives in characters, and typos or unseen words still share
most of them) and the tokens of the project's jieba tokenizer (words and word pairs; the
dictionary knows every major, region and exam). A logistic regression on top gives
probabilities, trains in seconds on the whole training set and predicts in well
under a millisecond, which is what lets the assistant hold many knowledge topics and a
separate in-domain gate within the training and latency budgets (bench/nlu_bench.py
measures it against DIET).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from scipy.sparse import csr_matrix, hstack

from bot.textnorm import fold

# A document is (folded text, token texts).
Doc = Tuple[str, Tuple[str, ...]]
_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"\d+(\.\d+)?")


def _chars(doc: Doc) -> List[str]:
    text = _NUMBER.sub("0", _SPACE.sub(" ", doc[0]))
    grams: List[str] = []
    for n in (1, 2, 3):
        grams.extend(text[i:i + n] for i in range(max(0, len(text) - n + 1)))
    return grams


def _words(doc: Doc) -> List[str]:
    tokens = [_NUMBER.sub("0", t) for t in doc[1] if t.strip() and not re.fullmatch(r"[\W_]+", t)]
    return tokens + [a + " " + b for a, b in zip(tokens, tokens[1:])]


def make_doc(text: str, tokens: Optional[Iterable[str]] = None) -> Doc:
    folded = fold(text or "")
    if tokens is None:
        import jieba

        tokens = jieba.lcut(folded)
    return folded, tuple(fold(t) for t in tokens)


class TextVectorizer:
    """Character and word TF-IDF, fitted on the training documents."""

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.chars = TfidfVectorizer(analyzer=_chars, sublinear_tf=True, min_df=1, dtype=np.float32)
        self.words = TfidfVectorizer(analyzer=_words, sublinear_tf=True, min_df=1, dtype=np.float32)

    def fit_transform(self, docs: Sequence[Doc]) -> csr_matrix:
        return hstack([self.chars.fit_transform(docs), self.words.fit_transform(docs)]).tocsr()

    def transform(self, docs: Sequence[Doc]) -> csr_matrix:
        return hstack([self.chars.transform(docs), self.words.transform(docs)]).tocsr()

    def known_words(self, doc: Doc) -> int:
        vocab = self.words.vocabulary_
        return sum(1 for w in _words(doc) if " " not in w and w in vocab)


def logistic_regression(alpha: float, balanced: bool = True, seed: int = 1, epochs: int = 50,
                        loss: str = "log_loss") -> Any:
    """Multinomial-free logistic regression by SGD (one-vs-rest, log loss): on these sparse
    features it scores as well as lbfgs and trains 20-30x faster (bench/nlu_bench.py).
    ``loss="modified_huber"`` (a smoothed hinge; probabilities are the clipped margin) is compared
    for the in-domain gate by ``python -m bench.nlu_bench gate-cv``."""
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(loss=loss, alpha=alpha, max_iter=epochs, tol=None,
                         class_weight="balanced" if balanced else None, random_state=seed)


def weights_of(model: Any) -> np.ndarray:
    """The transposed coefficients, C-contiguous: what ``probabilities`` multiplies by."""
    return np.ascontiguousarray(model.coef_.T)


def probabilities(model: Any, matrix: csr_matrix, weights: Optional[np.ndarray] = None) -> np.ndarray:
    """``model.predict_proba(matrix)`` for the log-loss models. sklearn multiplies the sparse rows
    by ``coef_.T``, a transposed view that scipy copies whole on every call (features × classes,
    tens of megabytes for the knowledge selector): most of a parse's time. With the transposed
    weights kept contiguous (``weights_of``) the product is the same without the copy."""
    if weights is None or getattr(model, "loss", "log_loss") != "log_loss":
        return model.predict_proba(matrix)
    from scipy.special import expit

    scores = np.asarray(matrix @ weights, dtype=np.float64) + model.intercept_
    probs = expit(scores)
    if probs.shape[1] == 1:   # binary: sklearn's columns are (classes_[0], classes_[1])
        return np.hstack([1 - probs, probs])
    return probs / probs.sum(axis=1, keepdims=True)


def ranking(model: Any, matrix: csr_matrix, top: int = 10,
            weights: Optional[np.ndarray] = None) -> List[List[Tuple[str, float]]]:
    """Per row: (label, probability), best first."""
    probs = probabilities(model, matrix, weights)
    labels = model.classes_
    out = []
    for row in probs:
        order = np.argsort(-row)[:top]
        out.append([(str(labels[i]), float(row[i])) for i in order])
    return out


def files_digest(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        if path.is_file():
            digest.update(str(path.name).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
