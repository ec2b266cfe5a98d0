"""Exercises of notebook 07 (translation): decoder inputs for teacher forcing, BLEU by hand.

The checkers run the learner's function on small fixed cases and name the first thing
that is wrong (a -100 left in the decoder inputs, a shift the wrong way, no clipping,
no brevity penalty, ...), never the answer.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Callable, Sequence

import torch
from torch import Tensor

from . import checks

# --- 07.1 labels -> decoder inputs -----------------------------------------------------------

START, PAD = 101, 0


def shift_right(labels: Tensor, start_id: int, pad_id: int) -> Tensor:
    """(B, T) labels (-100 = padding) -> (B, T) decoder inputs: start token, then labels[:, :-1]."""
    inputs = torch.full_like(labels, pad_id)  # (B, T), a new tensor: labels stay untouched
    inputs[:, 0] = start_id
    inputs[:, 1:] = labels[:, :-1]  # position t reads the label of position t - 1
    return inputs.masked_fill(inputs == -100, pad_id)  # -100 is no token id: read [PAD] instead


_SHIFT_CASES = (
    torch.tensor([[7592, 2088, 102], [2748, 102, -100]]),
    torch.tensor([[5, 6, 7, 8, 102, -100, -100]]),
    torch.tensor([[42, 102], [102, -100], [9, 102]]),
)


def _diagnose_shift(got: Tensor, labels: Tensor) -> str | None:
    want = shift_right(labels, START, PAD)
    if tuple(got.shape) != tuple(want.shape):
        return f"for labels of shape {tuple(labels.shape)} the decoder inputs have shape {tuple(got.shape)}; " \
               f"they must have the same shape (B, T) as the labels."
    if torch.equal(got, want):
        return None
    if (got == -100).any():
        return "the decoder inputs still contain -100: it marks padding for the loss, but it is no token " \
               "id, so the embedding layer cannot look it up; replace it with the pad id."
    if not (got[:, 0] == START).all():
        if torch.equal(got[:, :-1].masked_fill(got[:, :-1] == -100, PAD), labels[:, 1:].masked_fill(labels[:, 1:] == -100, PAD)):
            return "the labels are shifted left, not right: position t must read the label of position " \
                   "t - 1 (the token before it), not of t + 1."
        return "the first decoder input is not the start token: with nothing generated yet, the decoder " \
               "must read the start token at position 0."
    if torch.equal(got, labels.masked_fill(labels == -100, PAD)):
        return "the decoder inputs equal the labels: the decoder would read the very token it must predict."
    return "the start token is in place but the other positions are not the labels moved one step right."


def check_shift_right(fn: Callable[[Tensor, int, int], Tensor]) -> str | None:
    for labels in _SHIFT_CASES:
        original = labels.clone()
        got = fn(labels, START, PAD)
        problem = checks.returned(got, Tensor, "shift_right")
        if problem:
            return problem
        if not torch.equal(labels, original):
            return "your function changed the labels it was given; the loss still needs them as they " \
                   "were, so build a new tensor (e.g. with labels.clone() or torch.full_like)."
        problem = _diagnose_shift(got, labels)
        if problem:
            return problem
    return None


def _minus_100_kept(labels: Tensor, start_id: int, pad_id: int) -> Tensor:
    inputs = torch.full_like(labels, pad_id)
    inputs[:, 0] = start_id
    inputs[:, 1:] = labels[:, :-1]
    return inputs


def _shifted_left(labels: Tensor, start_id: int, pad_id: int) -> Tensor:
    inputs = torch.full_like(labels, pad_id)
    inputs[:, :-1] = labels[:, 1:]
    return inputs.masked_fill(inputs == -100, pad_id)


def _no_start_token(labels: Tensor, start_id: int, pad_id: int) -> Tensor:
    inputs = torch.full_like(labels, pad_id)
    inputs[:, 1:] = labels[:, :-1]
    return inputs.masked_fill(inputs == -100, pad_id)


def _in_place(labels: Tensor, start_id: int, pad_id: int) -> Tensor:
    labels[labels == -100] = pad_id  # mutates the caller's labels
    return torch.cat([torch.full_like(labels[:, :1], start_id), labels[:, :-1]], dim=1)


def _not_shifted(labels: Tensor, start_id: int, pad_id: int) -> Tensor:
    return labels.masked_fill(labels == -100, pad_id)


checks.register(checks.Exercise(
    id="07.1", title="decoder inputs = labels shifted one step right, start token first, -100 -> pad",
    checker=check_shift_right,
    hint="make a new (B, T) tensor filled with pad_id, put start_id in column 0 and labels[:, :-1] in "
         "columns 1 and after, then replace any -100 by pad_id.",
    solution=shift_right,
    wrong_answers=(_minus_100_kept, _shifted_left, _no_start_token, _in_place, _not_shifted),
))


# --- 07.2 BLEU by hand -----------------------------------------------------------------------

def sentence_bleu(hypothesis: Sequence[str], reference: Sequence[str]) -> float:
    """BLEU (0-100) of one tokenized hypothesis (at least 4 tokens) against one reference."""
    log_precisions = []
    for n in range(1, 5):
        hyp = Counter(tuple(hypothesis[i:i + n]) for i in range(len(hypothesis) - n + 1))
        ref = Counter(tuple(reference[i:i + n]) for i in range(len(reference) - n + 1))
        matches = sum(min(count, ref[gram]) for gram, count in hyp.items())  # clipped counts
        if matches == 0:
            return 0.0
        log_precisions.append(math.log(matches / sum(hyp.values())))
    c, r = len(hypothesis), len(reference)
    brevity_penalty = 1.0 if c > r else math.exp(1 - r / c)
    return 100 * brevity_penalty * math.exp(sum(log_precisions) / 4)


_BLEU_CASES = (  # (hypothesis, reference): repeats expose clipping, short ones the penalty
    ("the cat sat on the mat today", "the cat is sitting on the mat today"),
    ("the cat is on the mat the cat is on the mat", "the cat is on the mat"),
    ("the cat is on the mat", "the cat is on the mat"),
    ("on the mat the cat sat", "the cat sat on the mat and purred loudly all day"),
    ("a dog is in the garden", "the cat is on the mat"),
)


def _reference_bleu(hypothesis: str, reference: str) -> float:
    import sacrebleu

    return sacrebleu.sentence_bleu(hypothesis, [reference], smooth_method="none", tokenize="none").score


def _diagnose_bleu(fn, hypothesis: str, reference: str) -> str | None:
    hyp, ref = hypothesis.split(), reference.split()
    got = fn(list(hyp), list(ref))
    if isinstance(got, torch.Tensor):
        got = got.item()
    if got is None or not isinstance(got, (int, float)):
        return checks.returned(got, float, "your BLEU function")
    want = _reference_bleu(hypothesis, reference)
    if math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-6):
        return None
    case = f"for hypothesis {hypothesis!r} and reference {reference!r}"
    if want > 0 and math.isclose(100 * got, want, rel_tol=1e-6):
        return f"{case} you return {got:.4f}: BLEU is reported on a 0-100 scale, multiply by 100."
    if 0 < want < 100 and math.isclose(got, 100.0, rel_tol=1e-9) and hyp == ref[:len(hyp)]:
        return f"{case} you return 100, but the hypothesis is shorter than the reference: the brevity penalty is missing."
    for variant, message in _BLEU_MISTAKES:
        if math.isclose(got, variant(hyp, ref), rel_tol=1e-6, abs_tol=1e-6):
            return f"{case} you return {got:.2f}, but sacreBLEU gives {want:.2f}: {message}"
    return f"{case} you return {got:.2f}, but sacreBLEU gives {want:.2f}: check the clipped counts, the " \
           f"geometric mean of the four precisions and the brevity penalty."


def check_sentence_bleu(fn: Callable[[list[str], list[str]], float]) -> str | None:
    for hypothesis, reference in _BLEU_CASES:
        problem = _diagnose_bleu(fn, hypothesis, reference)
        if problem:
            return problem
    return None


def _precisions(hypothesis, reference, clip=True):
    values = []
    for n in range(1, 5):
        hyp = Counter(tuple(hypothesis[i:i + n]) for i in range(len(hypothesis) - n + 1))
        ref = Counter(tuple(reference[i:i + n]) for i in range(len(reference) - n + 1))
        matches = sum(min(c, ref[g]) if clip else (c if g in ref else 0) for g, c in hyp.items())
        values.append(matches / sum(hyp.values()))
    return values


def _no_clipping(hypothesis, reference):
    p = _precisions(hypothesis, reference, clip=False)
    if min(p) == 0:
        return 0.0
    c, r = len(hypothesis), len(reference)
    return 100 * (1.0 if c > r else math.exp(1 - r / c)) * math.exp(sum(map(math.log, p)) / 4)


def _no_brevity_penalty(hypothesis, reference):
    p = _precisions(hypothesis, reference)
    return 0.0 if min(p) == 0 else 100 * math.exp(sum(map(math.log, p)) / 4)


def _arithmetic_mean(hypothesis, reference):
    p = _precisions(hypothesis, reference)
    c, r = len(hypothesis), len(reference)
    return 100 * (1.0 if c > r else math.exp(1 - r / c)) * sum(p) / 4


def _zero_to_one(hypothesis, reference):
    return sentence_bleu(hypothesis, reference) / 100


def _penalty_inverted(hypothesis, reference):
    p = _precisions(hypothesis, reference)
    if min(p) == 0:
        return 0.0
    c, r = len(hypothesis), len(reference)
    return 100 * (1.0 if c > r else math.exp(1 - c / r)) * math.exp(sum(map(math.log, p)) / 4)


_BLEU_MISTAKES = (  # (a typical mistake, what to tell the learner when the answer matches it)
    (_no_clipping, "a repeated word counts more often than the reference has it; clip each n-gram "
                   "count at its count in the reference."),
    (_no_brevity_penalty, "the hypothesis is shorter than the reference, but your score has no brevity penalty."),
    (_arithmetic_mean, "the four precisions are averaged with an arithmetic mean; BLEU takes their geometric "
                       "mean (the exponential of the mean log)."),
    (_penalty_inverted, "the brevity penalty is upside down: it is exp(1 - r / c) with r the reference "
                        "length and c the hypothesis length."),
)

checks.register(checks.Exercise(
    id="07.2", title="sentence BLEU from clipped n-gram precisions and the brevity penalty",
    checker=check_sentence_bleu,
    hint="for n = 1..4 count the hypothesis n-grams, clip each count at the reference's count, divide by "
         "the number of hypothesis n-grams; BLEU = 100 * BP * exp(mean of the log precisions), with "
         "BP = 1 if c > r else exp(1 - r / c).",
    solution=sentence_bleu,
    wrong_answers=(_no_clipping, _no_brevity_penalty, _arithmetic_mean, _zero_to_one, _penalty_inverted),
))
