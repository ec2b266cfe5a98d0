"""What attention costs as the sequence grows: the T x T score matrix, counted exactly.

For one layer with hidden size D split into H heads of d_head = D / H features, a batch of B
sequences of T tokens:

    score matrix           B * H * T * T numbers            (memory: quadratic in T)
    Q K^T and weights @ V  2 * (2 * B * T * T * D) FLOPs     (quadratic in T)
    Q, K, V, O projections 4 * (2 * B * T * D * D) FLOPs     (linear in T)

A multiply-add counts as 2 FLOPs. The two become equal at T = 2 D.
"""
from __future__ import annotations

from dataclasses import dataclass

from .course.validation import require_int


@dataclass(frozen=True)
class AttentionCost:
    """The counted cost of one multi-head attention layer on a batch.

    Not taught: a record that attention_cost returns.
    """

    score_elements: int  # B * H * T * T
    score_bytes: int  # score_elements * bytes per element
    score_flops: int  # Q K^T and weights @ V: 4 * B * T^2 * D
    projection_flops: int  # Q, K, V and output projections: 8 * B * T * D^2


def attention_cost(seq_len: int, d_model: int, num_heads: int, batch: int = 1,
                   bytes_per_element: int = 4) -> AttentionCost:
    """Exact element, byte and FLOP counts of one attention layer (float32: 4 bytes per element).

    Taught in: notebook 01, section 9.
    """
    require_int("seq_len", seq_len, minimum=1)
    require_int("d_model", d_model, minimum=1)
    require_int("num_heads", num_heads, minimum=1)
    require_int("batch", batch, minimum=1)
    require_int("bytes_per_element", bytes_per_element, minimum=1)
    if d_model % num_heads:
        raise ValueError(f"d_model={d_model} must be a multiple of num_heads, got num_heads={num_heads}")
    elements = batch * num_heads * seq_len * seq_len  # (B, H, T, T)
    score_flops = 2 * (2 * batch * seq_len * seq_len * d_model)  # two (T x T x d_head) products per head
    projection_flops = 4 * (2 * batch * seq_len * d_model * d_model)  # four (T x D x D) products
    return AttentionCost(elements, elements * bytes_per_element, score_flops, projection_flops)
