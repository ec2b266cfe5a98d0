"""The two pre-training objectives: masked language modelling (BERT) and next-token prediction (GPT).

* ``mask_tokens``: BERT's masking recipe. Choose 15% of the (non-special) positions;
  of those, 80% become ``[MASK]``, 10% a random token, 10% stay unchanged. Labels hold
  the original token at chosen positions and ``IGNORE_INDEX`` (-100) everywhere else,
  so the loss is computed on the chosen positions only.
* ``shift_for_causal_lm``: the model reads tokens ``0..T-2`` and predicts ``1..T-1``.
* ``causal_lm_loss``: the next-token cross-entropy transformers computes (``_masked_lm_loss``, the
  cross-entropy over the labels that are not -100, is the masked LM's).
* ``perplexity``, ``pseudo_perplexity`` (Salazar et al., 2020) and ``unigram_baseline``.
* ``load_masked_lm``: a pretrained masked LM and its tokenizer, also from the early BERT
  checkpoints whose ``config.json`` has no ``model_type``.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from .course.validation import require_int, require_module, require_number, require_str, require_tensor

IGNORE_INDEX = -100  # PyTorch's cross_entropy default ignore_index, used by transformers


@dataclass(frozen=True)
class MaskingStats:
    """Fractions measured on one masked batch (``masking_stats``).

    Not taught: a building block of this module's taught helpers.
    """

    selected: float  # chosen positions / maskable (non-special) positions
    mask: float  # of the chosen: replaced by [MASK]
    random: float  # of the chosen: replaced by another token
    unchanged: float  # of the chosen: left as they were
    special_selected: int  # chosen positions that were special tokens (must be 0)


def mask_tokens(input_ids: Tensor, special_mask: Tensor, mask_token_id: int, vocab_size: int,
                mlm_probability: float = 0.15, mask_fraction: float = 0.8, random_fraction: float = 0.1,
                generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """BERT's recipe: returns (masked inputs, labels), both shaped like ``input_ids`` (B, T).

    ``special_mask`` (B, T) is True at positions never to choose ([CLS], [SEP], [PAD]).
    The random replacement token is drawn uniformly from the whole vocabulary, as in
    BERT and transformers' ``DataCollatorForLanguageModeling`` (so it may, rarely, be the
    original token). ``input_ids`` is not modified.

    Taught in: notebook 04, section 3.
    """
    _same_shape(input_ids, "special_mask", special_mask)
    require_int("vocab_size", vocab_size, minimum=2)
    require_int("mask_token_id", mask_token_id, minimum=0, maximum=vocab_size - 1)
    for name, p in (("mlm_probability", mlm_probability), ("mask_fraction", mask_fraction),
                    ("random_fraction", random_fraction)):
        require_number(name, p, minimum=0.0, maximum=1.0)
    if mask_fraction + random_fraction > 1.0:
        raise ValueError(f"mask_fraction + random_fraction must be at most 1, got {mask_fraction + random_fraction!r}")
    uniform = torch.rand(input_ids.shape, generator=generator)  # (B, T): one draw decides the fate
    chosen = (torch.rand(input_ids.shape, generator=generator) < mlm_probability) & ~special_mask.bool()
    to_mask = chosen & (uniform < mask_fraction)
    to_random = chosen & (uniform >= mask_fraction) & (uniform < mask_fraction + random_fraction)
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator)  # (B, T)
    inputs = input_ids.clone()
    inputs[to_mask] = mask_token_id
    inputs[to_random] = random_ids[to_random]
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, IGNORE_INDEX))  # (B, T)
    return inputs, labels


def _same_shape(input_ids: Tensor, name: str, other: Tensor) -> None:
    require_tensor("input_ids", input_ids, dtype="int")
    require_tensor(name, other, dtype="int" if name != "special_mask" else None)
    if other.shape != input_ids.shape:
        raise ValueError(f"{name} must have the shape of input_ids {tuple(input_ids.shape)}, got {tuple(other.shape)}")


def masking_stats(original: Tensor, inputs: Tensor, labels: Tensor, special_mask: Tensor,
                  mask_token_id: int) -> MaskingStats:
    """Measure the recipe on a batch: how many positions were chosen and what became of them.

    A random replacement that happens to draw the original token counts as unchanged:
    the model cannot tell them apart either. All four tensors have the same shape, e.g. (B, T).

    Taught in: notebook 04, section 3.
    """
    for name, value in (("inputs", inputs), ("labels", labels), ("special_mask", special_mask)):
        _same_shape(original, name, value)
    require_int("mask_token_id", mask_token_id, minimum=0)
    chosen = labels != IGNORE_INDEX  # (B, T)
    n = max(int(chosen.sum()), 1)
    masked = chosen & (inputs == mask_token_id)
    unchanged = chosen & (inputs == original)
    return MaskingStats(
        selected=int(chosen.sum()) / max(int((~special_mask.bool()).sum()), 1),
        mask=int(masked.sum()) / n,
        random=int((chosen & ~masked & ~unchanged).sum()) / n,
        unchanged=int(unchanged.sum()) / n,
        special_selected=int((chosen & special_mask.bool()).sum()),
    )


def shift_for_causal_lm(input_ids: Tensor) -> tuple[Tensor, Tensor]:
    """(inputs, labels) for next-token prediction: position t reads tokens 0..t and predicts t+1.

    input_ids (B, T) -> inputs (B, T-1) = tokens 0..T-2, labels (B, T-1) = tokens 1..T-1.

    Taught in: notebook 04, section 4.
    """
    require_tensor("input_ids", input_ids, dtype="int")
    if input_ids.dim() < 1 or input_ids.shape[-1] < 2:
        raise ValueError(f"input_ids needs at least 2 tokens in its last dimension, got shape {tuple(input_ids.shape)}")
    return input_ids[..., :-1], input_ids[..., 1:]


def _masked_lm_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """Mean cross-entropy (nats) over the positions whose label is not -100. logits (B, T, V), labels (B, T)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORE_INDEX)


