"""helpers.attention_cost against the tensors our attention builds and PyTorch's FLOP counter (notebook 01, section 9)."""
from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from helpers.attention import MultiHeadAttention, scaled_dot_product_attention, split_heads
from helpers.attention_cost import attention_cost


@pytest.mark.parametrize("batch,heads,t,d_model", [(1, 1, 8, 4), (2, 3, 10, 12), (3, 2, 33, 16)])
def test_counts_match_the_weights_tensor_and_pytorchs_flop_counter(batch, heads, t, d_model):
    cost = attention_cost(t, d_model, heads, batch=batch)
    x = torch.randn(batch, t, d_model)
    mha = MultiHeadAttention(d_model, heads)
    q = split_heads(x, heads)  # (B, H, T, d_head)
    with FlopCounterMode(display=False) as scores_counter:
        _, weights = scaled_dot_product_attention(q, q, q)
    assert weights.numel() == cost.score_elements == batch * heads * t * t
    assert weights.numel() * weights.element_size() == cost.score_bytes
    assert scores_counter.get_total_flops() == cost.score_flops  # Q K^T and weights @ V
    with FlopCounterMode(display=False) as projections_counter:
        for projection in (mha.q_proj, mha.k_proj, mha.v_proj, mha.out_proj):
            projection(x)
    assert projections_counter.get_total_flops() == cost.projection_flops


def test_doubling_the_length_quadruples_the_scores_and_doubles_the_projections():
    short, long = attention_cost(100, 64, 4, batch=2), attention_cost(200, 64, 4, batch=2)
    assert long.score_bytes == 4 * short.score_bytes and long.score_flops == 4 * short.score_flops
    assert long.projection_flops == 2 * short.projection_flops


def test_attention_and_projections_cost_the_same_at_twice_the_width():
    for d_model in (64, 768):
        at = attention_cost(2 * d_model, d_model, 4)
        assert at.score_flops == at.projection_flops
        below = attention_cost(2 * d_model - 1, d_model, 4)
        assert below.score_flops < below.projection_flops


def test_half_precision_halves_the_bytes():
    assert attention_cost(64, 32, 2, bytes_per_element=2).score_bytes * 2 == attention_cost(64, 32, 2).score_bytes
