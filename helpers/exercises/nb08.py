"""Exercises of notebook 08 (extractive QA): the answer's token span, SQuAD's normaliser, SQuAD v2 exact match.

The checkers run the learner's function on small hand-made cases and name the first
thing that is wrong (a span that runs into the question, an end off by one token, a
window that does not hold the answer, articles removed inside words, ...), never the answer.
"""
from __future__ import annotations

import re
import string
from typing import Callable

from . import checks
from ..qa import char_to_token_span

# --- 08.1 the answer's token span from its character span -------------------------------------

# "[CLS] where is it ? [SEP] it is in new south wales . [SEP]"; the question's tokens have
# offsets in the QUESTION's text, so (0, 5) appears in both parts.
_OFFSETS = [(0, 0), (0, 5), (6, 8), (9, 11), (11, 12), (0, 0),
            (0, 2), (3, 5), (6, 8), (9, 12), (13, 18), (19, 24), (24, 25), (0, 0)]
_SEQUENCE_IDS = [None, 0, 0, 0, 0, None, 1, 1, 1, 1, 1, 1, 1, None]
# A second window of a longer context: it starts at character 40 and ends at character 70.
_WINDOW_OFFSETS = [(0, 0), (0, 4), (4, 5), (0, 0), (40, 46), (47, 52), (53, 60), (60, 61), (62, 70), (0, 0)]
_WINDOW_IDS = [None, 0, 0, None, 1, 1, 1, 1, 1, None]
_CASES = (  # (offsets, sequence ids, start char, end char, what the case is about)
    (_OFFSETS, _SEQUENCE_IDS, 9, 24, "an answer of three tokens ('new south wales')"),
    (_OFFSETS, _SEQUENCE_IDS, 0, 2, "an answer at the very start of the context ('it')"),
    (_OFFSETS, _SEQUENCE_IDS, 14, 18, "an answer that starts inside a token ('outh')"),
    (_WINDOW_OFFSETS, _WINDOW_IDS, 47, 60, "an answer inside a later window"),
    (_WINDOW_OFFSETS, _WINDOW_IDS, 10, 20, "an answer before this window starts"),
    (_WINDOW_OFFSETS, _WINDOW_IDS, 62, 80, "an answer that runs past this window's end"),
)


def token_span(offsets, sequence_ids, start_char, end_char):
    """(start token, end token) of context characters [start_char, end_char), or (0, 0) when this
    window does not hold the whole answer."""
    context = [i for i, s in enumerate(sequence_ids) if s == 1]  # tokens of the context only
    first, last = context[0], context[-1]
    if offsets[first][0] > start_char or offsets[last][1] < end_char:
        return 0, 0  # not (all) in this window: point at [CLS]
    start = first
    while start <= last and offsets[start][1] <= start_char:
        start += 1  # skip tokens that end before the answer starts
    end = last
    while end >= first and offsets[end][0] >= end_char:
        end -= 1  # skip tokens that start after the answer ends
    return start, end


def check_token_span(fn: Callable) -> str | None:
    for offsets, ids, start_char, end_char, about in _CASES:
        got = fn(list(offsets), list(ids), start_char, end_char)
        problem = checks.returned(got, tuple, "your function")
        if problem:
            return problem
        if len(got) != 2:
            return f"return a pair (start token, end token), got {len(got)} values."
        want = char_to_token_span(offsets, ids, start_char, end_char)
        got = (int(got[0]), int(got[1]))
        if got == want:
            continue
        if want == (0, 0):
            return f"for {about} the answer is not all in this window: label it with the [CLS] position (0, 0)."
        if got[0] < ids.index(1):
            return f"for {about} the span starts at token {got[0]}, inside the question: look only at tokens " \
                   f"whose sequence id is 1."
        if got[0] == want[0] and got[1] == want[1] + 1:
            return f"for {about} the end token is one too far: end_char is exclusive, so the last token is the " \
                   f"last one that STARTS before end_char."
        if got[0] == want[0] + 1:
            return f"for {about} the start token is one too far: an answer can start inside a token."
        return f"for {about} you returned tokens {got}; the answer's characters are {start_char}..{end_char}."
    return None


def _searches_question_too(offsets, sequence_ids, start_char, end_char):
    starts = [i for i, (a, b) in enumerate(offsets) if b > start_char and sequence_ids[i] is not None]
    ends = [i for i, (a, b) in enumerate(offsets) if a < end_char and sequence_ids[i] is not None]
    return (starts[0], ends[-1]) if starts and ends else (0, 0)


def _inclusive_end(offsets, sequence_ids, start_char, end_char):
    start, end = token_span(offsets, sequence_ids, start_char, end_char)
    context_end = max(i for i, s in enumerate(sequence_ids) if s == 1)
    return (start, min(end + 1, context_end)) if (start, end) != (0, 0) else (0, 0)


def _never_cls(offsets, sequence_ids, start_char, end_char):
    context = [i for i, s in enumerate(sequence_ids) if s == 1]
    start = next((i for i in context if offsets[i][1] > start_char), context[-1])
    end = max((i for i in context if offsets[i][0] < end_char), default=context[0])
    return start, end


