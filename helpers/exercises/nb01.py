"""Exercises of notebook 01 (attention): attention weights, the causal mask, splitting heads.

Each checker runs the learner's function on random inputs of several shapes, drawn
from its own generator (so checking never changes the notebook's random numbers),
and names the first thing that is wrong: a shape, a dtype, a missing scale, a
softmax over the wrong dimension, a mask that lets a query see the future, ...
"""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import Tensor

from . import checks

ATOL = 1e-5


def _randn(*shape: int, seed: int) -> Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def _close(a: Tensor, b: Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a.float(), b.float(), atol=ATOL, rtol=1e-4)


# --- 01.1 attention weights ---------------------------------------------------------------

def attention_weights(q: Tensor, k: Tensor) -> Tensor:
    """softmax(q k^T / sqrt(d_k)) over the keys: q (..., T_q, d_k), k (..., T_k, d_k) -> (..., T_q, T_k)."""
    d_k = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / d_k ** 0.5  # (..., T_q, T_k): one row per query
    return scores.softmax(dim=-1)  # each row sums to 1 over the keys


# Batch shapes, T_q, T_k, d_k: T_q != T_k exposes a transpose, d_k in {9, 16} exposes
# every wrong scale (1, d_k and sqrt(d_k) all differ), batch dims expose `.T`.
_WEIGHT_CASES = (((), 3, 5, 16), ((), 4, 2, 9), ((2,), 3, 4, 16), ((2, 3), 5, 3, 9))


def _diagnose_weights(got: Tensor, q: Tensor, k: Tensor) -> str | None:
    t_q, d_k, t_k = q.shape[-2], q.shape[-1], k.shape[-2]
    want_shape = (*q.shape[:-2], t_q, t_k)
    if tuple(got.shape) != want_shape:
        hint = " (it looks transposed: rows should be queries, columns keys)" \
            if tuple(got.shape) == (*q.shape[:-2], t_k, t_q) else ""
        return f"for q of shape {tuple(q.shape)} and k of shape {tuple(k.shape)} the weights have shape " \
               f"{tuple(got.shape)}, expected (..., T_q, T_k) = {want_shape}{hint}."
    if got.dtype.is_floating_point is False:
        return f"the weights have dtype {got.dtype}; they should be floating-point numbers."
    if not torch.isfinite(got).all():
        return "the weights contain NaN or infinite values."
    if _close(got, attention_weights(q, k)):
        return None
    raw = q @ k.transpose(-2, -1)  # (..., T_q, T_k)
    for scale in (1.0, 1 / math.sqrt(d_k), 1 / d_k):
        if _close(got, raw * scale):
            return "the weights are raw similarity scores: they are not positive and their rows " \
                   "do not sum to 1, so the softmax is missing."
    rows = got.sum(dim=-1)
    if not torch.allclose(rows, torch.ones_like(rows), atol=1e-4):
        cols = got.sum(dim=-2)
        if torch.allclose(cols, torch.ones_like(cols), atol=1e-4):
            return "each column sums to 1 instead of each row: the softmax runs over the queries, " \
                   "but every query needs its own distribution over the keys."
        return "the rows of the weights do not sum to 1, so they are not a softmax over the keys."
    if _close(got, raw.softmax(dim=-1)):
        return f"the weights are softmax(q k^T) without scaling: with d_k = {d_k} the scores are too " \
               f"large and the softmax too peaked."
    if _close(got, (raw / d_k).softmax(dim=-1)):
        return f"the scores are divided by d_k = {d_k}, which shrinks them too much: their variance " \
               f"becomes 1 / d_k instead of 1, so the softmax is too flat."
    error = (got - attention_weights(q, k)).abs().max().item()
    return f"each row sums to 1 but the weights differ from the expected ones by up to {error:.3g}."


