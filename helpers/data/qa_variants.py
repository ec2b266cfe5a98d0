"""Harder questions for notebook 08: paraphrases, answers in the previous sentence, unanswerables.

Template questions (``helpers.data.qa``) keep the words of their sentence, so a baseline that
matches words can find the sentence and the gap. Three variants take that crutch away:

* ``paraphrase(question)``: content words swapped for synonyms (``SYNONYMS``: "says" ->
  "states", "homes" -> "houses") and a trailing place or time phrase moved to the front
  ("Who says the talks will resume after the election?" -> "After the election, who states
  the talks will resume?"); ids end in ``-para``.
* ``previous_sentence_questions(spans)``: a sentence "He said <X>." whose previous sentence
  names the speaker ("Mr John Howard says ...") gives "Who said <X>?", answered by the name in
  the **previous** sentence; ids end in ``-ctx``.
* ``add_unanswerable(split, every)``: SQuAD v2-style rows. Every ``every``-th question is paired
  again with another context of the same title (the same article or Wikipedia page: a
  plausible passage) that does not contain its answer, with empty answers (``"text": []``);
  ids end in ``-noans``. It works on any SQuAD-schema split, the hub's included.

``question_type(id)`` reads the type back from the id: "template", "paraphrase",
"previous sentence" or "unanswerable".
"""
from __future__ import annotations

import re
from typing import Any, Iterator

from ..course.validation import require_instance, require_int, require_str

SYNONYMS = {  # word -> synonym; capitalised words are matched and replaced capitalised
    "says": "states", "said": "stated", "say": "state", "told": "informed", "killed": "slew",
    "people": "individuals", "residents": "locals", "homes": "houses", "government": "administration",
    "arrested": "detained", "won": "claimed", "expected": "anticipated", "members": "participants",
    "attack": "assault", "attacks": "assaults", "left": "departed", "work": "labour", "help": "assist",
    "meeting": "gathering", "jobs": "positions", "area": "region", "action": "measures", "first": "opening",
    "militants": "fighters", "forces": "troops", "security": "safety", "fire": "blaze", "fires": "blazes",
    "hours": "hrs", "man": "male", "men": "males", "new": "fresh", "rate": "level", "number": "count",
    "police": "officers", "announced": "declared", "warned": "cautioned", "believes": "thinks",
    "began": "started", "started": "began", "leaders": "chiefs", "leader": "chief", "country": "nation",
    "officials": "authorities", "spokesman": "representative", "company": "firm", "children": "kids",
    "increase": "rise", "big": "large", "large": "big", "found": "discovered", "died": "perished",
    "injured": "hurt", "week": "seven days", "today": "this day", "talks": "negotiations",
    "announcement": "statement", "will": "shall", "could": "might", "near": "close to",
}
TYPES = ("template", "paraphrase", "previous sentence", "unanswerable")
_SUFFIX = {"-noans": "unanswerable", "-para": "paraphrase", "-ctx": "previous sentence"}
_TRAILING = re.compile(r"^(?P<main>[^,]{12,}) (?P<phrase>(?:in|at|on|near|from|after|before|during|since|over|"
                       r"for|with) [^,?]{3,30})\?$")
_ASKING = re.compile(r"\b(?:which|how|what|who)\b", re.IGNORECASE)
_PRONOUN = re.compile(r"^(?:He|She) (?P<rest>(?:says|said|told|has|had|was|is|will|would|believes|warned|announced|"
                      r"wants|did|does|also)\b[^\"]+?)[.!]?$")
_TITLED = re.compile(r"\b(?:Mr|Mrs|Ms|Dr) (?P<name>[A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b")


def _swap(word: str) -> str:
    bare = word.strip(",;:?.")
    if not bare:
        return word
    swapped = SYNONYMS.get(bare.lower())
    if swapped is None:
        return word
    if bare[0].isupper():
        swapped = swapped[0].upper() + swapped[1:]
    return word.replace(bare, swapped)


