"""Pre-training two tiny models of the same size, one per objective, on the same budget.

* ``mlm_config`` / ``lm_config``: one network, two uses. Both are RoFormer configs (BERT's
  post-LayerNorm blocks with rotary position embeddings, Su et al. 2021): bidirectional for
  the masked LM, with a causal mask (``is_decoder``) for the next-token LM. Same layers,
  hidden size, heads, feed-forward width, context length and dropout; random weights.
  Why rotary and not BERT's learned absolute positions: at this budget a BERT with learned
  positions never leaves the unigram plateau (notebook 04 explains the measurement).
* ``mlm_batches`` / ``lm_batches``: endless streams of training batches drawn from
  packed blocks in the same seeded order.
* ``pretrain``: one training loop for both (AdamW, ``training.linear_schedule``'s linear
  warm-up then linear decay), counting the tokens each model reads and the targets it is
  scored on, and measuring the held-out loss (``mean_loss``) along the way.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from .device import to_device
from .objectives import IGNORE_INDEX, mask_tokens
from .training import linear_schedule
from .course.validation import (require_callable, require_instance, require_int, require_module, require_number, require_str,
                         require_tensor)


@dataclass(frozen=True)
class ModelSize:
    """The shape of a tiny pre-trained model: layers, width, heads and longest sequence.

    Taught in: notebook 04, section 5.
    """
    layers: int
    hidden: int
    heads: int
    context: int  # the longest sequence (position embeddings)

    def __post_init__(self) -> None:
        for name in ("layers", "hidden", "heads", "context"):
            require_int(name, getattr(self, name), minimum=1)
        if self.hidden % self.heads:
            raise ValueError(f"hidden must be divisible by heads={self.heads} (each head gets hidden / heads dimensions), got hidden={self.hidden}")


@dataclass(frozen=True)
class Batch:
    """One training batch: the model's keyword arguments, and how many tokens it reads and scores.

    Taught in: notebook 04, section 6.
    """
    inputs: dict[str, Tensor]  # keyword arguments of the model: input_ids, labels
    tokens: int  # tokens the model reads
    targets: int  # positions the loss is computed on


@dataclass
class PretrainResult:
    """What a pre-training run measured: the loss at each step and the held-out loss over time.

    Not taught: a building block of this module's taught helpers.
    """
    steps: list[int] = field(default_factory=list)  # 1, 2, ... one per optimizer step
    losses: list[float] = field(default_factory=list)  # training loss of each step (nats)
    eval_steps: list[int] = field(default_factory=list)  # 0 = before training
    eval_losses: list[float] = field(default_factory=list)  # held-out loss (nats)
    tokens_seen: int = 0
    targets_seen: int = 0
    seconds: float = 0.0


def _check_sizes(vocab_size: int, size: ModelSize, dropout: float) -> None:
    require_int("vocab_size", vocab_size, minimum=2)
    require_instance("size", size, ModelSize, "a pretraining.ModelSize")
    require_number("dropout", dropout, minimum=0.0, below=1.0)


POSITIONS = ("rotary", "learned")


def mlm_config(vocab_size: int, size: ModelSize, pad_token_id: int = 0, dropout: float = 0.0,
               positions: str = "rotary"):
    """A BERT-style masked-LM config: post-LayerNorm encoder, feed-forward 4 x hidden, GELU.

    ``positions="rotary"``: a ``RoFormerConfig`` (rotary positions); ``"learned"``: a ``BertConfig``
    with BERT's own learned absolute position vectors, one per position up to ``size.context``
    (everything else the same; notebook 04, section 5, trains both).

    Taught in: notebook 04, section 5.
    """
    from transformers import BertConfig, RoFormerConfig

    _check_sizes(vocab_size, size, dropout)
    require_int("pad_token_id", pad_token_id, minimum=0, maximum=vocab_size - 1)
    require_str("positions", positions, choices=POSITIONS)
    shared = dict(vocab_size=vocab_size, hidden_size=size.hidden, num_hidden_layers=size.layers,
                  num_attention_heads=size.heads, intermediate_size=4 * size.hidden, hidden_act="gelu",
                  max_position_embeddings=size.context, type_vocab_size=2, pad_token_id=pad_token_id,
                  hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout)
    if positions == "learned":
        return BertConfig(**shared)
    return RoFormerConfig(embedding_size=size.hidden, **shared)


def lm_config(vocab_size: int, size: ModelSize, eos_token_id: int = 0, dropout: float = 0.0):
    """The same network as ``mlm_config`` with a causal mask: a GPT-style next-token LM.

    Taught in: notebook 04, section 5.
    """
    config = mlm_config(vocab_size, size, dropout=dropout)  # checks the sizes
    require_int("eos_token_id", eos_token_id, minimum=0, maximum=vocab_size - 1)
    config.is_decoder = True  # causal self-attention: position t sees positions <= t only
    config.pad_token_id = config.bos_token_id = config.eos_token_id = eos_token_id
    return config


def _block_order(num_blocks: int, seed: int) -> Iterator[Tensor]:
    """Endless shuffled epochs of block indices, from a seeded generator (same seed, same order)."""
    return _epochs(num_blocks, torch.Generator().manual_seed(seed))


def _epochs(num_blocks: int, generator: torch.Generator) -> Iterator[Tensor]:
    while True:
        yield from torch.randperm(num_blocks, generator=generator)


def _take(order: Iterator[Tensor], batch_size: int) -> Tensor:
    return torch.stack([next(order) for _ in range(batch_size)])  # (B,)


def _check_blocks(blocks: Tensor, batch_size: int, seed: int) -> None:
    require_tensor("blocks", blocks, 2, "(N, T)", dtype="int")
    if blocks.shape[0] < 1 or blocks.shape[1] < 2:
        raise ValueError(f"blocks must hold at least one block of at least 2 tokens, got shape {tuple(blocks.shape)}")
    require_int("batch_size", batch_size, minimum=1)
    require_int("seed", seed, minimum=0)


def lm_batches(blocks: Tensor, batch_size: int, seed: int = 0) -> Iterator[Batch]:
    """Causal-LM batches from (N, T) blocks: labels = inputs (the model shifts them), loss on every next token.

    Taught in: notebook 04, section 5.
    """
    _check_blocks(blocks, batch_size, seed)
    return _lm_stream(blocks, batch_size, _block_order(len(blocks), seed))


def _lm_stream(blocks: Tensor, batch_size: int, order: Iterator[Tensor]) -> Iterator[Batch]:
    while True:
        ids = blocks[_take(order, batch_size)]  # (B, T)
        yield Batch({"input_ids": ids, "labels": ids}, tokens=ids.numel(), targets=ids.shape[0] * (ids.shape[1] - 1))


def mlm_batches(blocks: Tensor, batch_size: int, special_ids: Sequence[int], mask_token_id: int,
                vocab_size: int, seed: int = 0, mlm_probability: float = 0.15) -> Iterator[Batch]:
    """Masked-LM batches from (N, T) blocks, freshly masked each time (BERT's 80/10/10 recipe).

    ``mlm_probability`` of the non-special positions are chosen as targets (BERT: 15%);
    the loss is computed on those only.

    Taught in: notebook 04, section 5.
    """
    _check_blocks(blocks, batch_size, seed)
    if isinstance(special_ids, (str, bytes)) or not hasattr(special_ids, "__iter__") or \
            not all(isinstance(i, int) for i in special_ids):
        raise TypeError(f"special_ids must be a list of token ids (ints), got {special_ids!r}")
    require_int("vocab_size", vocab_size, minimum=2)
    require_int("mask_token_id", mask_token_id, minimum=0, maximum=vocab_size - 1)
    require_number("mlm_probability", mlm_probability, above=0.0, maximum=1.0)
    order = _block_order(len(blocks), seed)
    return _mlm_stream(blocks, batch_size, torch.tensor(list(special_ids)), mask_token_id, vocab_size,
                       mlm_probability, order, torch.Generator().manual_seed(seed + 1))


def _mlm_stream(blocks: Tensor, batch_size: int, special_ids: Tensor, mask_token_id: int, vocab_size: int,
                mlm_probability: float, order: Iterator[Tensor], generator: torch.Generator) -> Iterator[Batch]:
    while True:
        ids = blocks[_take(order, batch_size)]  # (B, T)
        special = torch.isin(ids, special_ids)  # (B, T)
        inputs, labels = mask_tokens(ids, special, mask_token_id, vocab_size, mlm_probability, generator=generator)
        yield Batch({"input_ids": inputs, "labels": labels}, tokens=ids.numel(),
                    targets=int((labels != IGNORE_INDEX).sum()))


LossFn = Callable[[torch.nn.Module, dict], Tensor]


def model_loss(model: torch.nn.Module, inputs: dict[str, Tensor]) -> Tensor:
    """The loss transformers computes when given ``labels`` (mean over the targets).

    Not taught: a building block of this module's taught helpers.
    """
    _check_inputs(model, inputs)
    return model(**inputs).loss


def _check_inputs(model: torch.nn.Module, inputs: dict[str, Tensor]) -> None:
    require_module("model", model)
    if not isinstance(inputs, dict) or "input_ids" not in inputs or "labels" not in inputs:
        raise TypeError(f"inputs must be a dict with 'input_ids' and 'labels' (a Batch's .inputs), "
                        f"got {type(inputs).__name__}")
    ids = require_tensor("inputs['input_ids']", inputs["input_ids"], 2, "(B, T)", dtype="int")
    if require_tensor("inputs['labels']", inputs["labels"], 2, "(B, T)", dtype="int").shape != ids.shape:
        raise ValueError(f"inputs['labels'] must have the shape of inputs['input_ids'] {tuple(ids.shape)}, "
                         f"got {tuple(inputs['labels'].shape)}")


def masked_positions_loss(model: torch.nn.Module, inputs: dict[str, Tensor]) -> Tensor:
    """A masked LM's loss (``BertForMaskedLM``, ``RoFormerForMaskedLM``), with the output layer run
    on the chosen positions only.

    Equal to ``model_loss`` (the other positions' logits are ignored by the loss anyway)
    but about 85% cheaper in the vocabulary projection, the largest matrix of a tiny
    model: the trick of the original BERT code (``gather_indexes``).

    Taught in: notebook 04, section 5.
    """
    _check_inputs(model, inputs)
    if not hasattr(model, "cls"):
        raise TypeError(f"model must be a masked LM with an MLM head .cls (BertForMaskedLM, RoFormerForMaskedLM), "
                        f"got {type(model).__name__}")
    labels = inputs["labels"]  # (B, T), -100 except at the chosen positions
    chosen = labels != IGNORE_INDEX  # (B, T)
    hidden = model.base_model(input_ids=inputs["input_ids"]).last_hidden_state  # (B, T, H)
    logits = model.cls(hidden[chosen])  # (N, V): N chosen positions in the batch
    return F.cross_entropy(logits, labels[chosen])


def _check_batches(name: str, batches: Sequence[Batch], allow_empty: bool = False) -> None:
    if isinstance(batches, (str, bytes, dict)) or not hasattr(batches, "__len__") or \
            not all(isinstance(b, Batch) for b in batches):
        raise TypeError(f"{name} must be a list of pretraining.Batch, got {type(batches).__name__}")
    if not batches and not allow_empty:
        raise ValueError(f"{name} must hold at least one Batch, got an empty {type(batches).__name__}")


@torch.no_grad()
def mean_loss(model: torch.nn.Module, batches: Sequence[Batch], loss_fn: LossFn = model_loss) -> float:
    """Mean loss (nats) per target over fixed held-out batches, without dropout.

    Each batch's mean loss is weighted by its number of targets (sum of the losses over all
    targets / number of targets), so a batch in which masking chose no position adds nothing
    (its mean over zero targets, NaN, is never computed).

    Not taught: a building block of this module's taught helpers.
    """
    require_module("model", model)
    _check_batches("batches", batches)
    require_callable("loss_fn", loss_fn)
    scored = [b for b in batches if b.targets > 0]
    if not scored:
        raise ValueError(f"batches must hold at least one target to score, got {len(batches)} batch(es) with 0 targets")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    try:
        total = sum(loss_fn(model, to_device(b.inputs, device)).item() * b.targets for b in scored)  # nats, summed
    finally:
        model.train(was_training)
    return total / sum(b.targets for b in scored)


def pretrain(model: torch.nn.Module, batches: Iterator[Batch], steps: int, lr: float = 1e-3,
             warmup: int = 10, weight_decay: float = 0.01, held_out: Sequence[Batch] = (),
             eval_every: int = 0, loss_fn: LossFn = model_loss) -> PretrainResult:
    """Train ``model`` for ``steps`` optimizer steps on ``batches``; the same loop for both objectives.

    Held-out loss is measured before training and every ``eval_every`` steps (and at the
    end) when ``held_out`` batches are given. Gradients are clipped to norm 1. ``loss_fn``
    computes a batch's loss (``masked_positions_loss``: the same loss, faster for a BERT).

    Taught in: notebook 04, section 5.
    """
    require_module("model", model)
    if not hasattr(batches, "__next__"):
        raise TypeError(f"batches must be an iterator of Batch (lm_batches or mlm_batches), got {type(batches).__name__}")
    require_int("steps", steps, minimum=1)
    require_number("lr", lr, above=0.0)
    require_int("warmup", warmup, minimum=0, maximum=steps)
    require_number("weight_decay", weight_decay, minimum=0.0)
    _check_batches("held_out", held_out, allow_empty=True)
    require_int("eval_every", eval_every, minimum=0)
    require_callable("loss_fn", loss_fn)
    device = next(model.parameters()).device
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = linear_schedule(optimizer, warmup, steps)
    result = PretrainResult()
    start = time.perf_counter()
    if held_out:
        result.eval_steps.append(0)
        result.eval_losses.append(mean_loss(model, held_out, loss_fn))
    model.train()
    for step in range(1, steps + 1):
        batch = next(batches)
        loss = loss_fn(model, to_device(batch.inputs, device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        result.steps.append(step)
        result.losses.append(loss.item())
        result.tokens_seen += batch.tokens
        result.targets_seen += batch.targets
        if held_out and eval_every and (step % eval_every == 0 or step == steps):
            result.eval_steps.append(step)
            result.eval_losses.append(mean_loss(model, held_out, loss_fn))
    model.eval()
    result.seconds = time.perf_counter() - start
    return result