def check_attention_weights(fn: Callable[[Tensor, Tensor], Tensor]) -> str | None:
    for index, (batch, t_q, t_k, d_k) in enumerate(_WEIGHT_CASES):
        q, k = _randn(*batch, t_q, d_k, seed=10 + index), _randn(*batch, t_k, d_k, seed=20 + index)
        try:
            got = fn(q, k)
        except NotImplementedError:
            raise
        except Exception as error:
            if not batch:
                raise
            return f"it works without batch dimensions but raises {type(error).__name__} for q of shape " \
                   f"{tuple(q.shape)}: make it work for any leading (batch, head) dimensions."
        problem = checks.returned(got, Tensor, "attention_weights") or _diagnose_weights(got, q, k)
        if problem:
            return problem
    return None


def _transposed(q: Tensor, k: Tensor) -> Tensor:
    return (k @ q.transpose(-2, -1) / q.shape[-1] ** 0.5).softmax(dim=-1)


def _unscaled(q: Tensor, k: Tensor) -> Tensor:
    return (q @ k.transpose(-2, -1)).softmax(dim=-1)


def _scaled_by_d_k(q: Tensor, k: Tensor) -> Tensor:
    return (q @ k.transpose(-2, -1) / q.shape[-1]).softmax(dim=-1)


def _softmax_over_queries(q: Tensor, k: Tensor) -> Tensor:
    return (q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5).softmax(dim=-2)


def _no_softmax(q: Tensor, k: Tensor) -> Tensor:
    return q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5


def _matrix_transpose_only(q: Tensor, k: Tensor) -> Tensor:
    return (q @ k.t() / q.shape[-1] ** 0.5).softmax(dim=-1)  # .t() exists only for 2-D tensors


checks.register(checks.Exercise(
    id="01.1", title="attention weights softmax(q k^T / sqrt(d_k)) over the keys",
    checker=check_attention_weights,
    hint="scores = q @ k^T (transpose only the last two dimensions), divided by the square root of "
         "d_k = q.shape[-1], then a softmax so that each query's row sums to 1.",
    solution=attention_weights,
    wrong_answers=(_transposed, _unscaled, _scaled_by_d_k, _softmax_over_queries, _no_softmax,
                   _matrix_transpose_only),
))


# --- 01.2 causal mask ---------------------------------------------------------------------

def causal_mask(t: int) -> Tensor:
    """(T, T) boolean mask, True where position i may attend to position j, that is j <= i."""
    return torch.ones(t, t, dtype=torch.bool).tril()  # (T, T): the diagonal and everything below


def _diagnose_mask(got: Tensor, t: int) -> str | None:
    if tuple(got.shape) != (t, t):
        return f"causal_mask({t}) has shape {tuple(got.shape)}, expected (T, T) = {(t, t)}."
    if got.dtype != torch.bool:
        return f"causal_mask({t}) has dtype {got.dtype}; a mask must be boolean (True = may attend)."
    below = torch.ones(t, t, dtype=torch.bool).tril(-1)  # strictly past positions
    above = torch.ones(t, t, dtype=torch.bool).triu(1)  # strictly future positions
    diagonal = got.diagonal()
    if t > 1 and torch.equal(got, above):
        return "True marks the hidden (future) positions, but in this course, as in PyTorch's " \
               "scaled_dot_product_attention, a mask is True where a query MAY attend."
    if t > 1 and not got[below].any() and got[above].all():
        return "the mask is upside down: it lets every position see the future and blocks the past."
    if t > 1 and got[above].any():
        i, j = [int(x) for x in (got & above).nonzero()[0]]
        return f"position {i} may attend to the later position {j}: that lets a query peek at the future."
    if not diagonal.all():
        return "a position may not attend to itself: the diagonal is False, so the first query has " \
               "no key at all and its softmax is undefined."
    if t > 1 and not got[below].all():
        return "some positions may not attend to earlier positions: a causal mask only hides the future."
    return None


def check_causal_mask(fn: Callable[[int], Tensor]) -> str | None:
    for t in (5, 2, 8, 1):  # largest first: a wrong pattern shows best on a big mask
        got = fn(t)
        problem = checks.returned(got, Tensor, f"causal_mask({t})") or _diagnose_mask(got, t)
        if problem:
            return problem
    return None