PHRASES = ((r"\b(?:in|at|near|from|to) which place\b", "where"), (r"\bon which day\b", "what day"),
           (r"\bin which (?:month|year)\b", "when"), (r"\bhow many\b", "what number of"),
           (r"\bhow much\b", "what sum"), (r"\bwhat percentage\b", "what share"),
           (r"\bfor what reason\b", "why"), (r"\bwhich organisation\b", "what body"))
_WH = re.compile(r"\b(?:where|what day|when|what number of|what sum|what share|why|what body|who)\b", re.IGNORECASE)


def paraphrase(question: str) -> str:
    """The question with synonyms for its content words, another question phrase ("in which place" ->
    "where") and the question phrase moved to the front with the words after it.

    Taught in: notebook 08, section 3.
    """
    require_str("question", question)
    text = " ".join(_swap(word) for word in question.split())
    for pattern, words in PHRASES:
        text = re.sub(pattern, words, text, flags=re.IGNORECASE)
    found = _WH.search(text)
    if found and found.start() > 0:  # "<before> where <after>?" -> "Where <after>, <before>?"
        before, after = text[:found.start()].strip(" ,"), text[found.start():].rstrip("?").strip(" ,")
        text = f"{after[0].upper()}{after[1:]}, {before[0].lower()}{before[1:]}?"
    elif text:
        text = text[0].upper() + text[1:]
    return text


def previous_sentence_questions(spans: list[tuple[int, str]]) -> Iterator[dict[str, Any]]:
    """Questions about a "He said ..." sentence answered by the speaker named in the sentence before:
    dicts with question, answer and start (in the passage whose sentences start at ``spans``' offsets).

    Not taught: a building block of helpers.data.qa's offline set.
    """
    from .qa import _finish, _speaker

    for (before_at, before), (_, sentence) in zip(spans, spans[1:]):
        pronoun = _PRONOUN.match(sentence)
        if not pronoun:
            continue
        speaker, titled = _speaker(before), list(_TITLED.finditer(before))
        if speaker:
            start, name = speaker[0], speaker[1]
        elif titled:
            start, name = titled[-1].start("name"), titled[-1].group("name")  # the last "Mr X" named before
        else:
            continue
        question = _finish(f"who {pronoun.group('rest')}")
        if 5 <= len(question.split()) <= 20 and name.lower() not in question.lower():
            yield {"kind": "who", "question": question, "answer": name, "start": before_at + start}


def question_type(question_id: str) -> str:
    """The type of a question from its id's suffix: one of ``TYPES`` ("template" when no suffix).

    Taught in: notebook 08, section 3.
    """
    require_str("question_id", question_id)
    for suffix, kind in _SUFFIX.items():
        if question_id.endswith(suffix):
            return kind
    return "template"


def _other_context(rows: list[dict[str, Any]], i: int, same_title: list[int]) -> str | None:
    """A context of row i's title (else of the next rows) that does not hold row i's answers."""
    golds = [t.lower() for t in rows[i]["answers"]["text"]]
    neighbours = [(i + k) % len(rows) for k in range(1, min(len(rows), 50))]
    for j in [*sorted(same_title, key=lambda j: abs(j - i)), *neighbours]:
        context = rows[j]["context"]
        if context != rows[i]["context"] and not any(g in context.lower() for g in golds):
            return context
    return None


def add_unanswerable(split, every: int = 4):
    """The split plus one SQuAD v2-style unanswerable row for every ``every``-th question: its question
    over another passage of the same title that does not hold its answer (empty ``answers``).

    Taught in: notebook 08, section 8.
    """
    from datasets import Dataset, concatenate_datasets

    require_int("every", every, minimum=1)
    require_instance("split", split, Dataset, "a datasets.Dataset in the SQuAD schema (data['train'])")

    rows = list(split)
    by_title: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        by_title.setdefault(row["title"], []).append(i)
    extra = []
    for i in range(every - 1, len(rows), every):
        context = _other_context(rows, i, by_title[rows[i]["title"]])
        if context is not None:
            extra.append({**rows[i], "id": rows[i]["id"] + "-noans", "context": context,
                          "answers": {"text": [], "answer_start": []}})
    if not extra:
        return split
    added = Dataset.from_dict({c: [r[c] for r in extra] for c in split.column_names}, features=split.features)
    return concatenate_datasets([split, added])
