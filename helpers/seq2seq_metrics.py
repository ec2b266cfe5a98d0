"""Scores for generated text: BLEU and chrF (sacreBLEU), ROUGE (rouge-score), and BLEU by hand.

The library wrappers return plain floats on a 0-100 scale, so translation and
summarization report numbers the same way::

    translation_scores(hypotheses, references)   # {'bleu': 12.3, 'chrf': 34.5}
    rouge_scores(hypotheses, references)         # {'rouge1': ..., 'rouge2': ..., 'rougeL': ...}

The by-hand functions (``bleu_by_hand``, ``corpus_bleu_by_hand``, ``brevity_penalty``; n-grams
are counted and clipped by ``_ngram_counts`` and ``_clipped_matches``) are what notebook 07
derives: BLEU is the geometric mean of the clipped n-gram precisions for n = 1..4, times a
penalty for being too short,

    BLEU = BP * exp(mean_n log p_n),   BP = 1 if c > r else exp(1 - r / c),

with c the hypothesis length and r the reference length, in tokens of the same
tokenizer sacreBLEU uses (``13a`` by default).

Without smoothing, one order n with no matching n-gram makes p_n = 0 and BLEU 0.
sacreBLEU's ``corpus_bleu`` smooths by default (``smooth_method="exp"``, method 3 of
Chen & Cherry, 2014, as in NIST's ``mteval-v13a``): the k-th order without a match gets
p_n = 1 / (2^k * total_n) instead of 0. ``smoothed_precisions`` and ``corpus_bleu_by_hand``
write that out; ``translation_scores`` and ``bleu_details`` take ``smooth_method`` ("exp", the
default, or "none") and pass it to sacreBLEU.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Sequence

from .course.errors import TutorialError
from .course.validation import require_int, require_str, require_strings

MAX_ORDER = 4
SMOOTH_METHODS = ("exp", "none")  # sacreBLEU's corpus default, and no smoothing


class MetricInputError(TutorialError, ValueError):
    """Hypotheses and references that cannot be scored together."""


def _check_pairs(hypotheses: Sequence[str], references: Sequence[str]) -> None:
    if isinstance(hypotheses, str) or isinstance(references, str):
        raise MetricInputError("hypotheses and references must be lists of strings, not one string; "
                               "wrap a single sentence in a list (got a str)")
    require_strings("hypotheses", hypotheses)
    require_strings("references", references)
    if len(hypotheses) != len(references):
        raise MetricInputError(f"hypotheses and references must have the same length (one reference per "
                               f"hypothesis), got {len(hypotheses)} hypotheses but {len(references)} references")
    if not hypotheses:
        raise MetricInputError("hypotheses must hold at least one sentence to score, got an empty list")


def _require_tokenizer_name(tokenizer: str) -> None:
    from sacrebleu.metrics.bleu import _TOKENIZERS

    require_str("tokenizer", tokenizer, choices=list(_TOKENIZERS))


def _tokenize(text: str, tokenizer: str = "13a") -> list[str]:
    """The tokens sacreBLEU counts n-grams over (``13a``: splits off punctuation; ``zh``: one
    token per Chinese character)."""
    from sacrebleu.metrics.bleu import BLEU

    return BLEU(tokenize=tokenizer).tokenizer(text.rstrip()).split()


def _ngram_counts(tokens: Sequence[str], n: int) -> Counter:
    """How often each n-gram (a tuple of n tokens, n >= 1) occurs."""
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def _clipped_matches(hypothesis: Sequence[str], reference: Sequence[str], n: int) -> tuple[int, int]:
    """(matches, total): hypothesis n-grams found in the reference, each counted at most as
    often as the reference has it ("clipping"), and the number of hypothesis n-grams."""
    hyp, ref = _ngram_counts(hypothesis, n), _ngram_counts(reference, n)
    matches = sum(min(count, ref[gram]) for gram, count in hyp.items())
    return matches, sum(hyp.values())


def brevity_penalty(hypothesis_length: int, reference_length: int) -> float:
    """1 when the hypothesis is at least as long as the reference (two empty texts included, as in
    sacreBLEU), else exp(1 - r / c) (0 for an empty hypothesis, c = 0 < r).

    Not taught: a building block of this module's taught helpers.
    """
    require_int("hypothesis_length", hypothesis_length, minimum=0)
    require_int("reference_length", reference_length, minimum=0)
    if hypothesis_length >= reference_length:
        return 1.0  # c = r gives exp(0) = 1 too
    if hypothesis_length == 0:
        return 0.0
    return math.exp(1 - reference_length / hypothesis_length)


def bleu_by_hand(hypothesis: str, reference: str, tokenizer: str = "13a",
                 max_order: int = MAX_ORDER) -> dict[str, float | list[float]]:
    """Sentence BLEU without smoothing, step by step: the same number as
    ``sacrebleu.sentence_bleu(hypothesis, [reference], smooth_method="none")``.

    Like sacreBLEU's sentence BLEU it uses the *effective order*: an order n for which the
    hypothesis has no n-gram at all (a sentence shorter than n tokens) is left out of the
    mean instead of counting as precision 0.

    Taught in: notebook 07, section 6.
    """
    require_str("hypothesis", hypothesis, empty=True)
    require_str("reference", reference, empty=True)
    _require_tokenizer_name(tokenizer)
    require_int("max_order", max_order, minimum=1)
    hyp, ref = _tokenize(hypothesis, tokenizer), _tokenize(reference, tokenizer)
    precisions = []
    for n in range(1, max_order + 1):
        matches, total = _clipped_matches(hyp, ref, n)
        if total:
            precisions.append(matches / total)
    bp = brevity_penalty(len(hyp), len(ref))
    if not precisions or min(precisions) == 0:
        score = 0.0  # one order without a match makes the geometric mean 0
    else:
        score = bp * math.exp(sum(math.log(p) for p in precisions) / len(precisions))
    return {"bleu": 100 * score, "precisions": [100 * p for p in precisions], "bp": bp,
            "hyp_len": len(hyp), "ref_len": len(ref)}


def smoothed_precisions(matches: Sequence[int], totals: Sequence[int], smooth_method: str = "exp") -> list[float]:
    """The n-gram precisions (0-1) that corpus BLEU averages, from the matches and totals of
    n = 1, 2, ...: matches / total where an order has a match. An order without a match gets 0
    (``"none"``), or, with ``"exp"`` (sacreBLEU's default), 1 / (2^k * total) for the k-th such
    order: half a match for the first, a quarter for the second, and so on. An order with no
    n-gram at all (total 0) stays 0 either way. Notebook 07, section 6, shows this code.

    Taught in: notebook 07, section 6.
    """
    require_str("smooth_method", smooth_method, choices=list(SMOOTH_METHODS))
    if len(matches) != len(totals):
        raise MetricInputError(f"matches and totals must have one entry per n-gram order, got {len(matches)} "
                               f"matches but {len(totals)} totals")
    precisions, k = [], 0
    for n, (match, total) in enumerate(zip(matches, totals), start=1):
        require_int(f"matches[{n - 1}]", match, minimum=0)
        require_int(f"totals[{n - 1}]", total, minimum=match)
        if match:
            precisions.append(match / total)
        elif total and smooth_method == "exp":
            k += 1
            precisions.append(1 / (2 ** k * total))
        else:
            precisions.append(0.0)
    return precisions


def corpus_bleu_by_hand(hypotheses: Sequence[str], references: Sequence[str], tokenizer: str = "13a",
                        smooth_method: str = "exp", max_order: int = MAX_ORDER) -> dict:
    """Corpus BLEU step by step: n-gram matches and totals summed over all pairs *before*
    dividing, then ``smoothed_precisions``, their geometric mean and the brevity penalty of the
    summed lengths. The same number as ``sacrebleu.corpus_bleu(..., smooth_method=...)``,
    including sacreBLEU's rule that a corpus without a single matching unigram scores 0 (notebook 07,
    section 6, checks both settings against sacreBLEU).

    Taught in: notebook 07, section 6.
    """
    _check_pairs(hypotheses, references)
    _require_tokenizer_name(tokenizer)
    require_str("smooth_method", smooth_method, choices=list(SMOOTH_METHODS))
    require_int("max_order", max_order, minimum=1)
    matches, totals, hyp_len, ref_len = [0] * max_order, [0] * max_order, 0, 0
    for hypothesis, reference in zip(hypotheses, references):
        hyp, ref = _tokenize(hypothesis, tokenizer), _tokenize(reference, tokenizer)
        hyp_len, ref_len = hyp_len + len(hyp), ref_len + len(ref)
        for n in range(1, max_order + 1):
            match, total = _clipped_matches(hyp, ref, n)
            matches[n - 1] += match
            totals[n - 1] += total
    if not any(matches):  # nothing matched: nothing to smooth, BLEU 0 (sacreBLEU's early exit)
        precisions = [0.0] * max_order
    else:
        precisions = smoothed_precisions(matches, totals, smooth_method)
    bp = brevity_penalty(hyp_len, ref_len)
    if min(precisions) == 0:
        score = 0.0  # a precision of 0 makes the geometric mean 0
    else:
        score = bp * math.exp(sum(math.log(p) for p in precisions) / max_order)
    return {"bleu": 100 * score, "precisions": [100 * p for p in precisions], "matches": matches,
            "totals": totals, "bp": bp, "hyp_len": hyp_len, "ref_len": ref_len}


def _corpus_bleu(hypotheses: Sequence[str], references: Sequence[str], tokenizer: str, smooth_method: str):
    import sacrebleu

    _check_pairs(hypotheses, references)
    _require_tokenizer_name(tokenizer)
    require_str("smooth_method", smooth_method, choices=list(SMOOTH_METHODS))
    return sacrebleu.corpus_bleu(list(hypotheses), [list(references)], tokenize=tokenizer,
                                 smooth_method=smooth_method)


def translation_scores(hypotheses: Sequence[str], references: Sequence[str],
                       tokenizer: str = "13a", smooth_method: str = "exp") -> dict[str, float]:
    """Corpus BLEU and chrF (0-100) of hypotheses against one reference each. BLEU is smoothed
    as sacreBLEU does by default (``"exp"``); ``smooth_method="none"`` gives the unsmoothed BLEU.

    Taught in: notebook 07, section 5.
    """
    import sacrebleu

    bleu = _corpus_bleu(hypotheses, references, tokenizer, smooth_method)
    chrf = sacrebleu.corpus_chrf(list(hypotheses), [list(references)])
    return {"bleu": bleu.score, "chrf": chrf.score}


def bleu_details(hypotheses: Sequence[str], references: Sequence[str], tokenizer: str = "13a",
                 smooth_method: str = "exp") -> dict:
    """Corpus BLEU with its parts: the n-gram precisions (smoothed as ``smooth_method`` says),
    the matches and totals they come from, the brevity penalty, the lengths.

    Taught in: notebook 07, section 8.
    """
    bleu = _corpus_bleu(hypotheses, references, tokenizer, smooth_method)
    return {"bleu": bleu.score, "precisions": list(bleu.precisions), "matches": list(bleu.counts),
            "totals": list(bleu.totals), "bp": bleu.bp, "hyp_len": bleu.sys_len, "ref_len": bleu.ref_len}


ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


def rouge_scores(hypotheses: Sequence[str], references: Sequence[str],
                 rouge_types: Sequence[str] = ROUGE_TYPES) -> dict[str, float]:
    """Mean ROUGE F1 (0-100) over the pairs, with Porter stemming (``rouge-score``).

    Taught in: notebook 09, section 3.
    """
    from rouge_score import rouge_scorer

    _check_pairs(hypotheses, references)
    for index, name in enumerate(require_strings("rouge_types", rouge_types, min_length=1)):
        require_str(f"rouge_types[{index}]", name, choices=("rouge1", "rouge2", "rouge3", "rougeL", "rougeLsum"))
    scorer = rouge_scorer.RougeScorer(list(rouge_types), use_stemmer=True)
    totals = dict.fromkeys(rouge_types, 0.0)
    for hypothesis, reference in zip(hypotheses, references):
        scores = scorer.score(reference, hypothesis)  # rouge-score takes (target, prediction)
        for name in rouge_types:
            totals[name] += scores[name].fmeasure
    return {name: 100 * total / len(hypotheses) for name, total in totals.items()}


def mean_words(texts: Sequence[str]) -> float:
    """Mean length in whitespace-separated words (0 for no texts).

    Taught in: notebook 07, section 8.
    """
    require_strings("texts", texts)
    return sum(len(t.split()) for t in texts) / len(texts) if texts else 0.0
