"""Whole-word masking: choose words, not WordPieces, and mask every piece of a chosen word.

BERT's first release chose WordPieces independently, so ``phil ##har ##mon ##ic`` could be
masked as ``phil [MASK] ##mon ##ic``: the visible pieces nearly give the hidden one away.
Whole-word masking (Google's BERT repository, May 2019) chooses *words* with probability
``mlm_probability`` and masks all their pieces together, each piece then getting BERT's
80/10/10 treatment as before.

* ``word_ids_from_pieces``: which word each position belongs to, read off a WordPiece
  sequence (a ``##`` piece continues the word before it); -1 at special tokens.
* ``whole_word_mask``: the chosen positions, all the pieces of a word together.
* ``whole_word_mask_tokens``: (inputs, labels) like ``objectives.mask_tokens``, words chosen whole.
* ``piece_positions``: each piece's index within its word, and its word's number of pieces.
"""
from __future__ import annotations

import torch
from torch import Tensor

from .course.validation import require_int, require_number, require_tensor
from .objectives import IGNORE_INDEX

NO_WORD = -1  # the word id of a special token ([CLS], [SEP], [PAD]): never chosen


def word_ids_from_pieces(is_continuation: Tensor, special_mask: Tensor) -> Tensor:
    """(B, T) word index of each position, counted from 0 in each row; -1 at special tokens.

    ``is_continuation`` (B, T) is True at pieces that continue the word before them (WordPiece's
    ``##`` pieces), ``special_mask`` (B, T) at special tokens. A row that starts with a ``##``
    piece (a block cut inside a word) counts that piece as a word of its own.

    Taught in: notebook 04, section 8.
    """
    require_tensor("is_continuation", is_continuation, 2, "(B, T)")
    require_tensor("special_mask", special_mask, 2, "(B, T)")
    if special_mask.shape != is_continuation.shape:
        raise ValueError(f"special_mask must have the shape of is_continuation {tuple(is_continuation.shape)}, "
                         f"got {tuple(special_mask.shape)}")
    special = special_mask.bool()
    starts = ~special & ~is_continuation.bool()  # (B, T): the first piece of each word
    starts[:, 0] = ~special[:, 0]  # a row cut inside a word: its first piece starts a word
    word_ids = starts.long().cumsum(dim=1) - 1  # (B, T): the index of the word each piece belongs to
    return word_ids.masked_fill(special, NO_WORD)


def whole_word_mask(word_ids: Tensor, mlm_probability: float = 0.15,
                    generator: torch.Generator | None = None) -> Tensor:
    """(B, T) bool: True at every piece of the chosen words; each word is chosen with ``mlm_probability``.

    ``word_ids`` (B, T) holds each position's word index in its row (0 ... T-1), -1 at special
    tokens (never chosen): one coin per word, looked up by every piece of that word.

    Taught in: notebook 04, section 8.
    """
    _check_word_ids(word_ids)
    require_number("mlm_probability", mlm_probability, minimum=0.0, maximum=1.0)
    coins = torch.rand(word_ids.shape, generator=generator)  # (B, T): one coin per possible word index
    chosen_word = coins < mlm_probability  # (B, T): word w of row b is chosen if chosen_word[b, w]
    return chosen_word.gather(1, word_ids.clamp(min=0)) & (word_ids != NO_WORD)  # (B, T): every piece of it


def whole_word_mask_tokens(input_ids: Tensor, word_ids: Tensor, mask_token_id: int, vocab_size: int,
                           mlm_probability: float = 0.15,
                           generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """(inputs, labels) like ``objectives.mask_tokens``, but words are chosen whole.

    The chosen pieces then get BERT's recipe one by one (80% ``[MASK]``, 10% a random token,
    10% unchanged), as Google's whole-word-masking code does. ``input_ids`` is not modified.

    Taught in: notebook 04, section 8.
    """
    require_tensor("input_ids", input_ids, 2, "(B, T)", dtype="int")
    _check_word_ids(word_ids)
    if word_ids.shape != input_ids.shape:
        raise ValueError(f"word_ids must have the shape of input_ids {tuple(input_ids.shape)}, "
                         f"got {tuple(word_ids.shape)}")
    require_int("vocab_size", vocab_size, minimum=2)
    require_int("mask_token_id", mask_token_id, minimum=0, maximum=vocab_size - 1)
    chosen = whole_word_mask(word_ids, mlm_probability, generator)  # (B, T)
    fate = torch.rand(input_ids.shape, generator=generator)  # (B, T): 80/10/10, piece by piece
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator)  # (B, T)
    inputs = input_ids.clone()
    inputs[chosen & (fate < 0.8)] = mask_token_id
    to_random = chosen & (fate >= 0.8) & (fate < 0.9)
    inputs[to_random] = random_ids[to_random]
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, IGNORE_INDEX))  # (B, T)
    return inputs, labels


def piece_positions(word_ids: Tensor) -> tuple[Tensor, Tensor]:
    """(index of each piece within its word, number of pieces of its word), both (B, T); 0 at special tokens.

    ``word_ids`` (B, T) as ``word_ids_from_pieces`` returns them (a word's pieces side by side).

    Taught in: notebook 04, section 8.
    """
    _check_word_ids(word_ids)
    B, T = word_ids.shape
    is_word = word_ids != NO_WORD  # (B, T)
    slots = word_ids.clamp(min=0)  # (B, T)
    lengths = torch.zeros(B, T, dtype=torch.long).scatter_add_(1, slots, is_word.long())  # (B, T): pieces of word w
    first = torch.full((B, T), T, dtype=torch.long).scatter_reduce_(
        1, slots, torch.where(is_word, torch.arange(T).expand(B, T), T), reduce="amin")  # (B, T): where word w starts
    index = torch.where(is_word, torch.arange(T) - first.gather(1, slots), 0)
    return index, torch.where(is_word, lengths.gather(1, slots), 0)


def _check_word_ids(word_ids: Tensor) -> None:
    require_tensor("word_ids", word_ids, 2, "(B, T)", dtype="int")
    if word_ids.numel() and (int(word_ids.min()) < NO_WORD or int(word_ids.max()) >= word_ids.shape[1]):
        raise ValueError(f"word_ids must lie in [-1, T={word_ids.shape[1]}) (-1 at special tokens), got values from "
                         f"{int(word_ids.min())} to {int(word_ids.max())}")
