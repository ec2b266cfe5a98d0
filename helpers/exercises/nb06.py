"""Exercises of notebook 06 (fine-tuning for classification): dynamic padding, spam precision/recall/F1,
the most confident mistakes.

Each checker runs the learner's function on small hand-made inputs with known answers and
names what is off (padding to a fixed length, an inverted mask, the confusion matrix read
the wrong way round, ...).
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from . import checks
from ..classification import most_confident_mistakes


# --- 06.1 pad a batch dynamically ----------------------------------------------------------

def pad_batch(sequences: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(input_ids (B, T), attention_mask (B, T)), T = the longest sequence; pad on the right."""
    longest = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), longest), pad_id, dtype=torch.long)  # (B, T)
    mask = torch.zeros((len(sequences), longest), dtype=torch.long)        # (B, T)
    for row, seq in enumerate(sequences):
        ids[row, :len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, :len(seq)] = 1
    return ids, mask


_PAD_CASES = (([[101, 7, 8, 102], [101, 9, 102], [101, 102]], 0),
              ([[101, 5, 102], [101, 6, 6, 6, 6, 102]], 3))


def check_pad_batch(fn: Callable[[list[list[int]], int], tuple[torch.Tensor, torch.Tensor]]) -> str | None:
    for sequences, pad_id in _PAD_CASES:
        got = fn([list(s) for s in sequences], pad_id)
        problem = checks.returned(got, tuple, "pad_batch")
        if problem:
            return problem
        if len(got) != 2 or not all(isinstance(t, torch.Tensor) for t in got):
            return "pad_batch must return two tensors: (input_ids, attention_mask)."
        ids, mask = got
        want_ids, want_mask = pad_batch(sequences, pad_id)
        if ids.shape != want_ids.shape:
            if ids.shape[0] == len(sequences) and ids.shape[1] > want_ids.shape[1]:
                return f"the batch has {ids.shape[1]} columns but its longest sequence has only " \
                       f"{want_ids.shape[1]} tokens: dynamic padding pads to the longest in the batch."
            return f"input_ids has shape {tuple(ids.shape)}, expected {tuple(want_ids.shape)} " \
                   f"(batch size, longest sequence)."
        if mask.shape != want_mask.shape:
            return f"attention_mask has shape {tuple(mask.shape)}, expected {tuple(want_mask.shape)}."
        if torch.equal(mask.long(), 1 - want_mask):
            return "the attention mask is inverted: 1 marks a real token, 0 a pad."
        if torch.equal(ids.long(), want_ids.flip(-1)) or not torch.equal(ids[:, 0].long(), want_ids[:, 0]):
            return "the tokens do not start at position 0: pad on the right, after the real tokens."
        if not torch.equal(ids.long(), want_ids):
            return f"input_ids differ from the expected padded batch: fill the gaps with pad_id={pad_id}."
        if not torch.equal(mask.long(), want_mask):
            return "attention_mask should be 1 on every real token and 0 on every pad."
    return None


