"""Exercises of notebook 04 (MLM vs LM): BERT's 80/10/10 masking, a perplexity, the causal shift,
whole-word masking.

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


# --- 04.4 whole-word masking ----------------------------------------------------------------

def whole_word_mask(word_ids: Tensor, mlm_probability: float) -> Tensor:
    """(B, T) bool: each word (one id per row, -1 at special tokens) chosen with mlm_probability, all its pieces."""
    coins = torch.rand(word_ids.shape) < mlm_probability  # (B, T): one coin per possible word index
    return coins.gather(1, word_ids.clamp(min=0)) & (word_ids != -1)  # every piece looks up its word's coin


def _word_ids_batch() -> Tensor:
    """(300, 48) word ids as word_ids_from_pieces gives them: words of 1-4 pieces, -1 at [CLS], [SEP], [PAD]."""
    g = torch.Generator().manual_seed(44)
    rows = []
    for r in range(300):
        ids, word = [-1], 0
        while len(ids) < 47 - (8 if r % 4 == 0 else 0):
            ids += [word] * int(torch.randint(1, 5, (), generator=g))
            word += 1
        ids = ids[:47 - (8 if r % 4 == 0 else 0)] + [-1]  # [SEP]
        rows.append(ids + [-1] * (48 - len(ids)))  # padding in a quarter of the rows
    return torch.tensor(rows)


def check_whole_word_mask(fn: Callable[[Tensor, float], Tensor]) -> str | None:
    word_ids = _word_ids_batch()
    original = word_ids.clone()
    is_word = word_ids != -1
    first_piece = is_word & torch.cat([torch.ones(len(word_ids), 1, dtype=torch.bool),
                                       word_ids[:, 1:] != word_ids[:, :-1]], dim=1)  # (B, T)
    for p in (0.15, 0.4):
        with torch.random.fork_rng():
            torch.manual_seed(4)
            got = fn(word_ids, p)
        problem = checks.returned(got, Tensor, "my_whole_word_mask")
        if problem:
            return problem
        if got.shape != word_ids.shape or got.dtype != torch.bool:
            return f"expected a bool tensor of shape {tuple(word_ids.shape)}, got {got.dtype} of shape {tuple(got.shape)}."
        if not torch.equal(word_ids, original):
            return "your function changed word_ids in place: the caller still needs them."
        if got[~is_word].any():
            return "special tokens (word id -1) were chosen: they belong to no word and must never be masked."
        slots = word_ids.clamp(min=0)
        chosen_pieces = torch.zeros(word_ids.shape).scatter_add_(1, slots, (got & is_word).float())
        pieces = torch.zeros(word_ids.shape).scatter_add_(1, slots, is_word.float())
        partly = (chosen_pieces > 0) & (chosen_pieces < pieces)  # (B, W): a word with some pieces chosen, not all
        if partly.any():
            return f"{int(partly.sum())} words were masked only in part: all the pieces of a chosen word must be " \
                   f"masked together (look up one coin per word, not per piece)."
        rate = float(got[first_piece].float().mean())
        if abs(rate - p) > 0.03:
            return f"with mlm_probability={p}, {rate:.1%} of the words were chosen, expected about {p:.0%} of the words."
    return None


def _per_piece(word_ids, mlm_probability):
    return (torch.rand(word_ids.shape) < mlm_probability) & (word_ids != -1)


def _specials_too(word_ids, mlm_probability):
    return (torch.rand(word_ids.shape) < mlm_probability).gather(1, word_ids.clamp(min=0))


def _first_piece_only(word_ids, mlm_probability):
    starts = torch.cat([torch.ones(len(word_ids), 1, dtype=torch.bool), word_ids[:, 1:] != word_ids[:, :-1]], dim=1)
    return whole_word_mask(word_ids, mlm_probability) & starts


def _always_fifteen_percent(word_ids, mlm_probability):
    return whole_word_mask(word_ids, 0.15)


def _pieces_rate(word_ids, mlm_probability):
    return whole_word_mask(word_ids, mlm_probability / 2.5)  # about p of the pieces, far fewer than p of the words


checks.register(checks.Exercise(
    id="04.4", title="whole-word masking: choose words, mask all of their pieces",
    checker=check_whole_word_mask,
    hint="draw one coin per possible word index, coins = torch.rand(word_ids.shape) < p; every position looks up "
         "its word's coin with coins.gather(1, word_ids.clamp(min=0)); then switch off the positions whose id is -1.",
    solution=whole_word_mask,
    wrong_answers=(_per_piece, _specials_too, _first_piece_only, _always_fifteen_percent, _pieces_rate),
))
