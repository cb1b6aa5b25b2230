"""NLU on text the team did not write (issues 9 and 10), and the team-written cross-validation.

    python -m bench.nlu_bench realtext      # the trained model on the held-out real text
    python -m bench.nlu_bench cv            # 5-fold cross-validation on the team's examples
    python -m bench.nlu_bench baseline      # the previous pipeline (DIET + ResponseSelector) on
                                            # the same held-out text, trained in this run
    python -m bench.nlu_bench train-cv      # for data work: cross-validation inside the TRAINING
                                            # part of the real questions (never the held-out part)
    python -m bench.nlu_bench gate-cv       # how the gate's threshold was chosen (training text only)

Held-out text is the part of corpora/ that corpora/split.py keeps back; no model ever trains
on it. ``realtext`` parses it with the trained model (the whole NLU pipeline, gate included)
and reports:

* out of domain: the share answered as out of scope, the share that only got "not sure"
  (nlu_fallback), and the share that would have started a flow or changed the case;
* real questions: intent macro-F1 (faq counts as one intent), and for knowledge questions the
  right-topic rate, the honest "I don't know" rate and the wrong-answer rate; and the share of
  questions that would have started a flow or written to the case.

Results go to bench/results/nlu_realtext.json, nlu_cv.json, nlu_baseline.json.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.dialogue_bench import _run, _save  # noqa: E402
from bot.training import rasa_bin, rasa_env  # noqa: E402

# Intents that start a flow or write to the case (issue 9, rule 2), plus the other flows.
ACTING = {"log_candidate_interview", "complain", "give_feedback", "request_counselor", "shortlist_post",
          "delete_my_data", "restart", "get_report", "start_self_analysis", "start_interest_test",
          "check_my_eligibility", "ask_exam_strategy", "compare_ratios", "remove_post", "stop", "resume",
          "skip_question"}
# Of those, the ones that act only on a form in progress: outside a form (where realtext parses)
# "stop" only says goodbye and "skip_question" says there is nothing to skip (data/rules/
# conversation.yml), so nothing starts and nothing is written. Counted apart, not hidden.
FORM_ONLY = {"stop", "skip_question"}
# Intents whose entities may fill profile slots (domain.yml: not_intent lists the others).
NO_SLOT_FILL = {"faq", "log_candidate_interview", "out_of_scope", "ask_post_info", "compare_ratios",
                "follow_up", "undo", "nlu_fallback"}
PROFILE_ENTITIES = {"age", "education", "major", "political_status", "grad_year", "experience_years",
                    "location", "exam"}
NOT_ANSWERED = {"out_of_scope", "nlu_fallback"}
# Files of the third collection round (corpora/README.md): figures are also given without their
# held-out lines, so that they compare with runs made before the round.
THIRD_ROUND = {"more_2026_11_30.jsonl", "web_more.jsonl", "zhihu_crawler_more.jsonl"}


def _intent_label(label: str) -> str:
    return "faq" if label.startswith("faq/") else label


def acts(parse: Dict[str, Any], in_form: bool = True) -> bool:
    """Would this parse start a flow or change the case? ``in_form=False``: the message
    arrives outside a form, where the FORM_ONLY intents change nothing."""
    intent = (parse.get("intent") or {}).get("name")
    if intent in ACTING:
        return in_form or intent not in FORM_ONLY
    if intent in NO_SLOT_FILL:
        return False
    return any(e.get("entity") in PROFILE_ENTITIES and not e.get("role") for e in parse.get("entities") or [])


def faq_key(parse: Dict[str, Any]) -> Optional[str]:
    response = ((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}
    return response.get("intent_response_key")


class _NoForm:
    """A conversation with no form active and nothing shown yet: where a first message lands."""

    active_loop_name = None

    @staticmethod
    def get_slot(name: str) -> None:
        return None


async def _parse_all(model: Path, texts: Sequence[str], context_rules: bool = True) -> List[Dict[str, Any]]:
    """Each text parsed as the product parses a message outside a form: the model, then (with
    ``context_rules``) the rules Rasa applies before the policies (bot/nlu/context.py), e.g. a
    bare fact such as "化学" is offered with one tap, not written."""
    from rasa.core.agent import Agent

    from bot.nlu import context

    agent = Agent.load(str(model))
    parses = [await agent.parse_message(t) for t in texts]
    if context_rules:
        parses = [context.in_context(p, _NoForm()) for p in parses]
    return parses


def _macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    labels = sorted(set(gold))
    f1s = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, pred) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, pred) if g == label and p != label)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return sum(f1s) / len(f1s) if f1s else float("nan")


def _ood_rates(pairs: Sequence[Tuple[Optional[str], Dict[str, Any]]]) -> Dict[str, Any]:
    n = max(1, len(pairs))
    return {"n": len(pairs),
            "rejected_out_of_scope": round(sum(i == "out_of_scope" for i, _ in pairs) / n, 4),
            "rejected_incl_not_sure": round(sum(i in NOT_ANSWERED for i, _ in pairs) / n, 4),
            "would_act_count": sum(acts(p, in_form=False) for _, p in pairs)}


def _faq_right(parse: Dict[str, Any], row: Dict[str, Any]) -> bool:
    intent = (parse.get("intent") or {}).get("name")
    accepted = {x for x in [row["label"], *(row.get("also") or [])]}
    return (intent == "faq" and faq_key(parse) in accepted) or intent in accepted


def evaluate(parses_ood: Sequence[Dict[str, Any]], ood_rows: Sequence[Dict[str, Any]],
             parses_q: Sequence[Dict[str, Any]], q_rows: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """The figures of ``realtext`` (pure: parses in, numbers out)."""
    from actions.faq import runner_up
    from actions.session import out_of_scope_topic

    out: Dict[str, Any] = {}
    n = len(parses_ood)
    intents = [(p.get("intent") or {}).get("name") for p in parses_ood]
    by_source: Dict[str, List[bool]] = collections.defaultdict(list)
    for row, intent in zip(ood_rows, intents):
        by_source[str(row.get("source", "")).split(" (")[0]].append(intent == "out_of_scope")
    out["ood"] = {
        "n": n,
        "rejected_out_of_scope": round(sum(i == "out_of_scope" for i in intents) / n, 4),
        "rejected_incl_not_sure": round(sum(i in NOT_ANSWERED for i in intents) / n, 4),
        "would_act_or_change_case": round(sum(acts(p, in_form=False) for p in parses_ood) / n, 4),
        "would_act_count": sum(acts(p, in_form=False) for p in parses_ood),
        # The same parses if they had arrived in the middle of a form (stop/skip would act).
        "would_act_count_in_a_form": sum(acts(p) for p in parses_ood),
        "would_act_examples": [r["text"] for p, r in zip(parses_ood, ood_rows) if acts(p)][:10],
        "near_domain_rejected": round(sum(i in NOT_ANSWERED for i, r in zip(intents, ood_rows) if r.get("near"))
                                      / max(1, sum(1 for r in ood_rows if r.get("near"))), 4),
        "by_source_out_of_scope": {k: {"n": len(v), "rate": round(sum(v) / len(v), 3)} for k, v in sorted(by_source.items())},
        "before_third_round": _ood_rates([(i, p) for i, p, r in zip(intents, parses_ood, ood_rows)
                                          if r.get("_file") not in THIRD_ROUND]),
        # actions/session.py offers the selector's topic with the out-of-scope answer when it
        # is sure enough: the share of rejected out-of-domain lines that carry such a button.
        "rejected_with_topic_button": round(sum(i == "out_of_scope" and out_of_scope_topic(p) is not None
                                                for i, p in zip(intents, parses_ood))
                                            / max(1, sum(i == "out_of_scope" for i in intents)), 4),
        "goal": 0.97,
    }
    labelled = [(p, r) for p, r in zip(parses_q, q_rows) if not str(r["label"]).startswith("other:")]
    gold, pred = [], []
    for p, r in labelled:
        intent = (p.get("intent") or {}).get("name")
        accepted = [_intent_label(x) for x in [r["label"], *(r.get("also") or [])]]
        gold.append(_intent_label(r["label"]))
        pred.append(_intent_label(r["label"]) if intent in accepted else intent)
    faq = [(p, r) for p, r in labelled if str(r["label"]).startswith("faq/")]
    right = idk = wrong = offered = covered = 0
    for p, r in faq:
        if (p.get("intent") or {}).get("name") in NOT_ANSWERED:
            idk += 1
        elif _faq_right(p, r):
            right += 1
            covered += 1
        else:
            wrong += 1
        if (p.get("intent") or {}).get("name") == "faq":
            second = runner_up((p.get("response_selector") or {}).get("faq") or {})
            offered += second is not None
            covered += not _faq_right(p, r) and second in {r["label"], *(r.get("also") or [])}
    other = [(p, r) for p, r in zip(parses_q, q_rows) if str(r["label"]).startswith("other:")]
    faq_before = [(p, r) for p, r in faq if r.get("_file") not in THIRD_ROUND]
    out["questions"] = {
        "faq_right_topic_before_third_round": {"n": len(faq_before), "rate": round(
            sum(_faq_right(p, r) for p, r in faq_before) / max(1, len(faq_before)), 4)},
        "n_labelled": len(labelled),
        "intent_macro_f1": round(_macro_f1(gold, pred), 4),
        "intent_accuracy": round(sum(g == p for g, p in zip(gold, pred)) / max(1, len(gold)), 4),
        "faq_n": len(faq),
        "faq_right_topic": round(right / max(1, len(faq)), 4),
        "faq_dont_know": round(idk / max(1, len(faq)), 4),
        "faq_wrong": round(wrong / max(1, len(faq)), 4),
        # The runner-up topic offered as a button (actions/faq.py): how often, and the share
        # whose right topic was answered or one tap away. Not the goal figure, which counts
        # the answer given.
        "faq_runner_up_offered": round(offered / max(1, len(faq)), 4),
        "faq_right_answered_or_offered": round(covered / max(1, len(faq)), 4),
        # Knowledge questions rejected as out of domain whose right topic was one tap away.
        "faq_rejected_right_topic_button": sum(
            1 for p, r in faq if (p.get("intent") or {}).get("name") == "out_of_scope"
            and out_of_scope_topic(p) in {r["label"], *(r.get("also") or [])}),
        "faq_rejected": sum(1 for p, _ in faq if (p.get("intent") or {}).get("name") == "out_of_scope"),
        "rejected_as_out_of_scope": round(sum((p.get("intent") or {}).get("name") == "out_of_scope" for p, _ in labelled)
                                          / max(1, len(labelled)), 4),
        "acted_without_asking": round(sum(1 for p, r in labelled if acts(p) and _intent_label(r["label"]) not in
                                          {(p.get("intent") or {}).get("name")}) / max(1, len(labelled)), 4),
        "other_n": len(other),
        "other_acted": sum(acts(p) for p, _ in other),
        "goal_faq_right_topic": 0.90,
    }
    return out


def bench_realtext(model: Optional[Path] = None, name: str = "nlu_realtext", context_rules: bool = True) -> Dict[str, Any]:
    from corpora.split import load

    if model is None:
        from bot.training import ensure_model

        model = ensure_model()
    ood_rows = load("ood", "heldout")
    q_rows = load("questions", "heldout")
    started = time.perf_counter()
    parses = asyncio.run(_parse_all(model, [r["text"] for r in ood_rows] + [r["text"] for r in q_rows],
                                    context_rules))
    seconds = time.perf_counter() - started
    data = evaluate(parses[:len(ood_rows)], ood_rows, parses[len(ood_rows):], q_rows)
    data["model"] = model.name
    data["parse_ms_mean"] = round(seconds * 1000 / max(1, len(parses)), 2)
    data["heldout"] = "corpora/split.py: questions 50 %, ood 40 % by hash; never trained on"
    data["context_rules"] = "outside a form (bot/nlu/context.py)" if context_rules else "none"
    _save(name, data)
    return data


def bench_baseline() -> Dict[str, Any]:
    """The pipeline before issue 9 (DIET + ResponseSelector, team data only), trained now on the
    same team data and measured on the same held-out text: the baseline of ``realtext``."""
    from bot import nlp
    from bot.training import _lock

    nlp.ensure_built()
    with _lock(), tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        seconds = _run([rasa_bin(), "train", "nlu", "--config", "bench/configs/diet.yml", "--nlu", "data/nlu",
                        "--out", str(work), "--fixed-model-name", "diet"], cwd=ROOT, log=work / "train.log")
        # The pipeline before issue 9 had no context rules either.
        data = bench_realtext(work / "diet.tar.gz", name="nlu_baseline", context_rules=False)
    data["nlu_train_seconds"] = round(seconds, 1)
    _save("nlu_baseline", data)
    return data


# -- cross-validation with the project's linear components (fast, deterministic) -----------------

def _team_examples() -> List[Tuple[str, str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    rows = []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for m in load_data(str(path)).intent_examples:
            if m.get("text"):
                rows.append((m.get("text"), m.get("intent"), m.get_full_intent()))
    return rows


def _fit_predict(train_docs, train_labels, test_docs) -> List[str]:
    from bot.nlu import linear

    vectorizer = linear.TextVectorizer()
    clf = linear.logistic_regression(2e-5).fit(vectorizer.fit_transform(train_docs), train_labels)
    return list(clf.predict(vectorizer.transform(test_docs)))


def _folds(n: int, k: int) -> List[List[int]]:
    import random

    idx = list(range(n))
    random.Random(1).shuffle(idx)
    return [idx[i::k] for i in range(k)]


def bench_cv(folds: int = 5) -> Dict[str, Any]:
    """Team-written examples, k-fold: intent macro-F1 and knowledge-topic accuracy of the
    linear models (without the gate and without the real questions, to measure the team
    data on its own)."""
    from bot.nlu import linear

    rows = _team_examples()
    docs = [linear.make_doc(t) for t, _, _ in rows]
    gold_i, pred_i, gold_k, pred_k = [], [], [], []
    for fold in _folds(len(rows), folds):
        test = set(fold)
        tr = [i for i in range(len(rows)) if i not in test]
        pred_i += _fit_predict([docs[i] for i in tr], [rows[i][1] for i in tr], [docs[i] for i in fold])
        gold_i += [rows[i][1] for i in fold]
        tr_k = [i for i in tr if rows[i][2].startswith("faq/")]
        te_k = [i for i in fold if rows[i][2].startswith("faq/")]
        pred_k += _fit_predict([docs[i] for i in tr_k], [rows[i][2] for i in tr_k], [docs[i] for i in te_k])
        gold_k += [rows[i][2] for i in te_k]
    per_intent = {}
    for label in sorted(set(gold_i)):
        per_intent[label] = round(_macro_f1([g if g == label else "_" for g in gold_i],
                                            [p if p == label else "_" for p in pred_i]), 3)
    data = {
        "folds": folds, "examples": len(rows),
        "intent_macro_f1": round(_macro_f1(gold_i, pred_i), 4),
        "intent_accuracy": round(sum(g == p for g, p in zip(gold_i, pred_i)) / len(gold_i), 4),
        "faq_topics": len(set(gold_k)),
        "faq_topic_accuracy": round(sum(g == p for g, p in zip(gold_k, pred_k)) / len(gold_k), 4),
        "faq_topic_macro_f1": round(_macro_f1(gold_k, pred_k), 4),
        "weakest_intents": sorted(per_intent.items(), key=lambda kv: kv[1])[:6],
    }
    _save("nlu_cv", data)
    return data


def bench_train_cv(folds: int = 5) -> Dict[str, Any]:
    """For improving the training data: how the knowledge selector does on the TRAINING part of
    the real questions, each fold learning from the team examples and the other folds. Prints the
    confusions; the held-out part is never read."""
    from bot.nlu import linear
    from corpora.split import load

    team = [(t, k) for t, _, k in _team_examples() if k.startswith("faq/")]
    real = [(r["text"], r["label"], r.get("also") or []) for r in load("questions", "train")
            if str(r["label"]).startswith("faq/")]
    from actions.faq import runner_up

    confusions: collections.Counter = collections.Counter()
    right = offered = covered = 0
    for fold in _folds(len(real), folds):
        test = set(fold)
        train = team + [(real[i][0], real[i][1]) for i in range(len(real)) if i not in test]
        vectorizer = linear.TextVectorizer()
        clf = linear.logistic_regression(2e-5).fit(
            vectorizer.fit_transform([linear.make_doc(t) for t, _ in train]), [k for _, k in train])
        probs = clf.predict_proba(vectorizer.transform([linear.make_doc(real[i][0]) for i in fold]))
        for i, row in zip(fold, probs):
            order = row.argsort()[::-1][:5]
            ranking = [{"intent_response_key": clf.classes_[j], "confidence": float(row[j])} for j in order]
            p, accepted = ranking[0]["intent_response_key"], {real[i][1], *real[i][2]}
            second = runner_up({"ranking": ranking})
            offered += second is not None
            covered += p in accepted or second in accepted
            if p in accepted:
                right += 1
            else:
                confusions[(real[i][1], p)] += 1
    data = {"real_train_questions": len(real), "accuracy": round(right / max(1, len(real)), 4),
            # actions/faq.py offers the runner-up as a button when it is close: how often, and
            # how often the right topic is then answered or one tap away.
            "runner_up_offered": round(offered / max(1, len(real)), 4),
            "right_answered_or_offered": round(covered / max(1, len(real)), 4),
            "confusions": [{"gold": g, "predicted": p, "n": n} for (g, p), n in confusions.most_common(40)]}
    print(json.dumps(data, ensure_ascii=False, indent=1))
    return data


def bench_gate_cv(folds: int = 5, thresholds: Sequence[float] = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6),
                  losses: Sequence[str] = ("log_loss", "modified_huber")) -> Dict[str, Any]:
    """How the in-domain gate's loss and threshold were chosen: k-fold over the TRAINING text only
    (team examples, training halves of the real questions and of the out-of-domain corpora): for
    each loss and threshold, the share of out-of-domain text rejected against the shares of real
    questions and of team-written in-domain examples wrongly rejected (the domain-terms rule of
    bot/nlu/speech_act.py applied as in the gate; the gate's short-talk exception is not, so the
    team figure is an upper bound)."""
    import random

    from bot.nlu import linear, speech_act
    from corpora.split import load

    team = _team_examples()
    real = {r["text"] for r in load("questions", "train")}
    data = [(t, "in") for t, i, _ in team if i != "out_of_scope"]
    data += [(r["text"], "in") for r in load("questions", "train") if r["label"] != "out_of_scope"]
    data += [(t, "out") for t, i, _ in team if i == "out_of_scope"]
    data += [(r["text"], "out") for r in load("ood", "train")]
    random.Random(1).shuffle(data)
    docs = [linear.make_doc(t) for t, _ in data]
    names = [speech_act.names_the_path(t) for t, _ in data]
    # per loss and threshold: ood rejected / ood, real rejected / real, team rejected / team
    counts = {(loss, th): [0] * 6 for loss in losses for th in thresholds}
    for f in range(folds):
        test = [i for i in range(len(data)) if i % folds == f]
        train = [i for i in range(len(data)) if i % folds != f]
        vectorizer = linear.TextVectorizer()
        x_train = vectorizer.fit_transform([docs[i] for i in train])
        x_test = vectorizer.transform([docs[i] for i in test])
        for loss in losses:
            clf = linear.logistic_regression(2e-5, loss=loss).fit(x_train, [data[i][1] for i in train])
            probs = clf.predict_proba(x_test)[:, list(clf.classes_).index("out")]
            for th in thresholds:
                c = counts[(loss, th)]
                for i, p in zip(test, probs):
                    text, label = data[i]
                    rejected = p >= th and not names[i]
                    slot = 0 if label == "out" else 2 if text in real else 4
                    c[slot] += rejected
                    c[slot + 1] += 1
    result = {"folds": folds, "thresholds": [
        {"loss": loss, "threshold": th, "ood_rejected": round(c[0] / c[1], 4),
         "real_questions_rejected": round(c[2] / c[3], 4), "team_in_domain_rejected": round(c[4] / c[5], 4)}
        for (loss, th), c in counts.items()]}
    _save("nlu_gate_cv", result)
    return result


BENCHES = {"realtext": bench_realtext, "cv": bench_cv, "baseline": bench_baseline, "train-cv": bench_train_cv,
           "gate-cv": bench_gate_cv}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="NLU benchmarks on real text")
    parser.add_argument("which", nargs="*", default=["realtext", "cv", "gate-cv", "baseline"], choices=list(BENCHES))
    args = parser.parse_args(argv)
    for name in args.which:
        print(f"== {name}", flush=True)
        BENCHES[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
