"""Decoding constraints and fair baselines for summarization (notebook 09, section 7).

* ``repeated_ngram_rate``: the share of a text's n-grams that repeat an earlier n-gram of the
  same text (0: no repetition; "the list of the list of the list" scores high). A degenerate
  decoder loops; this is the number that shows it.
* ``repetition``: the mean of ``repeated_ngram_rate`` over a list of outputs.
* ``lead_words`` / ``length_matched_lead``: the lead baseline cut to a given number of words, so
  that a comparison with a model's summaries is not decided by length alone (ROUGE's F1 rewards
  an output whose length is near the reference's).
* ``decoding_sweep``: one ``generate`` call per setting of ``model.generate``'s constraints
  (``no_repeat_ngram_size``, ``min_length``, ``length_penalty`` with beams), each scored on
  ROUGE, repetition, length and distinct outputs.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from .course.validation import require_int, require_str, require_strings
from .seq2seq import generate
from .seq2seq_metrics import mean_words, rouge_scores


def _ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def repeated_ngram_rate(text: str, n: int = 2) -> float:
    """Share (0-1) of the n-grams of ``text`` (lowercased, split on whitespace) that are a repeat
    of an earlier n-gram in the same text; 0.0 for a text shorter than n words.

    "a b a b a" has the bigrams ab ba ab ba: the last two repeat earlier ones, so the rate is 2/4.

    Taught in: notebook 09, section 7.
    """
    require_str("text", text, empty=True)
    require_int("n", n, minimum=1)
    grams = _ngrams(text.lower().split(), n)
    if not grams:
        return 0.0
    return (len(grams) - len(set(grams))) / len(grams)


def repetition(texts: Sequence[str], n: int = 2) -> float:
    """Mean ``repeated_ngram_rate`` (0-100, as ROUGE) over a list of texts (0.0 for none).

    Taught in: notebook 09, section 7.
    """
    texts = require_strings("texts", texts)
    require_int("n", n, minimum=1)
    return 100 * sum(repeated_ngram_rate(t, n) for t in texts) / len(texts) if texts else 0.0


def lead_words(document: str, k: int) -> str:
    """The first k words of a document: the lead baseline cut to a given length.

    Taught in: notebook 09, section 7.
    """
    require_str("document", document, empty=True)
    require_int("k", k, minimum=1)
    return " ".join(document.split()[:k])


def length_matched_lead(documents: Sequence[str], like: Sequence[str]) -> list[str]:
    """For each document, its first words, as many as the text in ``like`` at the same position has
    (at least one): lead cut to a model's (or a reference's) length, document by document.

    Taught in: notebook 09, section 7.
    """
    documents = require_strings("documents", documents, min_length=1)
    like = require_strings("like", like)
    if len(documents) != len(like):
        raise ValueError(f"documents and like must have the same length (one length per document), "
                         f"got {len(documents)} documents and {len(like)} texts")
    return [lead_words(d, max(1, len(t.split()))) for d, t in zip(documents, like)]


def decoding_sweep(model, tokenizer, documents: Sequence[str], references: Sequence[str],
                   settings: Mapping[str, Mapping[str, Any]], **decode: Any) -> dict[str, dict[str, float]]:
    """{setting name: ROUGE-1/2/L, repetition (% repeated bigrams), words, distinct (share of
    different outputs, %)} for each setting's ``model.generate`` arguments; ``decode`` holds the
    arguments every call shares (``max_source_length``, ``max_new_tokens``, ``batch_size``, ``prefix``).

    Taught in: notebook 09, section 7.
    """
    documents = require_strings("documents", documents, min_length=1)
    references = require_strings("references", references)
    if len(documents) != len(references):
        raise ValueError(f"documents and references must have the same length (one reference per document), "
                         f"got {len(documents)} documents and {len(references)} references")
    if not isinstance(settings, Mapping) or not all(isinstance(v, Mapping) for v in settings.values()):
        raise TypeError(f"settings must map a name to a dict of generate() arguments, got {type(settings).__name__}")
    table: dict[str, dict[str, float]] = {}
    for name, kwargs in settings.items():
        outputs = generate(model, tokenizer, documents, **decode, **kwargs)
        table[name] = {**rouge_scores(outputs, references), "repetition": repetition(outputs),
                       "words": mean_words(outputs), "distinct": 100 * len(set(outputs)) / len(outputs)}
    return table
