"""Which tokens did a classifier use? Gradient x input attributions, [CLS] attention, and how to compare them.

    from helpers.attribution import (gradient_x_input, cls_attention, rank_correlation, removal_effect,
                                     deletion_curve)
    inputs = tokenizer(text, return_tensors="pt")                  # one email, no padding
    grad_x = gradient_x_input(model, inputs)                       # (1, T): how much each token pushed the logit
    attn = cls_attention(model, inputs)                            # (1, T): where [CLS] looks in the last layer
    rank_correlation(grad_x[0, 1:-1], attn[0, 1:-1])               # Spearman rho, special tokens left out
    removal_effect(model, inputs, grad_x[0], k=3)                  # drop in the predicted class's log-odds
    deletion_curve(model, inputs, grad_x[0], k_max=8)              # (9,) p(predicted) after deleting 0..8 tokens

**Gradient x input** scores token t by sum_d (d logit_c / d e_td) * e_td, with e_t the token's
word embedding: the first-order Taylor estimate of how much the logit of class c would
change if that embedding were removed (set to zero). **Attention weights** say where a
head reads from, not what the rest of the network does with it; comparing the two
rankings, and deleting the top tokens of each, measures how far they agree.

The **deletion test** (Samek et al. 2017; Petsiuk et al. 2018) removes tokens in the order of a
ranking and watches the predicted class's probability: a ranking that finds the evidence the
model uses makes it fall faster than random deletion does. Rank by the *signed* attribution
towards the predicted class (largest first): a token with a large negative score argues
*against* the prediction, and deleting it raises the probability.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import torch

from .bert_inspect import get_attentions
from .course.validation import require_int, require_sequence, require_tensor

_SKIP = ("labels", "label", "input_ids")


def _inputs(inputs: Any) -> Mapping[str, torch.Tensor]:
    if not isinstance(inputs, Mapping) or "input_ids" not in inputs:
        raise TypeError(f"inputs must be a tokenizer's output (a mapping with input_ids), got {type(inputs).__name__}")
    require_tensor("inputs['input_ids']", inputs["input_ids"], 2, "(B, T) (return_tensors='pt')")
    return inputs


def _model(model: Any) -> torch.nn.Module:
    if not isinstance(model, torch.nn.Module) or not hasattr(model, "get_input_embeddings"):
        raise TypeError(f"model must be a transformers classifier (with get_input_embeddings), got "
                        f"{type(model).__name__}")
    return model


def _target(target: Any, logits: torch.Tensor) -> torch.Tensor:
    if target is None:
        return logits.argmax(dim=-1)  # (B,) the predicted class
    if isinstance(target, bool) or not isinstance(target, (int, torch.Tensor)):
        raise TypeError(f"target must be a class id (int or (B,) tensor) or None, got {type(target).__name__}")
    target = torch.as_tensor(target, device=logits.device).long().expand(logits.shape[0])  # (B,)
    if not ((target >= 0) & (target < logits.shape[1])).all():
        raise ValueError(f"target must be a class id between 0 and {logits.shape[1] - 1}, got {target.tolist()}")
    return target


def gradient_x_input(model: torch.nn.Module, inputs: Mapping[str, torch.Tensor],
                     target: int | torch.Tensor | None = None) -> torch.Tensor:
    """Per-token gradient x input of the target class's logit (default: the predicted class): (B, T).

    The model runs in eval mode (dropout off) and its parameters get no gradient.

    Taught in: notebook 10, section 6.
    """
    model, inputs = _model(model), _inputs(inputs)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        ids = inputs["input_ids"].to(device)  # (B, T)
        others = {k: v.to(device) for k, v in inputs.items() if k not in _SKIP}
        embeds = model.get_input_embeddings()(ids).detach().requires_grad_(True)  # (B, T, D)
        with torch.enable_grad():
            logits = model(inputs_embeds=embeds, **others).logits  # (B, C)
            chosen = _target(target, logits)
            picked = logits.gather(1, chosen[:, None]).sum()
            (grad,) = torch.autograd.grad(picked, embeds)  # (B, T, D), parameters untouched
    finally:
        model.train(was_training)
    return (grad * embeds).sum(dim=-1).detach().cpu()  # (B, T)


def cls_attention(model: torch.nn.Module, inputs: Mapping[str, torch.Tensor], layer: int = -1) -> torch.Tensor:
    """Attention from the [CLS] query to every key in one layer, averaged over heads: (B, T).

    The model must run eager attention (``attn_implementation="eager"``).

    Taught in: notebook 10, section 6.
    """
    model, inputs = _model(model), _inputs(inputs)
    require_int("layer", layer)  # negative counts from the top
    device = next(model.parameters()).device
    clean = {k: v.to(device) for k, v in inputs.items() if k not in ("labels", "label")}
    attentions = get_attentions(model, clean)  # L x (B, H, T, T)
    require_int("layer", layer, minimum=-len(attentions), maximum=len(attentions) - 1)
    return attentions[layer][:, :, 0, :].mean(dim=1).cpu()  # (B, T)


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties sharing their average rank."""
    order = values.argsort(kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    for value in np.unique(values):
        tied = values == value
        ranks[tied] = ranks[tied].mean()
    return ranks


def rank_correlation(a: Any, b: Any) -> float:
    """Spearman's rho: the Pearson correlation of the two rankings (ties share their average rank);
    NaN when a or b holds a NaN, as ``scipy.stats.spearmanr`` returns (a NaN has no rank).

    Taught in: notebook 10, section 6.
    """
    require_sequence("a", a)
    require_sequence("b", b)
    x = np.asarray(a.detach().cpu() if hasattr(a, "detach") else a, dtype=np.float64)
    y = np.asarray(b.detach().cpu() if hasattr(b, "detach") else b, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"a and b must be 1-d and of the same length, got shapes {x.shape} and {y.shape}")
    if x.size < 3:
        raise ValueError(f"a and b need at least 3 values for a rank correlation, got {x.size}")
    if np.isnan(x).any() or np.isnan(y).any():
        return float("nan")  # SciPy's default (nan_policy="propagate"), not a rank of NaN
    rx, ry = _ranks(x), _ranks(y)
    if rx.std() == 0 or ry.std() == 0:
        raise ValueError("a and b must not be constant: a rank correlation is undefined when every value ties")
    return float(np.corrcoef(rx, ry)[0, 1])


def _one_sequence(inputs: Mapping[str, torch.Tensor], scores: Any, keep: Any) -> torch.Tensor:
    """Check one sequence's ``scores`` (T,) and ``keep`` (T,) bool (default: the first and last token,
    [CLS] and [SEP]); return ``keep`` on the CPU."""
    ids = inputs["input_ids"]
    if ids.shape[0] != 1:
        raise ValueError(f"inputs must hold one sequence (B = 1), got a batch of {ids.shape[0]}")
    length = ids.shape[1]
    require_tensor("scores", scores, 1, f"({length},), one score per token")
    if scores.shape != (length,):
        raise ValueError(f"scores must be a ({length},) tensor, one score per token, got {tuple(scores.shape)}")
    if keep is None:
        keep = torch.zeros(length, dtype=torch.bool)
        keep[[0, -1]] = True  # [CLS] and [SEP]
    require_tensor("keep", keep, 1, f"({length},), True for tokens never removed", dtype="bool")
    if keep.shape != (length,):
        raise ValueError(f"keep must be a ({length},) bool tensor, True for tokens never removed, got "
                         f"{tuple(keep.shape)}")
    return keep.cpu()


def _deletion_order(scores: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Token positions in deletion order: largest score first (signed: a negative score comes last).

    ``scores`` (T,); ``keep`` (T,) bool marks tokens never deleted. Ties keep their
    left-to-right order. Returns (T - kept,) positions.
    """
    order = scores.detach().cpu().double().masked_fill(keep, float("-inf")).argsort(descending=True, stable=True)
    return order[: int((~keep).sum())]  # (T - kept,)


@torch.no_grad()
def deletion_curve(model: torch.nn.Module, inputs: Mapping[str, torch.Tensor], scores: torch.Tensor, k_max: int,
                   keep: torch.Tensor | None = None) -> torch.Tensor:
    """Probability of the predicted class after deleting the top 0, 1, ..., ``k_max`` tokens: (k_max + 1,).

    One sequence (B = 1); the class is the one predicted with every token present. Deleting =
    setting the token's attention-mask entry to 0, as ``removal_effect`` does; all k_max + 1
    masks run as one batch.

    Taught in: notebook 10, section 6.
    """
    model, inputs = _model(model), _inputs(inputs)
    order = _deletion_order(scores, _one_sequence(inputs, scores, keep))  # (T - kept,)
    require_int("k_max", k_max, minimum=0, maximum=len(order))  # at most the removable tokens
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    batch = {key: v.to(device) for key, v in inputs.items() if key not in ("labels", "label")}
    mask = batch.get("attention_mask", torch.ones_like(batch["input_ids"])).repeat(k_max + 1, 1)  # (K + 1, T)
    for k in range(1, k_max + 1):
        mask[k, order[:k].to(device)] = 0  # row k: the top k tokens deleted
    repeated = {key: v.expand(k_max + 1, -1) for key, v in batch.items()}  # (K + 1, T) each
    try:
        probs = model(**{**repeated, "attention_mask": mask}).logits.float().softmax(dim=-1)  # (K + 1, C)
    finally:
        model.train(was_training)
    return probs[:, int(probs[0].argmax())].cpu()  # (K + 1,)


@torch.no_grad()
def removal_effect(model: torch.nn.Module, inputs: Mapping[str, torch.Tensor], scores: torch.Tensor, k: int,
                   keep: torch.Tensor | None = None) -> float:
    """Drop in the predicted class's log-odds, log p / (1 - p), when the ``k`` top-scored tokens are removed.

    One sequence (B = 1). Removing = setting its attention-mask entries to 0, so no
    other token can read from it. ``keep`` (T,) bool marks tokens never removed
    (default: the first and last, [CLS] and [SEP]). Log-odds, unlike probabilities, do
    not saturate near 1, so confident predictions still show how much they moved.

    Taught in: notebook 10, section 6.
    """
    model, inputs = _model(model), _inputs(inputs)
    keep = _one_sequence(inputs, scores, keep)
    require_int("k", k, minimum=0, maximum=int((~keep).sum()))  # at most the removable tokens
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    batch = {key: v.to(device) for key, v in inputs.items() if key not in ("labels", "label")}
    mask = batch.get("attention_mask", torch.ones_like(batch["input_ids"])).clone()  # (1, T)
    before = model(**{**batch, "attention_mask": mask}).logits.float().log_softmax(dim=-1)[0]  # (C,) log p
    predicted = int(before.argmax())
    ranked = _deletion_order(scores, keep)[:k]
    mask[0, ranked.to(device)] = 0
    after = model(**{**batch, "attention_mask": mask}).logits.float().log_softmax(dim=-1)[0]  # (C,)
    model.train(was_training)
    return _log_odds(before, predicted) - _log_odds(after, predicted)


def _log_odds(log_probs: torch.Tensor, c: int) -> float:
    """log p_c - log(1 - p_c), computed from log-probabilities without cancellation."""
    others = torch.cat([log_probs[:c], log_probs[c + 1:]]).logsumexp(dim=0)
    return float(log_probs[c] - others)
