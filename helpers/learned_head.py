"""One attention head whose W_Q, W_K and W_V are learned, on a task whose right attention pattern is known.

The task ("find your partner"): a sequence holds ``num_pairs`` pairs of tokens. Both tokens of a
pair share a colour that no other token in the sequence has, and every token carries a random
value. Each position must output the value of its partner, the other token of its colour. The
only way to do it is to attend to the partner, so the right attention map is known: all weight on
position ``partner[b, i]``. A token is the one-hot of its colour followed by the one-hot of its
value (no positions: the task does not need them). Attention to oneself is masked out.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .attention import scaled_dot_product_attention
from .course.validation import require_instance, require_int, require_number, require_tensor


@dataclass(frozen=True)
class PartnerTask:
    """A batch of the partner task: inputs, the right key per query, and the values to output.

    Not taught: a record that partner_task returns.
    """

    x: Tensor  # (N, T, num_colours + num_values): one-hot colour, then one-hot value
    partner: Tensor  # (N, T) long: the position each query should attend to
    target: Tensor  # (N, T) long: the partner's value, what each position must output
    colours: Tensor  # (N, T) long
    values: Tensor  # (N, T) long


def partner_task(num_sequences: int, num_pairs: int = 6, num_colours: int = 16, num_values: int = 10,
                 seed: int = 0) -> PartnerTask:
    """``num_sequences`` random sequences of ``2 * num_pairs`` tokens, from their own generator.

    Taught in: notebook 01, section 8.
    """
    require_int("num_sequences", num_sequences, minimum=1)
    require_int("num_pairs", num_pairs, minimum=2)
    require_int("num_colours", num_colours, minimum=num_pairs)
    require_int("num_values", num_values, minimum=2)
    require_int("seed", seed, minimum=0)
    generator = torch.Generator().manual_seed(seed)
    length = 2 * num_pairs
    pair_colours = torch.stack([torch.randperm(num_colours, generator=generator)[:num_pairs]
                                for _ in range(num_sequences)])  # (N, P): distinct colours
    where = torch.stack([torch.randperm(length, generator=generator)
                         for _ in range(num_sequences)])  # (N, T): the position of slot s
    slots = torch.arange(length)
    colours = torch.empty(num_sequences, length, dtype=torch.long)
    colours.scatter_(1, where, pair_colours.repeat(1, 2))  # slots s and s + P share a colour
    partner = torch.empty_like(colours)
    partner.scatter_(1, where, where[:, (slots + num_pairs) % length])  # slot s <-> slot s + P
    values = torch.randint(num_values, (num_sequences, length), generator=generator)
    x = torch.cat([F.one_hot(colours, num_colours), F.one_hot(values, num_values)], dim=-1).float()
    return PartnerTask(x, partner, values.gather(1, partner), colours, values)


class LearnedHead(nn.Module):
    """One attention head with learned projections: softmax((x W_Q)(x W_K)^T / sqrt(d_k)) (x W_V).

    Each query may attend to every position but its own. The output has one logit per value.

    Taught in: notebook 01, section 8.
    """

    def __init__(self, d_in: int, d_k: int, d_out: int, init_std: float = 0.1) -> None:
        super().__init__()
        for name, size in {"d_in": d_in, "d_k": d_k, "d_out": d_out}.items():
            require_int(name, size, minimum=1)
        require_number("init_std", init_std, above=0.0)
        self.w_q = nn.Parameter(init_std * torch.randn(d_in, d_k))  # (d_in, d_k)
        self.w_k = nn.Parameter(init_std * torch.randn(d_in, d_k))  # (d_in, d_k)
        self.w_v = nn.Parameter(init_std * torch.randn(d_in, d_out))  # (d_in, d_out)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """x (B, T, d_in) -> logits (B, T, d_out) and attention weights (B, T, T)."""
        require_tensor("x", x, 3, f"(B, T, {self.w_q.shape[0]})", dtype="float")
        q, k, v = x @ self.w_q, x @ self.w_k, x @ self.w_v  # (B, T, d_k), (B, T, d_k), (B, T, d_out)
        not_self = ~torch.eye(x.shape[1], dtype=torch.bool, device=x.device)  # (T, T)
        return scaled_dot_product_attention(q, k, v, mask=not_self)


def train_head(head: LearnedHead, task: PartnerTask, steps: int = 200, batch_size: int = 64,
               lr: float = 0.05, seed: int = 0) -> list[float]:
    """Adam on the cross-entropy of every position's predicted value; returns the loss of each step.

    Taught in: notebook 01, section 8.
    """
    require_instance("head", head, LearnedHead, "a LearnedHead")
    require_instance("task", task, PartnerTask, "the PartnerTask that partner_task returns")
    require_int("steps", steps, minimum=1)
    require_int("batch_size", batch_size, minimum=1)
    require_number("lr", lr, above=0.0)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(head.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        rows = torch.randint(task.x.shape[0], (batch_size,), generator=generator)
        logits, _ = head(task.x[rows])  # (batch, T, num_values)
        loss = F.cross_entropy(logits.flatten(0, 1), task.target[rows].flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def mass_on_targets(weights: Tensor, targets: Tensor) -> float:
    """The mean attention weight that each query puts on its right key: weights (B, T_q, T_k), targets (B, T_q).

    Taught in: notebook 01, section 8.
    """
    require_tensor("weights", weights, 3, "(B, T_q, T_k)", dtype="float")
    require_tensor("targets", targets, 2, "(B, T_q)", dtype="int")
    if targets.shape != weights.shape[:2]:
        raise ValueError(f"targets must have shape (B, T_q) = {tuple(weights.shape[:2])}, got {tuple(targets.shape)}")
    if targets.min() < 0 or targets.max() >= weights.shape[2]:
        raise ValueError(f"targets must be key positions between 0 and {weights.shape[2] - 1}, "
                         f"got values from {targets.min().item()} to {targets.max().item()}")
    return weights.gather(-1, targets[..., None]).mean().item()  # (B, T_q, 1) -> one number


def identity_head_weights(x: Tensor) -> Tensor:
    """Section 7's head on these tokens: W_Q = W_K = I, so the score is the dot product x_i . x_j / sqrt(d).

    Taught in: notebook 01, section 8.
    """
    require_tensor("x", x, 3, "(B, T, d_in)", dtype="float")
    not_self = ~torch.eye(x.shape[1], dtype=torch.bool, device=x.device)  # (T, T)
    return scaled_dot_product_attention(x, x, x, mask=not_self)[1]  # (B, T, T)


__all__ = ["LearnedHead", "PartnerTask", "identity_head_weights", "mass_on_targets", "partner_task",
           "train_head"]