def _pads_to_fixed(sequences: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    ids = torch.full((len(sequences), 16), pad_id, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, seq in enumerate(sequences):
        ids[row, :len(seq)] = torch.tensor(seq)
        mask[row, :len(seq)] = 1
    return ids, mask


def _inverted_mask(sequences: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    ids, mask = pad_batch(sequences, pad_id)
    return ids, 1 - mask


def _pads_with_zero(sequences: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    return pad_batch(sequences, 0)


checks.register(checks.Exercise(
    id="06.1", title="pad a batch dynamically",
    checker=check_pad_batch,
    hint="find T = the length of the longest sequence, start from a (B, T) tensor full of pad_id and "
         "a (B, T) mask of zeros, then copy each sequence into the left of its row and set its mask to 1 there.",
    solution=pad_batch,
    wrong_answers=(_pads_to_fixed, _inverted_mask, _pads_with_zero),
))


# --- 06.2 precision, recall and F1 of the spam class from a confusion matrix -----------------

def spam_scores(confusion: list[list[int]]) -> tuple[float, float, float]:
    """(precision, recall, F1) of class 1; confusion[i][j] counts true class i predicted as j."""
    tp, fp, fn = confusion[1][1], confusion[0][1], confusion[1][0]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


_CONFUSIONS = ([[50, 10], [5, 35]], [[90, 2], [8, 20]], [[10, 0], [4, 0]])


def check_spam_scores(fn: Callable[[list[list[int]]], tuple[float, float, float]]) -> str | None:
    for confusion in _CONFUSIONS:
        got = fn([row[:] for row in confusion])
        problem = checks.returned(got, tuple, "spam_scores")
        if problem:
            return problem
        if len(got) != 3:
            return f"spam_scores returned {len(got)} values, expected (precision, recall, f1)."
        want = spam_scores(confusion)
        if all(math.isclose(float(g), w, abs_tol=1e-9) for g, w in zip(got, want)):
            continue
        if math.isclose(float(got[0]), want[1], abs_tol=1e-9) and math.isclose(float(got[1]), want[0], abs_tol=1e-9):
            return "precision and recall are swapped: rows are the TRUE class, columns the PREDICTED one."
        if not math.isclose(float(got[0]), want[0], abs_tol=1e-9):
            return f"precision is {float(got[0]):.3f} for {confusion}: it is the share of emails PREDICTED " \
                   f"spam that really are spam."
        if not math.isclose(float(got[1]), want[1], abs_tol=1e-9):
            return f"recall is {float(got[1]):.3f} for {confusion}: it is the share of TRUE spam that was found."
        if math.isclose(float(got[2]), (want[0] + want[1]) / 2, abs_tol=1e-9):
            return "F1 is the harmonic mean of precision and recall, not their arithmetic mean."
        return f"F1 is {float(got[2]):.3f} for {confusion}, which does not match its precision and recall " \
               f"(and when both are 0, F1 is 0)."
    return None


def _swapped_axes(confusion: list[list[int]]) -> tuple[float, float, float]:
    return spam_scores([[confusion[0][0], confusion[1][0]], [confusion[0][1], confusion[1][1]]])


def _arithmetic_f1(confusion: list[list[int]]) -> tuple[float, float, float]:
    precision, recall, _ = spam_scores(confusion)
    return precision, recall, (precision + recall) / 2


def _divides_by_zero(confusion: list[list[int]]) -> tuple[float, float, float]:
    tp, fp, fn = confusion[1][1], confusion[0][1], confusion[1][0]
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return precision, recall, 2 * precision * recall / (precision + recall)


checks.register(checks.Exercise(
    id="06.2", title="precision, recall and F1 of the spam class",
    checker=check_spam_scores,
    hint="true positives are confusion[1][1]; false positives are ham predicted as spam, confusion[0][1]; "
         "false negatives are spam predicted as ham, confusion[1][0]. Guard each division against 0.",
    solution=spam_scores,
    wrong_answers=(_swapped_axes, _arithmetic_f1, _divides_by_zero),
))


# --- 06.3 the most confident mistakes --------------------------------------------------------

_PROBS = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.05, 0.95], [0.3, 0.7], [0.99, 0.01]])
_LABELS = torch.tensor([1, 1, 1, 0, 0, 0])  # wrong: 0 (0.9), 2 (0.6), 3 (0.95), 4 (0.7)


def check_mistakes(fn: Callable[[torch.Tensor, torch.Tensor, int], list[int]]) -> str | None:
    for k in (3, 10, 0):
        got = fn(_PROBS.clone(), _LABELS.clone(), k)
        if isinstance(got, torch.Tensor):
            got = got.tolist()
        problem = checks.returned(got, list, "most_confident_mistakes")
        if problem:
            return problem
        want = most_confident_mistakes(_PROBS, _LABELS, k)
        if [int(i) for i in got] == want:
            continue
        if any(int(i) in (1, 5) for i in got):
            return "the list includes examples the model got right: keep only wrong predictions."
        if sorted(int(i) for i in got) == sorted(want):
            return "the right mistakes, in the wrong order: most confident first."
        if len(got) != len(want):
            return f"with k={k} you returned {len(got)} indices, expected {len(want)} (at most k, and only mistakes)."
        return f"with k={k} you returned {got}: rank the mistakes by the probability of the PREDICTED class."
    return None


def _includes_correct(probs: torch.Tensor, labels: torch.Tensor, k: int) -> list[int]:
    return probs.max(dim=-1).values.argsort(descending=True)[:k].tolist()


def _least_confident_first(probs: torch.Tensor, labels: torch.Tensor, k: int) -> list[int]:
    return most_confident_mistakes(probs, labels, len(labels))[::-1][:k]


def _by_true_class_probability(probs: torch.Tensor, labels: torch.Tensor, k: int) -> list[int]:
    wrong = (probs.argmax(dim=-1) != labels).nonzero().flatten()
    true_prob = probs[wrong, labels[wrong]]
    return wrong[true_prob.argsort(descending=True)][:k].tolist()


checks.register(checks.Exercise(
    id="06.3", title="find the most confident mistakes",
    checker=check_mistakes,
    hint="confidence, predicted = probs.max(dim=-1); keep the indices where predicted != labels, then "
         "sort them by confidence, highest first, and take at most k.",
    solution=most_confident_mistakes,
    wrong_answers=(_includes_correct, _least_confident_first, _by_true_class_probability),
))
