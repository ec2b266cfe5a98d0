"""Unanswerable questions (SQuAD v2): the null score, its threshold, and v2 scoring (notebook 08).

    candidates = qa_v2.null_candidates(examples, features, start_logits, end_logits)  # id -> Candidate
    threshold, best = qa_v2.best_threshold(candidates, dev_rows)       # chosen on the dev questions only
    predictions = qa_v2.answer_or_null(candidates, threshold)          # id -> text, "" = no answer
    scores = qa_v2.v2_scores(predictions, test_rows)                   # exact, f1, HasAns_*, NoAns_*

* The **null score** of a question is ``start_logit[CLS] + end_logit[CLS]``, the score of the
  empty span, taken as the smallest over its windows (the window most sure that the answer is
  somewhere in it); the best **non-null** span is ``qa.best_spans``' best over all windows.
* The question is answered with the empty string when ``null - best > threshold``.
* **v2 scoring**, as the official SQuAD v2 evaluation script defines it: a question with no gold
  answer has the single gold answer ""; exact match compares normalised strings, and F1 is 1 or 0
  when either side has no words (so "" scores 1 on an unanswerable question and 0 elsewhere).
  The totals are split into ``HasAns_*`` (questions with an answer) and ``NoAns_*`` (without).
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Any, NamedTuple, Sequence

import numpy as np

from .course.validation import require_instance, require_number, require_str, require_strings
from .metrics import normalize_answer
from .qa import CLS_INDEX, _check_postprocess_args, best_spans


class Candidate(NamedTuple):
    """A question's best non-null answer, its score and its null score.

    Not taught: a record of null_candidates.
    """
    text: str
    score: float  # best start_logit + end_logit of a legal span (-inf when there is none)
    null: float   # start_logit[CLS] + end_logit[CLS], the smallest over the question's windows


def null_candidates(examples: dict[str, list], features: dict[str, list], start_logits: np.ndarray,
                    end_logits: np.ndarray, n_best: int = 20, max_answer_tokens: int = 30) -> dict[str, Candidate]:
    """id -> Candidate(best span's text, its score, the null score), over all windows of each question.

    Taught in: notebook 08, section 8.
    """
    _check_postprocess_args(examples, features, start_logits, end_logits, n_best, max_answer_tokens)
    best: dict[str, tuple[float, int, int]] = {}
    null: dict[str, float] = {}
    for w, example_id in enumerate(features["example_id"]):
        cls = float(start_logits[w][CLS_INDEX] + end_logits[w][CLS_INDEX])  # the empty span's score
        null[example_id] = min(cls, null.get(example_id, math.inf))
        spans = best_spans(start_logits[w], end_logits[w], features["offset_mapping"][w], n_best, max_answer_tokens)
        if spans and (example_id not in best or spans[0][0] > best[example_id][0]):
            best[example_id] = spans[0]
    contexts = dict(zip(examples["id"], examples["context"]))
    return {i: Candidate(contexts[i][best[i][1]:best[i][2]], best[i][0], null[i]) if i in best
            else Candidate("", -math.inf, null.get(i, math.inf)) for i in examples["id"]}


def answer_or_null(candidates: dict[str, Candidate], threshold: float) -> dict[str, str]:
    """id -> the best span's text, or "" (no answer) when ``null - score > threshold``.

    Taught in: notebook 08, section 8.
    """
    require_instance("candidates", candidates, dict, "a dict id -> Candidate (null_candidates)")
    require_number("threshold", threshold)
    return {i: "" if c.null - c.score > threshold else c.text for i, c in candidates.items()}


def v2_exact(prediction: str, golds: Sequence[str]) -> float:
    """SQuAD v2 exact match of one question: golds [] (unanswerable) counts as the gold answer "".

    Not taught: a building block of v2_scores (exercise 08.3 asks the learner to write it).
    """
    require_str("prediction", prediction, empty=True)
    golds = [""] if not require_strings("golds", golds) else golds
    return max(float(normalize_answer(prediction) == normalize_answer(g)) for g in golds)


def v2_f1(prediction: str, golds: Sequence[str]) -> float:
    """SQuAD v2 F1 of one question: bag-of-words F1, or 1/0 (equal or not) when either side has no words.

    Not taught: a building block of v2_scores, the F1 twin of v2_exact.
    """
    require_str("prediction", prediction, empty=True)
    golds = [""] if not require_strings("golds", golds) else golds
    return max(_f1(normalize_answer(prediction).split(), normalize_answer(g).split()) for g in golds)


def _f1(predicted: list[str], truth: list[str]) -> float:
    if not predicted or not truth:
        return float(predicted == truth)
    common = sum((Counter(predicted) & Counter(truth)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(truth)
    return 2 * precision * recall / (precision + recall)


def _golds(references: Any) -> dict[str, list[str]]:
    if isinstance(references, (str, dict)) or not hasattr(references, "__iter__"):
        raise TypeError(f"references must be rows (or a dataset) with id and answers, got {type(references).__name__}")
    golds = {r["id"]: list(r["answers"]["text"]) for r in references}
    if not golds:
        raise ValueError("references must hold at least one question, got none")
    return golds


def v2_scores(predictions: dict[str, str], references: Any) -> dict[str, float]:
    """The official v2 totals in percent: exact, f1, HasAns_exact, HasAns_f1, NoAns_exact, NoAns_f1,
    and the question counts HasAns_total, NoAns_total (a group without questions is left out).

    Taught in: notebook 08, section 8.
    """
    require_instance("predictions", predictions, dict, "a dict id -> answer text")
    golds = _golds(references)
    missing = [i for i in golds if i not in predictions]
    if missing:
        raise ValueError(f"predictions must answer every question (\"\" for no answer), got none for {missing[0]!r}")
    rows = {i: (v2_exact(predictions[i], g), v2_f1(predictions[i], g), bool(g)) for i, g in golds.items()}
    scores = {"exact": 100 * np.mean([r[0] for r in rows.values()]), "f1": 100 * np.mean([r[1] for r in rows.values()])}
    for name, has in (("HasAns", True), ("NoAns", False)):
        group = [r for r in rows.values() if r[2] == has]
        if group:
            scores.update({f"{name}_exact": 100 * np.mean([r[0] for r in group]),
                           f"{name}_f1": 100 * np.mean([r[1] for r in group]), f"{name}_total": len(group)})
    return {k: float(v) for k, v in scores.items()}


def best_threshold(candidates: dict[str, Candidate], references: Any) -> tuple[float, float]:
    """(threshold, v2 F1 in percent at it) maximising v2 F1 over ``references``' questions: every
    ``null - score`` gap is tried, plus -inf (always no answer); ties go to the smallest threshold.

    Taught in: notebook 08, section 8.
    """
    require_instance("candidates", candidates, dict, "a dict id -> Candidate (null_candidates)")
    golds = _golds(references)
    missing = [i for i in golds if i not in candidates]
    if missing:
        raise ValueError(f"candidates must cover every question of references, got none for {missing[0]!r}")
    gaps = np.array([candidates[i].null - candidates[i].score for i in golds])  # (Q,) null wins when gap > t
    if_answered = np.array([v2_f1(candidates[i].text, g) for i, g in golds.items()])
    if_null = np.array([float(not g) for g in golds.values()])
    order = np.argsort(gaps, kind="stable")
    # threshold = gaps[order[k]]: the first k + 1 questions (gap <= t) are answered, the rest get ""
    answered = np.cumsum(if_answered[order])
    nulls = if_null[order][::-1].cumsum()[::-1]  # nulls[k]: questions k.. in order all null
    totals = answered + np.append(nulls[1:], 0.0)
    options = [(-math.inf, float(nulls[0]))] + [(float(gaps[order[k]]), float(totals[k])) for k in range(len(order))]
    threshold, total = max(options, key=lambda o: (o[1], -o[0]))
    return threshold, 100 * total / len(golds)