def causal_lm_loss(logits: Tensor, input_ids: Tensor) -> Tensor:
    """Mean next-token cross-entropy (nats) over every position. logits (B, T, V), input_ids (B, T).

    The logits at position t are scored against token t+1: the last position has no
    target, the first token is never a target.

    Taught in: notebook 04, section 5.
    """
    _check_logits(logits, input_ids, "input_ids")
    _, labels = shift_for_causal_lm(input_ids)  # (B, T-1)
    return _masked_lm_loss(logits[:, :-1], labels)


def _check_logits(logits: Tensor, labels: Tensor, name: str = "labels") -> None:
    require_tensor("logits", logits, dtype="float")
    require_tensor(name, labels, dtype="int")
    if logits.dim() != 3 or logits.shape[:2] != labels.shape:
        raise ValueError(f"logits must be (B, T, V) with (B, T) = {name}' shape {tuple(labels.shape)}, "
                         f"got {tuple(logits.shape)}")


def perplexity(loss: float | Tensor) -> float:
    """exp(mean cross-entropy in nats): the effective number of equally likely choices per token
    (``inf`` once the loss passes about 709.78, where exp overflows a float).

    Taught in: notebook 04, section 5.
    """
    if isinstance(loss, Tensor) and loss.numel() != 1:
        raise ValueError(f"loss must be one number (a mean cross-entropy), got a tensor of shape {tuple(loss.shape)}")
    return _exp(require_number("loss", loss, minimum=0.0))


