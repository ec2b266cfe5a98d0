"""Pre-training two tiny models of the same size, one per objective, on the same budget.

* ``bert_config`` / ``gpt2_config``: a BERT-style masked LM and a GPT-style causal LM with
  the same layers, hidden size, heads, feed-forward width, context length and dropout,
  built from a config (random weights, nothing downloaded).
* ``mlm_batches`` / ``lm_batches``: endless streams of training batches drawn from
  packed blocks in the same seeded order.
* ``pretrain``: one training loop for both (AdamW, linear warm-up then linear decay),
  counting the tokens each model reads and the targets it is scored on, and measuring
  the held-out loss along the way.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from .objectives import IGNORE_INDEX, mask_tokens


@dataclass(frozen=True)
class ModelSize:
    layers: int
    hidden: int
    heads: int
    context: int  # the longest sequence (position embeddings)

    def __post_init__(self) -> None:
        for name in ("layers", "hidden", "heads", "context"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if self.hidden % self.heads:
            raise ValueError(f"hidden={self.hidden} must be divisible by heads={self.heads}")


@dataclass(frozen=True)
class Batch:
    inputs: dict[str, Tensor]  # keyword arguments of the model: input_ids, labels
    tokens: int  # tokens the model reads
    targets: int  # positions the loss is computed on


@dataclass
class PretrainResult:
    steps: list[int] = field(default_factory=list)  # 1, 2, ... one per optimizer step
    losses: list[float] = field(default_factory=list)  # training loss of each step (nats)
    eval_steps: list[int] = field(default_factory=list)  # 0 = before training
    eval_losses: list[float] = field(default_factory=list)  # held-out loss (nats)
    tokens_seen: int = 0
    targets_seen: int = 0
    seconds: float = 0.0


def bert_config(vocab_size: int, size: ModelSize, pad_token_id: int = 0, dropout: float = 0.0):
    """A BERT-style masked-LM config: post-LayerNorm encoder, feed-forward 4 x hidden, GELU."""
    from transformers import BertConfig

    return BertConfig(vocab_size=vocab_size, hidden_size=size.hidden, num_hidden_layers=size.layers,
                      num_attention_heads=size.heads, intermediate_size=4 * size.hidden, hidden_act="gelu",
                      max_position_embeddings=size.context, type_vocab_size=2, pad_token_id=pad_token_id,
                      hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout)


def gpt2_config(vocab_size: int, size: ModelSize, eos_token_id: int = 0, dropout: float = 0.0):
    """A GPT-2-style causal-LM config with the same sizes and activation as ``bert_config``."""
    from transformers import GPT2Config

    return GPT2Config(vocab_size=vocab_size, n_embd=size.hidden, n_layer=size.layers, n_head=size.heads,
                      n_inner=4 * size.hidden, activation_function="gelu", n_positions=size.context,
                      bos_token_id=eos_token_id, eos_token_id=eos_token_id, pad_token_id=eos_token_id,
                      resid_pdrop=dropout, embd_pdrop=dropout, attn_pdrop=dropout)


def count_parameters(model: torch.nn.Module) -> int:
    """Distinct trainable parameters (tied input/output embeddings counted once)."""
    return sum(p.numel() for p in {id(p): p for p in model.parameters() if p.requires_grad}.values())


def block_order(num_blocks: int, seed: int) -> Iterator[Tensor]:
    """Endless shuffled epochs of block indices, from a seeded generator (same seed, same order)."""
    if num_blocks < 1:
        raise ValueError(f"num_blocks must be at least 1, got {num_blocks!r}")
    generator = torch.Generator().manual_seed(seed)
    while True:
        yield from torch.randperm(num_blocks, generator=generator)


def _take(order: Iterator[Tensor], batch_size: int) -> Tensor:
    return torch.stack([next(order) for _ in range(batch_size)])  # (B,)


def lm_batches(blocks: Tensor, batch_size: int, seed: int = 0) -> Iterator[Batch]:
    """Causal-LM batches: labels = inputs (the model shifts them), loss on every next token."""
    order = block_order(len(blocks), seed)
    while True:
        ids = blocks[_take(order, batch_size)]  # (B, T)
        yield Batch({"input_ids": ids, "labels": ids}, tokens=ids.numel(), targets=ids.shape[0] * (ids.shape[1] - 1))


def mlm_batches(blocks: Tensor, batch_size: int, special_ids: Sequence[int], mask_token_id: int,
                vocab_size: int, seed: int = 0) -> Iterator[Batch]:
    """Masked-LM batches, freshly masked each time (BERT's recipe), loss on the chosen 15%."""
    order = block_order(len(blocks), seed)
    generator = torch.Generator().manual_seed(seed + 1)
    while True:
        ids = blocks[_take(order, batch_size)]  # (B, T)
        special = torch.isin(ids, torch.tensor(list(special_ids)))  # (B, T)
        inputs, labels = mask_tokens(ids, special, mask_token_id, vocab_size, generator=generator)
        yield Batch({"input_ids": inputs, "labels": labels}, tokens=ids.numel(),
                    targets=int((labels != IGNORE_INDEX).sum()))


def linear_schedule(step: int, steps: int, warmup: int) -> float:
    """Learning-rate multiplier: 0 -> 1 over ``warmup`` steps, then linearly down to 0 at ``steps``."""
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (steps - step) / max(1, steps - warmup))


