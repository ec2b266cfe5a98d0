"""Exercises of notebook 04 (MLM vs LM): BERT's 80/10/10 masking, a perplexity, the causal shift.

Checkers draw their inputs from their own generators and run the learner's code inside
``torch.random.fork_rng`` (so checking never changes the notebook's random numbers), and
name the first thing that is wrong without giving the answer away.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import Tensor

from . import checks
from ..objectives import IGNORE_INDEX, masking_stats

VOCAB, MASK, SPECIAL = 1000, 4, (0, 1, 2, 3, 4)  # [PAD] [UNK] [CLS] [SEP] [MASK]
TOLERANCE = 0.02  # on fractions measured over ~25,000 chosen positions


# --- 04.1 BERT's masking recipe -----------------------------------------------------------

def mask_tokens(input_ids: Tensor, special_mask: Tensor, mask_token_id: int, vocab_size: int
                ) -> tuple[Tensor, Tensor]:
    """15% of the non-special positions are chosen; of those 80% -> [MASK], 10% -> random, 10% kept."""
    chosen = (torch.rand(input_ids.shape) < 0.15) & ~special_mask  # (B, T)
    fate = torch.rand(input_ids.shape)  # (B, T): one draw decides what happens to a chosen position
    inputs = input_ids.clone()  # never modify the caller's tensor
    inputs[chosen & (fate < 0.8)] = mask_token_id
    to_random = chosen & (fate >= 0.8) & (fate < 0.9)
    inputs[to_random] = torch.randint(vocab_size, input_ids.shape)[to_random]
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, -100))  # loss only where chosen
    return inputs, labels


def _masking_batch() -> tuple[Tensor, Tensor]:
    g = torch.Generator().manual_seed(404)
    ids = torch.randint(len(SPECIAL), VOCAB, (400, 64), generator=g)  # (B, T)
    ids[:, 0], ids[:, -1] = 2, 3  # [CLS] ... [SEP]
    ids[:100, -12:-1] = 0  # padding in a quarter of the rows
    return ids, torch.isin(ids, torch.tensor(SPECIAL))


def check_mask_tokens(fn: Callable[..., tuple[Tensor, Tensor]]) -> str | None:
    ids, special = _masking_batch()
    original = ids.clone()
    with torch.random.fork_rng():
        torch.manual_seed(4)
        got = fn(ids, special, MASK, VOCAB)
    if not isinstance(got, tuple) or len(got) != 2:
        return checks.returned(got, tuple, "my_mask_tokens") or "my_mask_tokens should return two tensors: " \
                                                                "(inputs, labels)."
    inputs, labels = got
    for name, value in (("inputs", inputs), ("labels", labels)):
        problem = checks.returned(value, Tensor, f"my_mask_tokens' {name}")
        if problem:
            return problem
        if value.shape != ids.shape:
            return f"{name} has shape {tuple(value.shape)}, expected the shape of input_ids {tuple(ids.shape)}."
    if not torch.equal(ids, original):
        return "your function changed input_ids in place: clone it first, the caller still needs the originals."
    chosen = labels != IGNORE_INDEX
    if chosen.all():
        return "labels has no -100 anywhere: positions that were not chosen must get -100 so the loss ignores them."
    if chosen[special].any():
        return "special tokens ([CLS], [SEP], [PAD]) were chosen: they must never be masked or predicted."
    if not torch.equal(labels[chosen], ids[chosen]):
        return "at the chosen positions the labels must be the ORIGINAL tokens (what the model should predict)."
    if not torch.equal(inputs[~chosen], ids[~chosen]):
        return "inputs changed at positions that were not chosen: only the chosen positions may be altered."
    stats = masking_stats(ids, inputs, labels, special, MASK)
    if abs(stats.selected - 0.15) > TOLERANCE:
        return f"{stats.selected:.1%} of the maskable positions were chosen, expected about 15%."
    for name, want in (("mask", 0.8), ("random", 0.1), ("unchanged", 0.1)):
        got_fraction = getattr(stats, name)
        if abs(got_fraction - want) > 2 * TOLERANCE:
            what = {"mask": "replaced by [MASK]", "random": "replaced by a random token",
                    "unchanged": "left unchanged"}[name]
            return f"of the chosen positions {got_fraction:.1%} were {what}, expected about {want:.0%}."
    return None


def _all_mask(input_ids, special_mask, mask_token_id, vocab_size):
    chosen = (torch.rand(input_ids.shape) < 0.15) & ~special_mask
    inputs = input_ids.clone()
    inputs[chosen] = mask_token_id
    return inputs, torch.where(chosen, input_ids, torch.full_like(input_ids, -100))


def _labels_everywhere(input_ids, special_mask, mask_token_id, vocab_size):
    inputs, _ = mask_tokens(input_ids, special_mask, mask_token_id, vocab_size)
    return inputs, input_ids.clone()


def _masks_specials(input_ids, special_mask, mask_token_id, vocab_size):
    return mask_tokens(input_ids, torch.zeros_like(special_mask), mask_token_id, vocab_size)


def _in_place(input_ids, special_mask, mask_token_id, vocab_size):
    inputs, labels = mask_tokens(input_ids, special_mask, mask_token_id, vocab_size)
    input_ids.copy_(inputs)
    return input_ids, labels


def _eighty_percent_of_everything(input_ids, special_mask, mask_token_id, vocab_size):
    chosen = (torch.rand(input_ids.shape) < 0.8) & ~special_mask
    inputs = input_ids.clone()
    inputs[chosen] = mask_token_id
    return inputs, torch.where(chosen, input_ids, torch.full_like(input_ids, -100))


def _labels_are_inputs(input_ids, special_mask, mask_token_id, vocab_size):
    inputs, labels = mask_tokens(input_ids, special_mask, mask_token_id, vocab_size)
    return inputs, torch.where(labels != -100, inputs, labels)


checks.register(checks.Exercise(
    id="04.1", title="BERT's masking recipe: 15% chosen, then 80% [MASK], 10% random, 10% unchanged",
    checker=check_mask_tokens,
    hint="draw torch.rand for every position: chosen = (r < 0.15) & ~special_mask; a second draw decides "
         "[MASK] (< 0.8), random (< 0.9) or unchanged; labels = original token where chosen, -100 elsewhere; "
         "work on a clone of input_ids.",
    solution=mask_tokens,
    wrong_answers=(_all_mask, _labels_everywhere, _masks_specials, _in_place, _eighty_percent_of_everything,
                   _labels_are_inputs),
))


# --- 04.2 perplexity from per-token losses ------------------------------------------------

def perplexity(token_losses: Tensor, counted: Tensor) -> float:
    """exp(mean negative log-likelihood over the counted positions)."""
    return math.exp(token_losses[counted].mean().item())


def check_perplexity(fn: Callable[[Tensor, Tensor], float]) -> str | None:
    g = torch.Generator().manual_seed(42)
    for shape in ((3, 7), (2, 5)):
        losses = torch.rand(*shape, generator=g) * 6  # (B, T) nats
        counted = torch.rand(*shape, generator=g) < 0.5
        counted[0, 0] = True
        got = fn(losses, counted)
        if isinstance(got, Tensor) and got.numel() == 1:
            got = got.item()
        if not isinstance(got, (float, int)) or isinstance(got, bool):
            return checks.returned(got, float, "my_perplexity") or "my_perplexity should return one number."
        want = perplexity(losses, counted)
        if math.isclose(got, want, rel_tol=1e-4):
            continue
        if math.isclose(got, math.exp(losses.mean().item()), rel_tol=1e-4):
            return "you averaged over every position: only the counted ones (counted == True) have a target."
        if math.isclose(got, losses[counted].exp().mean().item(), rel_tol=1e-4):
            return "you averaged the per-token perplexities: average the losses first, then exponentiate."
        if math.isclose(got, 2 ** losses[counted].mean().item(), rel_tol=1e-4):
            return "you used base 2, but the losses are natural-log cross-entropies (nats)."
        if math.isclose(got, losses[counted].mean().item(), rel_tol=1e-4):
            return "you returned the mean loss itself: a perplexity is its exponential."
        return f"got {got:.4g}, which is not exp(mean loss over the counted positions)."
    return None


checks.register(checks.Exercise(
    id="04.2", title="perplexity = exp(mean cross-entropy over the predicted positions)",
    checker=check_perplexity,
    hint="select the counted losses with a boolean index, average them, and take math.exp of the average.",
    solution=perplexity,
    wrong_answers=(lambda l, c: math.exp(l.mean().item()), lambda l, c: l[c].exp().mean().item(),
                   lambda l, c: 2 ** l[c].mean().item(), lambda l, c: l[c].mean().item(),
                   lambda l, c: math.exp(l[c].sum().item())),
))


# --- 04.3 inputs and labels for next-token prediction --------------------------------------

def shift(input_ids: Tensor) -> tuple[Tensor, Tensor]:
    """(B, T) -> inputs (B, T-1) = tokens 0..T-2, labels (B, T-1) = tokens 1..T-1."""
    return input_ids[:, :-1], input_ids[:, 1:]


def check_shift(fn: Callable[[Tensor], tuple[Tensor, Tensor]]) -> str | None:
    for b, t in ((2, 6), (3, 4)):
        ids = torch.arange(b * t).view(b, t) * 10  # distinct, readable tokens
        got = fn(ids)
        if not isinstance(got, tuple) or len(got) != 2:
            return checks.returned(got, tuple, "my_shift") or "my_shift should return (inputs, labels)."
        inputs, labels = got
        if not (isinstance(inputs, Tensor) and isinstance(labels, Tensor)):
            return "my_shift should return two tensors."
        if inputs.shape != (b, t - 1) or labels.shape != (b, t - 1):
            return f"for input_ids of shape {(b, t)} got shapes {tuple(inputs.shape)} and {tuple(labels.shape)}, " \
                   f"expected {(b, t - 1)} for both: shift along the time dimension, not the batch."
        want_inputs, want_labels = shift(ids)
        if torch.equal(inputs, want_inputs) and torch.equal(labels, want_labels):
            continue
        if torch.equal(inputs, labels):
            return "inputs and labels are the same tokens: the model would learn to copy its input, not to " \
                   "predict the next token."
        if torch.equal(inputs, want_labels) and torch.equal(labels, want_inputs):
            return "the shift goes the wrong way: each position must predict the token AFTER it."
        return "at position t the label must be the token at t + 1 of the same row."
    return None


checks.register(checks.Exercise(
    id="04.3", title="next-token inputs and labels, shifted by one",
    checker=check_shift,
    hint="inputs drop the last token, labels drop the first one: slice the last dimension.",
    solution=shift,
    wrong_answers=(lambda ids: (ids, ids), lambda ids: (ids[:, 1:], ids[:, :-1]),
                   lambda ids: (ids[:-1], ids[1:]), lambda ids: (ids[:, :-1], ids[:, :-1])),
))