def _exp(x: float) -> float:
    """math.exp, with ``inf`` instead of OverflowError for x > log(float max) ~ 709.78."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


@torch.no_grad()
def _pseudo_log_likelihoods(model: torch.nn.Module, input_ids: Tensor, special_mask: Tensor,
                            mask_token_id: int, batch_size: int = 64) -> Tensor:
    """Mask each non-special position in turn and score the original token there.

    input_ids, special_mask (T,) for one sequence -> (P,) log-probabilities (nats) of the
    P non-special tokens, each predicted from all the others (a copy of the sequence per
    position: T forward passes' worth of work, grouped into batches). A BERT-family masked
    LM (one with an MLM head ``.cls``) runs its output layer on the masked position of each
    copy only, as ``pretraining.masked_positions_loss`` does: the same scores, without the
    (T, V) logits of every copy.
    """
    positions = (~special_mask.bool()).nonzero().squeeze(-1)  # (P,)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()  # no dropout: each token's score is deterministic
    try:
        return _masked_copy_scores(model, input_ids, positions, mask_token_id, batch_size, device)
    finally:
        model.train(was_training)  # the caller's mode, as it was


def _masked_copy_scores(model: torch.nn.Module, input_ids: Tensor, positions: Tensor, mask_token_id: int,
                        batch_size: int, device: torch.device) -> Tensor:
    """(P,) log-probabilities of input_ids (T,) at ``positions`` (P,), each masked in its own copy."""
    scores = []
    for start in range(0, len(positions), batch_size):
        chunk = positions[start:start + batch_size]  # (b,)
        copies = input_ids.repeat(len(chunk), 1)  # (b, T)
        rows = torch.arange(len(chunk))
        copies[rows, chunk] = mask_token_id  # copy i has position chunk[i] masked
        if hasattr(model, "cls"):  # BertForMaskedLM, RoFormerForMaskedLM: the head on the masked positions only
            hidden = model.base_model(input_ids=copies.to(device)).last_hidden_state  # (b, T, H)
            logits = model.cls(hidden[rows, chunk.to(device)]).float()  # (b, V)
        else:
            logits = model(input_ids=copies.to(device)).logits.float()[rows, chunk.to(device)]  # (b, V)
        log_probs = logits.log_softmax(dim=-1)  # (b, V)
        scores.append(log_probs[rows, input_ids[chunk].to(device)].cpu())
    return torch.cat(scores) if scores else torch.empty(0)


def pseudo_perplexity(model: torch.nn.Module, sequences: Tensor, special_mask: Tensor,
                      mask_token_id: int, batch_size: int = 64) -> float:
    """exp(-mean pseudo-log-likelihood) over the non-special tokens of (N, T) sequences.

    Taught in: notebook 04, section 5.
    """
    require_module("model", model)
    require_int("mask_token_id", mask_token_id, minimum=0)
    require_int("batch_size", batch_size, minimum=1)
    require_tensor("sequences", sequences, 2, "(N, T)", dtype="int")
    require_tensor("special_mask", special_mask, 2, "(N, T)")
    if special_mask.shape != sequences.shape or bool(special_mask.bool().all()):
        raise ValueError(f"special_mask must have the shape of sequences {tuple(sequences.shape)} and leave at "
                         f"least one token to score, got shape {tuple(special_mask.shape)}")
    scores = torch.cat([_pseudo_log_likelihoods(model, ids, special, mask_token_id, batch_size)
                        for ids, special in zip(sequences, special_mask)])
    return _exp(-scores.mean().item())


def unigram_counts(token_ids: Tensor, vocab_size: int) -> Tensor:
    """(V,) how often each token id occurs in ``token_ids`` (any shape).

    Taught in: notebook 04, section 6.
    """
    require_tensor("token_ids", token_ids, dtype="int")
    require_int("vocab_size", vocab_size, minimum=1)
    if token_ids.numel() and (int(token_ids.min()) < 0 or int(token_ids.max()) >= vocab_size):
        raise ValueError(f"token_ids must lie in [0, vocab_size={vocab_size}), got values from {int(token_ids.min())} "
                         f"to {int(token_ids.max())}")
    return torch.bincount(token_ids.reshape(-1), minlength=vocab_size)


def unigram_baseline(train_ids: Tensor, held_out_ids: Tensor, vocab_size: int,
                     smoothing: float = 1.0) -> tuple[float, float]:
    """(loss in nats, perplexity) of ``held_out_ids`` under the training unigram distribution.

    The best a model can do that ignores context entirely: p(token) = (count + smoothing) /
    (N + smoothing * V), with add-``smoothing`` (Laplace) so that unseen tokens keep a
    non-zero probability.

    Taught in: notebook 04, section 5.
    """
    require_number("smoothing", smoothing, above=0.0)  # unseen tokens need a probability > 0
    require_tensor("held_out_ids", held_out_ids, dtype="int")
    if held_out_ids.numel() == 0:
        raise ValueError("held_out_ids must hold at least one token to score, got an empty tensor")
    counts = unigram_counts(train_ids, vocab_size).double() + smoothing  # (V,)
    log_p = (counts / counts.sum()).log()  # (V,)
    loss = -log_p[held_out_ids.reshape(-1)].mean().item()
    return loss, math.exp(loss)


def load_masked_lm(name_or_path: str | Path):
    """(model, tokenizer) of a pretrained masked LM, from a Hub id or a saved folder (notebook 04, section 6).

    With ``model_type`` in its ``config.json`` the checkpoint loads with ``AutoModelForMaskedLM``
    and ``AutoTokenizer``. Google's early BERT checkpoints (the 24 small BERTs, such as
    ``google/bert_uncased_L-4_H-256_A-4``) have neither ``model_type`` nor a tokenizer config,
    and transformers 5 no longer guesses the type from the name: their ``config.json`` is read
    as a ``BertConfig`` and their ``vocab.txt`` as a BERT WordPiece tokenizer (lower-casing,
    the tokenizer's default, as those uncased checkpoints need).

    Taught in: notebook 04, section 6.
    """
    from transformers import (AutoModelForMaskedLM, AutoTokenizer, BertConfig, BertForMaskedLM, BertTokenizer,
                              PretrainedConfig)

    name = str(name_or_path) if isinstance(name_or_path, Path) else require_str("name_or_path", name_or_path)
    if os.path.isdir(name) and not os.path.isfile(os.path.join(name, "config.json")):
        raise FileNotFoundError(f"name_or_path must be a Hub id or a folder holding a saved model's config.json, "
                                f"got the folder {name!r} without one")
    config_dict, _ = PretrainedConfig.get_config_dict(name)
    if "model_type" in config_dict:
        return AutoModelForMaskedLM.from_pretrained(name), AutoTokenizer.from_pretrained(name)
    config = BertConfig.from_dict(config_dict)  # no model_type: an early BERT checkpoint
    return BertForMaskedLM.from_pretrained(name, config=config), BertTokenizer.from_pretrained(name)
