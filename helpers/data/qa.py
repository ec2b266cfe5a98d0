"""Extractive question answering data for notebook 08: a SQuAD v1.1-schema set built offline.

No QA dataset exists offline, so the course makes one from **real news text**: the
343 distinct Australian news articles (2001-2002) shipped with gensim's test data
(``lee_background.cor`` and ``lee.cor``, asset ``gensim-data``). Each article is cut
into passages of a few consecutive sentences (``PASSAGE_WORDS`` words at most), and
questions are made **by code** from the passage's own sentences, by template
transformations that turn the answer into a question phrase and keep the rest::

    "An estimated 500 residents have left their homes for nearby Mittagong."
        -> "How many residents have left their homes for nearby Mittagong?"   answer: "500"
    "Chief executive Paul Batchelor said the result was "solid" ..."
        -> "Who said the result was "solid" ...?"                             answer: "Paul Batchelor"

Eight kinds (``KINDS``): how many, how much (money), what percentage, when (day, month,
year), where, who, which organisation, why. The question never contains its answer, and
leading discourse words ("But", "Meanwhile,") are dropped. Every answer is an exact span
of its context (``context[start:start + len(text)] == text``, tested for every example),
and the passage holds other candidates of the same type (other numbers, names, places),
so a model has to read the question, not just spot a pattern. Every second question of a
passage is then paraphrased, and "He said ..." sentences give questions answered in the
sentence before (``helpers.data.qa_variants``: ids end in ``-para`` and ``-ctx``).

Split **by article**: a hash of the article's id puts all its passages in one split, so
no context is shared between train and validation. The build is deterministic (no
randomness beyond fixed rules; at most ``MAX_PER_PASSAGE`` questions per passage, kinds
interleaved) and cached in memory; it takes about a second.

With ``source=hub`` the identifier is SQuAD v1.1 (``rajpurkar/squad``) and
``load_qa`` is ``load_dataset``: the columns and features are the same.
"""
from __future__ import annotations

import functools
import re
from typing import Iterator

from ..course.errors import TutorialError
from .splits import split_of
from .summarization import sentences

OFFLINE_ID = "lee-news-qa"
FILES = ("lee_background.cor", "lee.cor")
PASSAGE_WORDS = 110        # a passage is a few consecutive sentences, at most this many words
MAX_PER_PASSAGE = 4        # questions kept per passage
VALIDATION_PERCENT = 25    # share of ARTICLES (not questions) in the validation split
KINDS = ("how many", "how much", "percentage", "when", "who", "organisation", "why", "where")  # where: the commonest, last
MAX_QUESTION_WORDS = 14    # longer questions keep only the words around the question phrase
WORDS_BEFORE_PHRASE = 5    # ... at most this many of them before it
PARAPHRASE_EVERY = 2       # every second question of a passage is paraphrased (helpers.data.qa_variants)

_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_MONTHS = ("January February March April May June July August September October November "
           "December").split()
_TITLES = set("""Mr Mrs Ms Dr Prime Minister President Premier Leader Secretary Senator Treasurer Chief
Commissioner General Captain Sergeant Inspector Superintendent Detective Justice Judge Professor Deputy
Opposition Foreign Defence Health Police Federal State Acting Labor Liberal Democrats Spokesman
Spokeswoman Director Executive Colonel Major Lieutenant Governor Mayor Minister's""".split())
_ORG_WORDS = set("""Service Department Party Council Commission Bureau Association Union Authority Force
Court Bank Organisation Organization Government Ministry Office Committee Institute Corporation Company
Board Agency Tribunal Group Airlines Airways Fund Network Centre Center Foundation Federation Club Army
Police Society Alliance Forces""".split())
_DANGLING = frozenset("the a an of for to and or in on at by with from that which was were is are as his her "
                      "their its this but".split())
_LEADING = re.compile(r"^(?:But|And|However|Meanwhile|Also|So|Now|Still|Yet|Earlier|Later)\b,?\s+")
_NAME_WORD = r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_SAYS = re.compile(rf"^(?P<pre>.*?)\b(?P<name>(?:{_NAME_WORD}|of|for|the|and)(?: (?:{_NAME_WORD}|of|for|and)){{1,5}})"
                   r" (?P<verb>says|said|told|has said|believes|warned|announced)\b(?P<rest>.+)$")
_NUMBER = re.compile(r"\b(?P<ans>\d{1,3}(?:,\d{3})+|\d+)(?: (?:more|new|other|extra|additional))?"
                     r" (?P<noun>[a-z]{3,}s)\b")