def _future_allowed(t: int) -> Tensor:
    return torch.ones(t, t, dtype=torch.bool).triu()


def _diagonal_excluded(t: int) -> Tensor:
    return torch.ones(t, t, dtype=torch.bool).tril(-1)


def _float_mask(t: int) -> Tensor:
    return torch.ones(t, t).tril()


def _blocked_is_true(t: int) -> Tensor:
    return torch.ones(t, t, dtype=torch.bool).triu(1)  # the opposite convention: True = hidden


def _nothing_masked(t: int) -> Tensor:
    return torch.ones(t, t, dtype=torch.bool)


checks.register(checks.Exercise(
    id="01.2", title="a causal mask: each position sees itself and the past",
    checker=check_causal_mask,
    hint="start from a (T, T) tensor of True (dtype=torch.bool) and keep the lower triangle, "
         "diagonal included (torch.tril).",
    solution=causal_mask,
    wrong_answers=(_future_allowed, _diagonal_excluded, _float_mask, _blocked_is_true, _nothing_masked),
))


# --- 01.3 split heads ---------------------------------------------------------------------

def split_heads(x: Tensor, num_heads: int) -> Tensor:
    """(B, T, d_model) -> (B, H, T, d_model / H): head h gets features h*d_head ... (h+1)*d_head - 1."""
    batch, length, d_model = x.shape
    d_head = d_model // num_heads
    x = x.view(batch, length, num_heads, d_head)  # (B, T, H, d_head): cut each token's features in H
    return x.transpose(1, 2)  # (B, H, T, d_head): heads first, so each head is a (T, d_head) sequence


_SPLIT_CASES = ((2, 5, 12, 3), (1, 3, 8, 2), (3, 6, 16, 4))  # B, T, d_model, H with T != H


