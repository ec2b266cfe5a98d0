"""Two answer-finding baselines that read no training data, for notebook 08.

* ``first_noun_phrase(question, context)``: the first noun-phrase-ish span of the
  context's first sentence: its first run of capitalised words or numbers (after a
  sentence-initial "The"/"A"/"But"...), else its first three words. It ignores the question
  completely, so it measures how much a "the answer is near the top" pattern gives away.
* ``overlap_window(question, context)``: the classic sliding-window baseline (Richardson et
  al. 2013; the SQuAD paper): the sentence sharing the most content words with the question,
  and from it the longest run of words the question does **not** contain, that is, the
  gap the question asks about. It is a strong baseline on questions made from their own
  sentence, which is why notebook 08 compares the model with it.
Both return an exact substring of the context.
"""
from __future__ import annotations

import re

from .data.summarization import sentences
from .course.validation import require_str

STOP_WORDS = frozenset("""a an the of in on at to for from by with and or but is are was were be been has have
had it its this that these those as he she they his her their which who what when where why how many much
says said do does did will would not no""".split())
_WORD = re.compile(r"[\w$%][\w$%,.'-]*[\w%]|[\w$%]")
_LEADING = frozenset("The A An But And However Meanwhile In On At".split())


def _check(question: str, context: str) -> None:
    require_str("question", question, empty=True)
    require_str("context", context)  # some text to answer from


def _content(word: str) -> str:
    return word.lower().strip(".,'\"")


def first_noun_phrase(question: str, context: str) -> str:
    """The first run of capitalised words or numbers in the first sentence (the question is ignored).

    Taught in: notebook 08, section 3.
    """
    _check(question, context)
    first = sentences(context)[0]
    words = list(_WORD.finditer(first))
    run: list[re.Match] = []
    for k, word in enumerate(words):
        text = word.group()
        keep = text[0].isupper() or text[0].isdigit() or text[0] == "$"
        if keep and not (k == 0 and text in _LEADING):
            run.append(word)
        elif run:
            break
    chosen = run or words[:3]
    return first[chosen[0].start():chosen[-1].end()]


def overlap_window(question: str, context: str) -> str:
    """In the sentence with the most question words, the longest run of words absent from the question.

    Taught in: notebook 08, section 3.
    """
    _check(question, context)
    asked = {_content(w) for w in _WORD.findall(question)}
    content = asked - STOP_WORDS
    best = max(sentences(context), key=lambda s: len(content & {_content(w) for w in _WORD.findall(s)}))
    words = list(_WORD.finditer(best))
    runs, run = [], []
    for word in words:
        if _content(word.group()) in asked:
            if run:
                runs.append(run)
            run = []
        else:
            run.append(word)
    runs.append(run)
    longest = max((r for r in runs if r), key=len, default=words)
    return best[longest[0].start():longest[-1].end()]


_ASKED = re.compile(r"\b(?:how many|how much|what percentage|which day|which month|which year|which place|"
                    r"which organisation|for what reason|who|what|where|when|which)\b", re.IGNORECASE)
CONTEXT_WORDS = 3  # words compared on each side of the question phrase
MAX_SPAN_WORDS = 8


def cloze_alignment(question: str, context: str) -> str:
    """The words that fill the question phrase's slot: the span of the best-overlap sentence whose
    ``CONTEXT_WORDS`` neighbours on each side match the question's words around its question phrase
    ("... left their homes for nearby Mittagong" for "How many residents have left ...?" gives "500").

    It works only if the question copies its sentence's words in their order, so it measures copying.

    Taught in: notebook 08, section 3.
    """
    _check(question, context)
    found = _ASKED.search(question)
    best = _best_sentence(question, context)
    words = [_content(w.group()) for w in _WORD.finditer(best)]
    spans = list(_WORD.finditer(best))
    if not found or not spans:
        return overlap_window(question, context)
    before = [_content(w) for w in _WORD.findall(question[:found.start()])][-CONTEXT_WORDS:]
    after = [_content(w) for w in _WORD.findall(question[found.end():])][:CONTEXT_WORDS]
    scored = []
    for i in range(len(words)):
        for j in range(i, min(i + MAX_SPAN_WORDS, len(words))):
            left = sum(a == b for a, b in zip(reversed(before), reversed(words[max(0, i - len(before)):i])))
            right = sum(a == b for a, b in zip(after, words[j + 1:j + 1 + len(after)])) if after \
                else float(j == len(words) - 1)  # the phrase ends the question: the slot ends the sentence
            scored.append((left + right, -(j - i), i, j))
    _, _, i, j = max(scored)
    return best[spans[i].start():spans[j].end()]


def _best_sentence(question: str, context: str) -> str:
    content = {_content(w) for w in _WORD.findall(question)} - STOP_WORDS
    return max(sentences(context), key=lambda s: len(content & {_content(w) for w in _WORD.findall(s)}))