_MONEY = re.compile(r"\b(?P<prep>to|of|worth|cost|costs|about|than|by|at|for|paid|raise|spend|spent) "
                    r"(?P<ans>\$\d[\d,.]*(?: (?:million|billion|m|bn))?)")
_PERCENT = re.compile(r"\b(?P<ans>\d+(?:\.\d+)?) per ?cent\b")
_DAY = re.compile(rf"\bon (?P<ans>(?:{'|'.join(_DAYS)})(?: (?:morning|afternoon|evening|night))?)\b")
_MONTH = re.compile(rf"\bin (?P<ans>(?:{'|'.join(_MONTHS)})(?: \d{{4}})?)\b")
_YEAR = re.compile(r"\b(?:in|since|by|until) (?P<ans>(?:19|20)\d\d)\b")
_PLACE = re.compile(rf"\b(?P<prep>in|at|near|from) (?P<ans>{_NAME_WORD}(?: {_NAME_WORD}){{0,3}})\b(?!')")
_WHY = re.compile(r"\b(?P<cue>because(?: of)?|due to|as a result of) (?P<ans>[^,.;:\"]{3,80}?)(?=[,.;:]|$)")


class QADataError(TutorialError, ValueError):
    """QA data that cannot be built or loaded as asked."""


# --- question templates: (question, answer start within the sentence, answer) or None ---------

def _finish(text: str) -> str:
    text = _LEADING.sub("", text.strip().rstrip(".!?,;: "))
    return text[0].upper() + text[1:] + "?" if text else ""


def _in_situ(sentence: str, start: int, end: int, phrase: str) -> str:
    """Replace sentence[start:end] by a question phrase, keep the rest ("... destroyed how many homes?")."""
    before, after = sentence[:start], sentence[end:]
    if not before.strip() or _LEADING.fullmatch(before):
        phrase = phrase[0].upper() + phrase[1:]
        before = ""
    return _finish(before + phrase + after)


def _how_many(s: str) -> Iterator[tuple[str, int, str]]:
    for m in _NUMBER.finditer(s):
        if m.group("noun") in ("cents", "levels", "points") or s[:m.start()].rstrip().endswith(tuple(_MONTHS)):
            continue  # units, not things to count; "September 11 attacks" is a date
        yield _in_situ(s, m.start(), m.end("noun"), f"how many {m.group('noun')}"), m.start("ans"), m.group("ans")


def _how_much(s: str) -> Iterator[tuple[str, int, str]]:
    for m in _MONEY.finditer(s):
        answer = m.group("ans").rstrip(".,")
        yield _in_situ(s, m.start("ans"), m.start("ans") + len(answer), "how much"), m.start("ans"), answer


def _percentage(s: str) -> Iterator[tuple[str, int, str]]:
    for m in _PERCENT.finditer(s):
        yield _in_situ(s, m.start(), m.end(), "what percentage"), m.start("ans"), m.group("ans")


def _when(s: str) -> Iterator[tuple[str, int, str]]:
    for pattern, phrase in ((_DAY, "on which day"), (_MONTH, "in which month"), (_YEAR, None)):
        for m in pattern.finditer(s):
            words = phrase or m.group(0).split()[0] + " which year"
            yield _in_situ(s, m.start(), m.end(), words), m.start("ans"), m.group("ans")


def _where(s: str) -> Iterator[tuple[str, int, str]]:
    for m in _PLACE.finditer(s):
        answer = m.group("ans")
        first = answer.split()[0]
        if first in _DAYS or first in _MONTHS or first in _TITLES or answer.split()[-1] in _ORG_WORDS:
            continue
        yield _in_situ(s, m.start(), m.end(), f"{m.group('prep')} which place"), m.start("ans"), answer


def _speaker(s: str) -> tuple[int, str, str, str] | None:
    """(start, name, verb, rest) when the sentence is '<...> Name Surname says <rest>'."""
    m = _SAYS.match(s)
    if not m or '"' in m.group("pre") or len(m.group("pre").split()) > 6:
        return None
    words = m.group("name").split()
    while words and (words[0] in _TITLES or words[0] in ("of", "for", "the", "and", "But", "And", "So")):
        words = words[1:]  # "Prime Minister John Howard" -> "John Howard"
    if len(words) < 2 or words[-1] in ("of", "for", "and") or words[0] in _DAYS + _MONTHS:
        return None
    name = " ".join(words)
    start = m.start("name") + m.group("name").rindex(name)
    return start, name, m.group("verb"), m.group("rest")


