"""Exercises of notebook 09 (summarization): the lead-k baseline, ROUGE-1 by hand.

The checkers try the learner's function on small fixed documents and token lists and
name the first thing that is wrong (a list instead of a string, sentences from the
end, words instead of sentences, precision instead of F1, no clipping, ...).
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Callable, Sequence

from . import checks
from ..data.summarization import sentences

# --- 09.1 lead-k ------------------------------------------------------------------------------


def lead_k(document: str, k: int) -> str:
    """The first k sentences of the document, joined by single spaces."""
    return " ".join(sentences(document)[:k])


_DOCUMENTS = (
    "Return the sum of the values. Values that are None are skipped. An empty input gives 0. "
    "See also mean() for the average.",
    "Open the file and read it. The encoding defaults to UTF-8.",
    "Parse the header line. Fields are separated by commas! Quoted fields may contain commas. "
    "Is whitespace kept? Yes, it is kept. Empty lines raise ValueError.",
)
_KS = (3, 1, 2)


def _diagnose_lead(fn: Callable[[str, int], str], document: str, k: int) -> str | None:
    got = fn(document, k)
    if isinstance(got, list):
        return f"lead_k returned a list of {len(got)} items; join the sentences into one string with spaces."
    problem = checks.returned(got, str, "lead_k")
    if problem:
        return problem
    want = lead_k(document, k)
    if got == want:
        return None
    parts = sentences(document)
    if got == " ".join(parts[-k:]):
        return f"with k={k} you return the last {k} sentence(s); lead-k takes the first ones."
    if got == " ".join(document.split()[:k]):
        return f"with k={k} you return the first {k} word(s); lead-k takes whole sentences (use sentences())."
    for other in (k - 1, k + 1):
        if 0 <= other and got == " ".join(parts[:other]):
            return f"with k={k} you return {other} sentence(s): an off-by-one in the slice."
    if got.replace(" ", "") == want.replace(" ", ""):
        return "the right sentences, but not joined by single spaces."
    return f"for k={k} the result is not the first {k} sentence(s) of the document."


def check_lead_k(fn: Callable[[str, int], str]) -> str | None:
    for document, k in zip(_DOCUMENTS, _KS):
        problem = _diagnose_lead(fn, document, k)
        if problem:
            return problem
    return None


def _last_sentences(document: str, k: int) -> str:
    return " ".join(sentences(document)[-k:])


def _first_words(document: str, k: int) -> str:
    return " ".join(document.split()[:k])


def _off_by_one(document: str, k: int) -> str:
    return " ".join(sentences(document)[:k + 1])


def _as_list(document: str, k: int) -> list[str]:
    return sentences(document)[:k]


def _no_spaces(document: str, k: int) -> str:
    return "".join(sentences(document)[:k])


checks.register(checks.Exercise(
    id="09.1", title="lead-k: the first k sentences of the document",
    checker=check_lead_k,
    hint="split the document with sentences(document), keep the first k items of that list, and join "
         "them into one string with ' '.join(...).",
    solution=lead_k,
    wrong_answers=(_last_sentences, _first_words, _off_by_one, _as_list, _no_spaces),
))


# --- 09.2 ROUGE-1 F1 --------------------------------------------------------------------------

def rouge1_f1(hypothesis: Sequence[str], reference: Sequence[str]) -> float:
    """ROUGE-1 F1 (0-1) of two token lists: clipped unigram overlap, precision and recall."""
    overlap = sum((Counter(hypothesis) & Counter(reference)).values())  # each word at most as often as in both
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(hypothesis), overlap / len(reference)
    return 2 * precision * recall / (precision + recall)


_ROUGE_CASES = (  # (hypothesis, reference): the length mismatch separates P, R and F1; repeats test clipping
    ("return the number of items in the list", "return the length of the list"),
    ("the the the list", "return the list"),
    ("open a file", "close the socket now"),
    ("return a copy of the list", "return a shallow copy of the list and its items"),
)


def _reference_rouge1(hypothesis: str, reference: str) -> float:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=False)
    return scorer.score(reference, hypothesis)["rouge1"].fmeasure


def _overlap(hypothesis, reference, clip=True):
    if clip:
        return sum((Counter(hypothesis) & Counter(reference)).values())
    return sum(1 for token in hypothesis if token in set(reference))


def _precision_only(hypothesis, reference):
    return _overlap(hypothesis, reference) / len(hypothesis)


def _recall_only(hypothesis, reference):
    return _overlap(hypothesis, reference) / len(reference)


def _unclipped(hypothesis, reference):
    overlap = _overlap(hypothesis, reference, clip=False)
    if overlap == 0:
        return 0.0
    p, r = overlap / len(hypothesis), overlap / len(reference)
    return 2 * p * r / (p + r)


def _types_not_tokens(hypothesis, reference):
    return rouge1_f1(sorted(set(hypothesis)), sorted(set(reference)))


def _percent(hypothesis, reference):
    return 100 * rouge1_f1(hypothesis, reference)


_ROUGE_MISTAKES = (
    (_precision_only, "this is the precision (overlap / hypothesis length); ROUGE-1 F1 combines it with the "
                      "recall (overlap / reference length) as 2PR / (P + R)."),
    (_recall_only, "this is the recall (overlap / reference length); ROUGE-1 F1 combines it with the precision "
                   "(overlap / hypothesis length) as 2PR / (P + R)."),
    (_unclipped, "a repeated word counts more often than the reference has it; count each word at most "
                 "min(times in hypothesis, times in reference)."),
    (_types_not_tokens, "repeated words are counted once: ROUGE counts tokens, not distinct words."),
    (_percent, "the value is on a 0-100 scale; return a fraction between 0 and 1 (rouge-score's scale)."),
)


def check_rouge1(fn: Callable[[list[str], list[str]], float]) -> str | None:
    for hypothesis, reference in _ROUGE_CASES:
        got = fn(hypothesis.split(), reference.split())
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            return checks.returned(got, float, "your ROUGE-1 function")
        want = _reference_rouge1(hypothesis, reference)
        if math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9):
            continue
        case = f"for hypothesis {hypothesis!r} and reference {reference!r} you return {got:.4f}, " \
               f"rouge-score gives {want:.4f}:"
        for mistake, message in _ROUGE_MISTAKES:
            if math.isclose(got, mistake(hypothesis.split(), reference.split()), rel_tol=1e-9, abs_tol=1e-12):
                return f"{case} {message}"
        return f"{case} check the clipped overlap, the precision, the recall and their harmonic mean."
    return None


checks.register(checks.Exercise(
    id="09.2", title="ROUGE-1 F1 from clipped unigram overlap",
    checker=check_rouge1,
    hint="overlap = sum over words of min(count in hypothesis, count in reference) (collections.Counter's & "
         "does it); P = overlap / len(hypothesis), R = overlap / len(reference), F1 = 2PR / (P + R).",
    solution=rouge1_f1,
    wrong_answers=(_precision_only, _recall_only, _unclipped, _types_not_tokens, _percent),
))