LossFn = Callable[[torch.nn.Module, dict], Tensor]


def model_loss(model: torch.nn.Module, inputs: dict[str, Tensor]) -> Tensor:
    """The loss transformers computes when given ``labels`` (mean over the targets)."""
    return model(**inputs).loss


def masked_positions_loss(model: torch.nn.Module, inputs: dict[str, Tensor]) -> Tensor:
    """A ``BertForMaskedLM``'s loss, with the output layer run on the chosen positions only.

    Equal to ``model_loss`` (the other positions' logits are ignored by the loss anyway)
    but about 85% cheaper in the vocabulary projection, the largest matrix of a tiny
    model: the trick of the original BERT code (``gather_indexes``).
    """
    labels = inputs["labels"]  # (B, T), -100 except at the chosen positions
    chosen = labels != IGNORE_INDEX  # (B, T)
    hidden = model.bert(input_ids=inputs["input_ids"]).last_hidden_state  # (B, T, H)
    logits = model.cls(hidden[chosen])  # (N, V): N chosen positions in the batch
    return F.cross_entropy(logits, labels[chosen])


def _on(device: torch.device, inputs: dict[str, Tensor]) -> dict[str, Tensor]:
    return {k: v.to(device) for k, v in inputs.items()}


@torch.no_grad()
def evaluate(model: torch.nn.Module, batches: Sequence[Batch], loss_fn: LossFn = model_loss) -> float:
    """Mean loss (nats) per target over fixed held-out batches, without dropout."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    total = sum(loss_fn(model, _on(device, b.inputs)).item() * b.targets for b in batches)
    model.train(was_training)
    return total / max(1, sum(b.targets for b in batches))


def pretrain(model: torch.nn.Module, batches: Iterator[Batch], steps: int, lr: float = 1e-3,
             warmup: int = 10, weight_decay: float = 0.01, held_out: Sequence[Batch] = (),
             eval_every: int = 0, loss_fn: LossFn = model_loss) -> PretrainResult:
    """Train ``model`` for ``steps`` optimizer steps on ``batches``; the same loop for both objectives.

    Held-out loss is measured before training and every ``eval_every`` steps (and at the
    end) when ``held_out`` batches are given. Gradients are clipped to norm 1. ``loss_fn``
    computes a batch's loss (``masked_positions_loss``: the same loss, faster for a BERT).
    """
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    device = next(model.parameters()).device
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: linear_schedule(s, steps, warmup))
    result = PretrainResult()
    start = time.perf_counter()
    if held_out:
        result.eval_steps.append(0)
        result.eval_losses.append(evaluate(model, held_out, loss_fn))
    model.train()
    for step in range(1, steps + 1):
        batch = next(batches)
        loss = loss_fn(model, _on(device, batch.inputs))
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
            result.eval_losses.append(evaluate(model, held_out, loss_fn))
    model.eval()
    result.seconds = time.perf_counter() - start
    return result