def _who(s: str) -> Iterator[tuple[str, int, str]]:
    found = _speaker(s)
    if found and found[1].split()[-1] not in _ORG_WORDS:
        start, name, verb, rest = found
        yield _finish(f"who {verb}{rest}"), start, name


def _organisation(s: str) -> Iterator[tuple[str, int, str]]:
    found = _speaker(s)
    if found and found[1].split()[-1] in _ORG_WORDS:
        start, name, verb, rest = found
        yield _finish(f"which organisation {verb}{rest}"), start, name


def _why(s: str) -> Iterator[tuple[str, int, str]]:
    for m in _WHY.finditer(s):
        if m.start() < 12:
            continue  # the reason comes first: no main clause to ask about
        yield _in_situ(s, m.start(), m.end(), "for what reason"), m.start("ans"), m.group("ans").strip()


TEMPLATES = {"how many": _how_many, "how much": _how_much, "percentage": _percentage, "when": _when,
             "where": _where, "who": _who, "organisation": _organisation, "why": _why}


_PHRASES = re.compile(r"\b(?:how many|how much|what percentage|which day|which month|which year|which place|"
                      r"which organisation|for what reason)\b", re.IGNORECASE)  # "Who ..." starts its question


def _shorten(question: str, max_words: int = MAX_QUESTION_WORDS) -> str:
    """Keep the comma-separated clause with the question phrase and its neighbours, up to ``max_words``;
    a clause longer than that keeps a window of words around the phrase. Shorter questions are
    cheaper to process and share fewer words with their sentence, so they cannot be answered by
    word overlap alone."""
    if len(question.split()) <= max_words:
        return question
    parts = question.rstrip("?").split(", ")
    at = next((i for i, part in enumerate(parts) if _PHRASES.search(part)), 0)
    lo = hi = at
    while True:
        grown = [(lo - 1, hi)] if lo > 0 else []
        grown += [(lo, hi + 1)] if hi + 1 < len(parts) else []
        fits = [(a, b) for a, b in grown if len(", ".join(parts[a:b + 1]).split()) <= max_words]
        if not fits:
            break
        lo, hi = fits[-1]  # prefer growing to the right (the rest of the clause)
    words = ", ".join(parts[lo:hi + 1]).split()
    if len(words) > max_words:  # one clause is too long by itself: a window of words around the phrase
        found = _PHRASES.search(" ".join(words))
        at = len(" ".join(words)[:found.start()].split()) if found else 0
        first = max(0, min(at - WORDS_BEFORE_PHRASE, len(words) - max_words))
        words = words[first:first + max_words]
        while len(words) > 5 and words[-1].lower().strip(",") in _DANGLING:
            words = words[:-1]  # do not end on "... observers for the?"
    return _finish(" ".join(words))


def questions_from_sentence(sentence: str) -> list[dict[str, object]]:
    """Every (kind, question, answer, answer_start in the sentence) the templates make from a sentence.

    A question is kept only when it has at least five words, does not contain its own answer
    and has no unbalanced quotation mark (a quote cut by the sentence splitter).

    Not taught: a building block of this module's taught helpers.
    """
    if not isinstance(sentence, str):
        raise TypeError(f"sentence must be a str, got {type(sentence).__name__}")
    made = []
    for kind, template in TEMPLATES.items():
        for question, start, answer in template(sentence):
            question = _shorten(question)
            if sentence[start:start + len(answer)] != answer:
                raise QADataError(f"template {kind!r} is broken: {answer!r} is not at {start} in {sentence!r}")
            if len(question.split()) < 5 or answer.lower() in question.lower() or question.count('"') % 2:
                continue
            made.append({"kind": kind, "question": question, "answer": answer, "start": start})
    return made


# --- passages and the dataset -------------------------------------------------------------

def _read_articles(folder) -> list[str]:
    """The news articles, one per line of the gensim files, in a fixed order."""
    from pathlib import Path

    articles = []
    for name in FILES:
        path = Path(folder) / name
        if not path.exists():
            raise QADataError(f"{path} is missing; run `python -m helpers.course.assets prepare gensim-data`.")
        articles.extend(line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
                        if len(line.split()) >= 40)
    return articles