def _diagnose_split(got: Tensor, x: Tensor, num_heads: int) -> str | None:
    batch, length, d_model = x.shape
    want = (batch, num_heads, length, d_model // num_heads)
    if tuple(got.shape) != want:
        hint = " (the head dimension should come second, before T)" \
            if tuple(got.shape) == (batch, length, num_heads, d_model // num_heads) else ""
        return f"for x of shape {tuple(x.shape)} and {num_heads} heads the result has shape " \
               f"{tuple(got.shape)}, expected (B, H, T, d_head) = {want}{hint}."
    expected = split_heads(x, num_heads)
    if _close(got, expected):
        return None
    if _close(got, x.reshape(want)):
        return "the shape is right but the contents are not: reshaping straight to (B, H, T, d_head) " \
               "mixes features of different positions into one head's sequence."
    per_token = got.transpose(1, 2).reshape(batch, length, d_model)  # (B, T, d_model) in head order
    if _close(per_token.sort(dim=-1).values, x.sort(dim=-1).values):
        return "every token keeps its own features, but they are dealt out to the heads in the wrong " \
               "order: head h should get one contiguous block of d_head features."
    if _close(got.flatten().sort().values, x.flatten().sort().values):
        return "the shape is right but features of different positions end up in the same position."
    return "the shape is right but the values are not the input's features, cut into heads."


def check_split_heads(fn: Callable[[Tensor, int], Tensor]) -> str | None:
    for index, (batch, length, d_model, heads) in enumerate(_SPLIT_CASES):
        x = _randn(batch, length, d_model, seed=30 + index)
        got = fn(x.clone(), heads)
        problem = checks.returned(got, Tensor, "split_heads") or _diagnose_split(got, x, heads)
        if problem:
            return problem
    return None


def _view_without_transpose(x: Tensor, num_heads: int) -> Tensor:
    batch, length, d_model = x.shape
    return x.view(batch, num_heads, length, d_model // num_heads)


def _heads_last(x: Tensor, num_heads: int) -> Tensor:
    batch, length, d_model = x.shape
    return x.view(batch, length, num_heads, d_model // num_heads)


def _interleaved_features(x: Tensor, num_heads: int) -> Tensor:
    batch, length, d_model = x.shape
    return x.view(batch, length, d_model // num_heads, num_heads).permute(0, 3, 1, 2)


checks.register(checks.Exercise(
    id="01.3", title="split d_model into H heads of d_model / H features",
    checker=check_split_heads,
    hint="first view x as (B, T, H, d_head), cutting each token's features into H blocks, "
         "then swap the T and H dimensions.",
    solution=split_heads,
    wrong_answers=(_view_without_transpose, _heads_last, _interleaved_features),
))


# --- 01.4 the right attention map of the partner task -------------------------------------

def partner_positions(colours: Tensor) -> Tensor:
    """colours (B, T), each colour twice per sequence -> (B, T): the position of each token's partner."""
    same = colours[:, :, None] == colours[:, None, :]  # (B, T, T): True where two tokens share a colour
    same &= ~torch.eye(colours.shape[1], dtype=torch.bool)  # a token is not its own partner
    return same.int().argmax(dim=-1)  # (B, T): the one True column of each row


def _partner_cases() -> list[tuple[Tensor, Tensor]]:
    from ..learned_head import partner_task  # the task of section 8, from its own generators

    cases = []
    for index, (sequences, pairs) in enumerate(((3, 6), (2, 3), (4, 8))):
        task = partner_task(sequences, num_pairs=pairs, num_colours=2 * pairs + 1, seed=40 + index)
        cases.append((task.colours, task.partner))
    return cases


def _diagnose_partners(got: Tensor, colours: Tensor, want: Tensor) -> str | None:
    if tuple(got.shape) != tuple(colours.shape):
        return f"for colours of shape {tuple(colours.shape)} the result has shape {tuple(got.shape)}, " \
               f"expected (B, T) = {tuple(colours.shape)}: one key position per query."
    if got.dtype == torch.bool or got.is_floating_point():
        return f"the result has dtype {got.dtype}; it should hold integer positions (an index per query), " \
               f"not a mask or weights."
    if torch.equal(got, want):
        return None
    length = colours.shape[1]
    if torch.equal(got, colours):
        return "the result holds the colours themselves; each query needs the POSITION of its partner."
    if got.min() < 0 or got.max() >= length:
        return f"some results are not positions between 0 and {length - 1}."
    if (got == torch.arange(length)).any():
        return "some tokens point at themselves: a token has the same colour as itself, so exclude the " \
               "diagonal (the other token of the colour is the partner)."
    if not torch.equal(colours.gather(1, got), colours):
        return "some positions point at a token of another colour."
    return "the positions have the right colours but are not the partners."


def check_partner_positions(fn: Callable[[Tensor], Tensor]) -> str | None:
    for colours, want in _partner_cases():
        got = fn(colours.clone())
        problem = checks.returned(got, Tensor, "partner_positions") or _diagnose_partners(got, colours, want)
        if problem:
            return problem
    return None


def _first_same_colour(colours: Tensor) -> Tensor:
    return (colours[:, :, None] == colours[:, None, :]).int().argmax(dim=-1)  # may find itself


def _same_colour_mask(colours: Tensor) -> Tensor:
    return (colours[:, :, None] == colours[:, None, :]) & ~torch.eye(colours.shape[1], dtype=torch.bool)


def _colours_back(colours: Tensor) -> Tensor:
    return colours.clone()


def _float_positions(colours: Tensor) -> Tensor:
    return partner_positions(colours).float()


checks.register(checks.Exercise(
    id="01.4", title="the right attention map of the partner task: each token's partner position",
    checker=check_partner_positions,
    hint="compare every colour with every other one by broadcasting, (B, T, 1) == (B, 1, T); remove the "
         "diagonal; then each row has one True: its index is the partner (argmax of the row as integers).",
    solution=partner_positions,
    wrong_answers=(_first_same_colour, _same_colour_mask, _colours_back, _float_positions),
))
