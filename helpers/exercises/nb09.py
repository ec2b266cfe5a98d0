"""Exercises of notebook 09 (summarization): the lead-k baseline, ROUGE-1 by hand, the
repeated-n-gram rate of generated text.

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


# --- 09.3 the repeated-n-gram rate -------------------------------------------------------------

def repeated_ngram_share(text: str, n: int) -> float:
    """Share (0-1) of the text's n-grams (lowercased, whitespace words) that repeat an earlier one."""
    words = text.lower().split()
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    return (len(grams) - len(set(grams))) / len(grams) if grams else 0.0


_REPEAT_CASES = (  # (text, n): loops, a clean text, repeats of 1 but not 2 words, case, too short
    ("return the list of the list of the list", 2),
    ("open the file and read it", 2),
    ("the cat saw the dog", 1),
    ("the cat saw the dog", 2),
    ("Return the value. return the value.", 2),
    ("a b a b a b a", 3),
    ("return", 2),
    ("", 2),
)


def _distinct_share(text, n):
    words = text.lower().split()
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 0.0


def _per_word(text, n):
    words = text.lower().split()
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    return (len(grams) - len(set(grams))) / len(words) if words and grams else 0.0


def _case_sensitive(text, n):
    words = text.split()
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    return (len(grams) - len(set(grams))) / len(grams) if grams else 0.0


def _every_copy(text, n):  # counts each occurrence of a repeated n-gram, the first one too
    from collections import Counter as _Counter

    words = text.lower().split()
    grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]
    counts = _Counter(grams)
    return sum(c for c in counts.values() if c > 1) / len(grams) if grams else 0.0


def _unigrams_only(text, n):
    return repeated_ngram_share(text, 1)


def _percent_share(text, n):
    return 100 * repeated_ngram_share(text, n)


_REPEAT_MISTAKES = (
    (_distinct_share, "this is the share of *distinct* n-grams; the repeated share is 1 minus it."),
    (_per_word, "divide by the number of n-grams (len(words) - n + 1), not by the number of words."),
    (_case_sensitive, "lowercase the text first: 'Return' and 'return' are the same word here."),
    (_every_copy, "the first occurrence of an n-gram is not a repeat; count only the later copies "
                  "(number of n-grams minus number of distinct n-grams)."),
    (_unigrams_only, "you count repeated single words whatever n is; build n-grams of n consecutive words."),
    (_percent_share, "the value is on a 0-100 scale; return a fraction between 0 and 1."),
)


def check_repeated_ngrams(fn: Callable[[str, int], float]) -> str | None:
    for text, n in _REPEAT_CASES:
        try:
            got = fn(text, n)
        except ZeroDivisionError:
            if len(text.split()) >= n:
                raise  # a bug of the answer's own: checks.check reports it
            return f"for {text!r} with n={n} you divide by zero: a text with fewer than n words has no " \
                   f"n-grams and a rate of 0.0."
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            return checks.returned(got, float, "your repeated-n-gram function")
        want = repeated_ngram_share(text, n)
        if math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12):
            continue
        case = f"for {text!r} with n={n} you return {got:.4f}, the expected share is {want:.4f}:"
        for mistake, message in _REPEAT_MISTAKES:
            if math.isclose(got, mistake(text, n), rel_tol=1e-9, abs_tol=1e-12):
                return f"{case} {message}"
        return f"{case} count the n-grams that already appeared earlier, divided by the number of n-grams."
    return None


checks.register(checks.Exercise(
    id="09.3", title="the repeated-n-gram rate of a generated text",
    checker=check_repeated_ngrams,
    hint="words = text.lower().split(); grams = [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]; "
         "the rate is (len(grams) - len(set(grams))) / len(grams), and 0.0 when there are no n-grams.",
    solution=repeated_ngram_share,
    wrong_answers=(_distinct_share, _per_word, _case_sensitive, _every_copy, _unigrams_only, _percent_share),
))
