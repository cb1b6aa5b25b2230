"""bot/nlu/linear.py: the contiguous-weights product gives sklearn's probabilities."""

from __future__ import annotations

import numpy as np
import pytest

from bot.nlu import linear

TEXTS = [
    ("国考报名什么时候开始", "calendar"), ("省考一般几月份考试", "calendar"), ("今年国考几号笔试", "calendar"),
    ("公务员工资一个月多少", "salary"), ("基层公务员待遇怎么样", "salary"), ("年终奖有多少", "salary"),
    ("体检查什么项目", "medical"), ("高血压能过体检吗", "medical"), ("乙肝携带者能当公务员吗", "medical"),
]


@pytest.mark.parametrize("labels", ["multiclass", "binary"])
@pytest.mark.parametrize("loss", ["log_loss", "modified_huber"])
def test_probabilities_match_predict_proba(labels, loss):
    docs = [linear.make_doc(t, list(t)) for t, _ in TEXTS]
    y = [k if labels == "multiclass" else ("in" if k == "salary" else "out") for _, k in TEXTS]
    vectorizer = linear.TextVectorizer()
    clf = linear.logistic_regression(1e-3, loss=loss).fit(vectorizer.fit_transform(docs), y)
    queries = vectorizer.transform([linear.make_doc(t, list(t)) for t in ("体检血压多少算合格", "工资高吗", "天气")])
    expected = clf.predict_proba(queries)
    got = linear.probabilities(clf, queries, linear.weights_of(clf))
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    ranked = linear.ranking(clf, queries, 2, linear.weights_of(clf))
    assert [r[0][0] for r in ranked] == [clf.classes_[i] for i in expected.argmax(axis=1)]