checks.register(checks.Exercise(
    id="08.1", title="map the answer's characters to tokens of a window",
    checker=check_token_span,
    hint="keep only the context tokens (sequence id 1); if the first of them starts after start_char or the "
         "last ends before end_char, return (0, 0); else move a start index right while its token ends at or "
         "before start_char, and an end index left while its token starts at or after end_char.",
    solution=token_span,
    wrong_answers=(_searches_question_too, _inclusive_end, _never_cls),
))


# --- 08.2 SQuAD's answer normalisation ------------------------------------------------------

def normalize(text: str) -> str:
    """Lowercase, drop punctuation, drop the words a/an/the, collapse whitespace."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)  # whole words only: "theatre" keeps its "the"
    return " ".join(text.split())


_NORMALISE_CASES = ("The Eiffel Tower", "  an apple,  a pear! ", "Theatre anthem", "U.S. troops",
                    "THE  Hague\tAcademy", "New South Wales.")


def check_normalize(fn: Callable[[str], str]) -> str | None:
    for text in _NORMALISE_CASES:
        got = fn(text)
        problem = checks.returned(got, str, "your function")
        if problem:
            return problem
        want = normalize(text)
        if got == want:
            continue
        if got.lower() != got:
            return f"{text!r} became {got!r}: lowercase everything first."
        if any(ch in string.punctuation for ch in got):
            return f"{text!r} became {got!r}: remove every punctuation character."
        if got.split() == want.split():
            return f"{text!r} became {got!r}: collapse runs of whitespace to one space and strip both ends."
        if re.search(r"\b(a|an|the)\b", got):
            return f"{text!r} became {got!r}: the words a, an and the must go."
        return f"{text!r} became {got!r}: remove articles only as whole words, not inside other words."
    return None


def _articles_inside_words(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in string.punctuation)
    for article in ("the", "an", "a"):
        text = text.replace(article, " ")
    return " ".join(text.split())


def _keeps_punctuation(text: str) -> str:
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text.lower()).split())


def _articles_before_lowercase(text: str) -> str:
    text = "".join(ch for ch in text if ch not in string.punctuation)
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).lower().split())


checks.register(checks.Exercise(
    id="08.2", title="normalise answers as SQuAD does",
    checker=check_normalize,
    hint="in this order: text.lower(); drop every character of string.punctuation; replace the whole words "
         "a, an, the (a regular expression with \\b word boundaries) by a space; then ' '.join(text.split()).",
    solution=normalize,
    wrong_answers=(_articles_inside_words, _keeps_punctuation, _articles_before_lowercase),
))


# --- 08.3 SQuAD v2 exact match: an unanswerable question's gold answer is "" ---------------------

def v2_exact(prediction: str, golds: list) -> float:
    """1.0 when the normalised prediction equals a normalised gold answer; golds [] means the only
    right answer is "" (no answer)."""
    if not golds:
        golds = [""]
    return max(float(normalize(prediction) == normalize(gold)) for gold in golds)


_V2_CASES = (  # (prediction, golds, what the case is about)
    ("", [], "an unanswerable question answered with no answer"),
    ("Sydney", [], "an unanswerable question given an answer"),
    ("", ["Sydney"], "an answerable question given no answer"),
    ("the Sydney.", ["Sydney"], "a right answer after normalisation"),
    ("Perth", ["Sydney", "Perth"], "a question with two gold answers"),
    ("Melbourne", ["Sydney"], "a wrong answer"),
)


def check_v2_exact(fn: Callable) -> str | None:
    for prediction, golds, about in _V2_CASES:
        got = fn(prediction, list(golds))
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return f"return a number (1.0 or 0.0), got {type(got).__name__} for {about}."
        want = v2_exact(prediction, list(golds))
        if float(got) == want:
            continue
        if not golds:
            return f"for {about} ({prediction!r}, golds []) the gold answer is \"\": " \
                   f"only the empty prediction scores 1."
        if prediction == "":
            return f"for {about} the empty prediction must score 0: the question has an answer."
        return f"for {about} ({prediction!r} against {golds}) you returned {got}: normalise both sides and " \
               f"take the best over the gold answers."
    return None


def _empty_always_wrong(prediction: str, golds: list) -> float:
    return max((float(normalize(prediction) == normalize(g)) for g in golds), default=0.0)


def _anything_right_when_unanswerable(prediction: str, golds: list) -> float:
    return 1.0 if not golds else v2_exact(prediction, golds)


def _no_normalisation(prediction: str, golds: list) -> float:
    return max(float(prediction == g) for g in (golds or [""]))


checks.register(checks.Exercise(
    id="08.3", title="score a SQuAD v2 question: no gold answer means the right answer is \"\"",
    checker=check_v2_exact,
    hint="if golds is empty, use [\"\"] as the gold answers; then return the best over the golds of "
         "float(normalize(prediction) == normalize(gold)), with exercise 08.2's normaliser.",
    solution=v2_exact,
    wrong_answers=(_empty_always_wrong, _anything_right_when_unanswerable, _no_normalisation),
))