def passages(article: str, max_words: int = PASSAGE_WORDS) -> list[tuple[str, list[tuple[int, str]]]]:
    """An article cut into passages of whole sentences: (passage, [(sentence start, sentence), ...]).

    Not taught: a building block of this module's taught helpers.
    """
    if not isinstance(article, str):
        raise TypeError(f"article must be a str, got {type(article).__name__}")
    if not isinstance(max_words, int) or max_words < 10:
        raise ValueError(f"max_words must be an int of at least 10, got {max_words!r}")
    chunks: list[list[str]] = [[]]
    for sentence in sentences(article):
        if chunks[-1] and sum(len(x.split()) for x in chunks[-1]) + len(sentence.split()) > max_words:
            chunks.append([])
        chunks[-1].append(sentence)
    made = []
    for chunk in chunks:
        if len(chunk) < 2:
            continue  # a passage needs several sentences, hence several candidate spans
        spans, offset = [], 0
        for sentence in chunk:
            spans.append((offset, sentence))
            offset += len(sentence) + 1
        made.append((" ".join(chunk), spans))
    return made


def _build_examples(articles: list[str]) -> dict[str, list[dict[str, object]]]:
    """SQuAD-schema rows (plus ``kind``) per split, from a list of article texts."""
    from .qa_variants import paraphrase, previous_sentence_questions

    rows: dict[str, list[dict[str, object]]] = {"train": [], "validation": []}
    seen_contexts: set[str] = set()
    for a, article in enumerate(articles):
        article_id = f"lee-{a:03d}"
        for p, (context, spans) in enumerate(passages(article)):
            if context in seen_contexts:
                continue  # a passage repeated in another article (the two files share some news)
            seen_contexts.add(context)
            made = [(offset + q["start"], q) for offset, sentence in spans for q in questions_from_sentence(sentence)]
            seen, kept = set(), []
            for kind in KINDS * MAX_PER_PASSAGE:  # interleave kinds: one of each before a second of any
                for start, q in made:
                    if q["kind"] == kind and q["question"] not in seen and len(kept) < MAX_PER_PASSAGE:
                        seen.add(q["question"])
                        kept.append((start, q))
                        break
            kept += [(q["start"], {**q, "suffix": "-ctx"}) for q in previous_sentence_questions(spans)]
            for k, (start, q) in enumerate(kept):
                question, suffix = q["question"], q.get("suffix", "")
                if k % PARAPHRASE_EVERY == 1 and not suffix and q["answer"].lower() not in paraphrase(question).lower():
                    question, suffix = paraphrase(question), "-para"  # synonyms, another word order
                rows[split_of(article_id, {"validation": VALIDATION_PERCENT})].append({
                    "id": f"{article_id}-p{p}-q{k}{suffix}", "title": article_id, "context": context,
                    "question": question, "answers": {"text": [q["answer"]], "answer_start": [start]},
                    "kind": q["kind"]})
    return rows


def squad_features():
    """The features of SQuAD v1.1 on the hub (``rajpurkar/squad``).

    Not taught: a building block of this module's taught helpers.
    """
    from datasets import Features, Sequence, Value

    return Features({"id": Value("string"), "title": Value("string"), "context": Value("string"),
                     "question": Value("string"),
                     "answers": Sequence({"text": Value("string"), "answer_start": Value("int32")})})


@functools.cache
def load_news_qa():
    """The offline set as a ``DatasetDict`` (train, validation) with exactly SQuAD's features."""
    from datasets import Dataset, DatasetDict

    from ..course import assets

    rows = _build_examples(_read_articles(assets.path("gensim-data")))
    columns = list(squad_features())
    return DatasetDict({split: Dataset.from_dict({c: [r[c] for r in items] for c in columns},
                                                 features=squad_features())
                        for split, items in rows.items()})


def question_kinds(split: str = "validation") -> list[str]:
    """The template kind of each offline question of a split, in the dataset's order.

    Not taught: a building block of this module's taught helpers.
    """
    from ..course import assets

    if split not in ("train", "validation"):
        raise ValueError(f"split must be 'train' or 'validation', got {split!r}")
    return [r["kind"] for r in _build_examples(_read_articles(assets.path("gensim-data")))[split]]


def load_qa(identifier: str):
    """SQuAD-schema data: the offline news set for ``OFFLINE_ID``, else ``load_dataset(identifier)``.

    Taught in: notebook 08, section 1.
    """
    if not isinstance(identifier, str) or not identifier:
        raise TypeError(f"identifier must be a dataset name such as 'rajpurkar/squad', got {identifier!r}")
    if identifier == OFFLINE_ID:
        return load_news_qa()
    from datasets import load_dataset

    return load_dataset(identifier)
