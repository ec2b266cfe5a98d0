"""The from-scratch attention agrees with PyTorch's, and bad shapes get clear errors."""
import pytest
import torch
import torch.nn.functional as F

from helpers.attention import (MultiHeadAttention, causal_mask, merge_heads, padding_mask,
                               scaled_dot_product_attention, split_heads)
from helpers.course.errors import ShapeError

TOLERANCE = 1e-5  # float32


def random_lengths_mask(batch: int, length: int, generator: torch.Generator) -> torch.Tensor:
    """A tokenizer-style (B, T) attention mask with at least one real token per row."""
    lengths = torch.randint(1, length + 1, (batch,), generator=generator)
    return (torch.arange(length)[None, :] < lengths[:, None]).long()  # (B, T)


@pytest.mark.parametrize("batch,heads,t_q,t_k,d_k,d_v", [
    (1, 1, 1, 1, 1, 1), (2, 4, 5, 5, 8, 8), (3, 2, 7, 4, 16, 5), (2, 12, 16, 16, 64, 64),
])
@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_matches_pytorch(batch, heads, t_q, t_k, d_k, d_v, causal):
    g = torch.Generator().manual_seed(batch * 100 + t_q)
    q = torch.randn(batch, heads, t_q, d_k, generator=g)  # (B, H, T_q, d_k)
    k = torch.randn(batch, heads, t_k, d_k, generator=g)  # (B, H, T_k, d_k)
    v = torch.randn(batch, heads, t_k, d_v, generator=g)  # (B, H, T_k, d_v)
    ours, weights = scaled_dot_product_attention(q, k, v, causal=causal)
    theirs = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    assert ours.shape == theirs.shape == (batch, heads, t_q, d_v)
    assert (ours - theirs).abs().max() < TOLERANCE
    assert torch.allclose(weights.sum(-1), torch.ones(batch, heads, t_q))


@pytest.mark.parametrize("batch,heads,length,d_k", [(2, 3, 6, 8), (4, 1, 9, 4)])
def test_sdpa_padding_mask_matches_pytorch(batch, heads, length, d_k):
    g = torch.Generator().manual_seed(7)
    q, k, v = (torch.randn(batch, heads, length, d_k, generator=g) for _ in range(3))
    mask = padding_mask(random_lengths_mask(batch, length, g))  # (B, 1, 1, T)
    ours, weights = scaled_dot_product_attention(q, k, v, mask=mask)
    theirs = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert (ours - theirs).abs().max() < TOLERANCE
    assert (weights.masked_select(~mask.expand_as(weights)) == 0).all()  # no weight on padding


def test_sdpa_padding_and_causal_together():
    g = torch.Generator().manual_seed(3)
    q, k, v = (torch.randn(2, 2, 5, 4, generator=g) for _ in range(3))
    mask = padding_mask(torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]))
    ours, _ = scaled_dot_product_attention(q, k, v, mask=mask, causal=True)
    combined = mask & torch.ones(5, 5, dtype=torch.bool).tril()
    theirs = F.scaled_dot_product_attention(q, k, v, attn_mask=combined)
    assert (ours - theirs).abs().max() < TOLERANCE


def test_weights_hand_computed():
    q = torch.tensor([[1.0, 0.0]])  # (T_q=1, d_k=2)
    k = torch.tensor([[1.0, 0.0], [0.0, 1.0]])  # (T_k=2, d_k=2)
    v = torch.tensor([[10.0], [20.0]])  # (T_k=2, d_v=1)
    out, weights = scaled_dot_product_attention(q, k, v)
    a = torch.exp(torch.tensor(1 / 2**0.5))
    expected = torch.tensor([[a / (a + 1), 1 / (a + 1)]])
    assert torch.allclose(weights, expected)
    assert torch.allclose(out, expected @ v)


def test_causal_mask_is_lower_triangular():
    assert causal_mask(3).tolist() == [[True, False, False], [True, True, False], [True, True, True]]
    assert causal_mask(2, 4).shape == (2, 4)
    with pytest.raises(ValueError, match="positive"):
        causal_mask(0)


@pytest.mark.parametrize("d_model,num_heads", [(8, 1), (16, 4), (24, 3), (64, 8)])
@pytest.mark.parametrize("bias", [True, False])
def test_multihead_matches_torch(d_model, num_heads, bias):
    torch.manual_seed(d_model + num_heads)
    reference = torch.nn.MultiheadAttention(d_model, num_heads, bias=bias, batch_first=True).eval()
    ours = MultiHeadAttention.from_torch(reference).eval()
    x = torch.randn(3, 6, d_model)  # (B, T, d_model)
    out, weights = ours(x)
    ref_out, ref_weights = reference(x, x, x, average_attn_weights=False)
    assert (out - ref_out).abs().max() < TOLERANCE
    assert weights.shape == (3, num_heads, 6, 6)
    assert (weights - ref_weights).abs().max() < TOLERANCE


def test_multihead_masks_match_torch():
    torch.manual_seed(0)
    reference = torch.nn.MultiheadAttention(16, 4, batch_first=True).eval()
    ours = MultiHeadAttention.from_torch(reference).eval()
    query, memory = torch.randn(2, 4, 16), torch.randn(2, 7, 16)  # cross-attention: T_q=4, T_k=7
    keep = torch.tensor([[1] * 7, [1] * 5 + [0] * 2])  # (B, T_k): 1 = real token
    out, weights = ours(query, memory, memory, mask=padding_mask(keep))
    # PyTorch's key_padding_mask has the opposite convention: True = ignore this key.
    ref_out, ref_weights = reference(query, memory, memory, key_padding_mask=~keep.bool(),
                                     average_attn_weights=False)
    assert (out - ref_out).abs().max() < TOLERANCE
    assert (weights - ref_weights).abs().max() < TOLERANCE
    causal_out, _ = ours(query[:, :4], causal=True)
    ref_causal, _ = reference(query, query, query, attn_mask=~causal_mask(4))  # True = not allowed
    assert (causal_out - ref_causal).abs().max() < TOLERANCE


def test_split_and_merge_heads_round_trip():
    x = torch.randn(2, 5, 12)  # (B, T, d_model)
    heads = split_heads(x, 3)  # (B, H, T, d_head)
    assert heads.shape == (2, 3, 5, 4)
    assert torch.equal(heads[:, 1], x[..., 4:8])  # head 1 sees features 4..7 of every position
    assert torch.equal(merge_heads(heads), x)


@pytest.mark.parametrize("shapes,match", [
    (((2, 5, 8), (2, 5, 7), (2, 5, 8)), r"query \(2, 5, 8\) and key \(2, 5, 7\)"),
    (((2, 5, 8), (2, 6, 8), (2, 5, 8)), r"key \(2, 6, 8\) and value \(2, 5, 8\)"),
    (((8,), (5, 8), (5, 8)), r"query must have shape \(\.\.\., T, d\), got \(8,\)"),
    (((2, 5, 8), (3, 5, 8), (3, 5, 8)), "do not broadcast"),
])
def test_sdpa_shape_errors_name_the_shapes(shapes, match):
    q, k, v = (torch.randn(*s) for s in shapes)
    with pytest.raises(ValueError, match=match):
        scaled_dot_product_attention(q, k, v)


def test_mask_errors():
    q = k = v = torch.randn(2, 5, 8)
    with pytest.raises(ShapeError, match=r"mask of shape \(2, 4\) does not broadcast .*\(2, 5, 5\)"):
        scaled_dot_product_attention(q, k, v, mask=torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(TypeError, match="mask must be a bool tensor, got dtype torch.float32"):
        scaled_dot_product_attention(q, k, v, mask=torch.ones(5, 5))
    with pytest.raises(TypeError, match=r"query must be a torch.Tensor of shape \(\.\.\., T, d\), got list"):
        scaled_dot_product_attention([[1.0]], k, v)
    with pytest.raises(ShapeError, match=r"attention_mask must have shape \(B, T\), got \(5,\)"):
        padding_mask(torch.ones(5))


def test_heads_errors():
    with pytest.raises(ValueError, match="d_model=10 is not divisible by num_heads=3"):
        MultiHeadAttention(10, 3)
    with pytest.raises(ValueError, match="d_model=10 is not divisible by num_heads=4"):
        split_heads(torch.randn(1, 2, 10), 4)
    with pytest.raises(ValueError, match=r"query must have shape \(B, T, 8\), got \(1, 2, 6\)"):
        MultiHeadAttention(8, 2)(torch.randn(1, 2, 6))
    with pytest.raises(ValueError, match="positive"):
        MultiHeadAttention(0, 1)


# --- a query whose keys are all masked ----------------------------------------------------------
# Notebook 01 (section 5) and helpers/attention.py's docstring state what each implementation does
# with it; these tests check every statement against the installed PyTorch, so an upgrade that
# changes one fails here loudly.

def _one_row_masked(length: int = 4) -> torch.Tensor:
    allowed = torch.ones(length, length, dtype=torch.bool)  # (T_q, T_k)
    allowed[1] = False  # query 1 may attend to no key at all
    return allowed


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_fully_masked_row_pytorch_sdpa_returns_zeros(dtype):
    g = torch.Generator().manual_seed(5)
    q, k, v = (torch.randn(2, 3, 4, 8, generator=g, dtype=dtype) for _ in range(3))  # (B, H, T, d)
    allowed = _one_row_masked()
    as_bool = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
    as_float = F.scaled_dot_product_attention(q, k, v, attn_mask=torch.zeros(4, 4, dtype=dtype).masked_fill(
        ~allowed, float("-inf")))
    for out in (as_bool, as_float):
        assert torch.equal(out[..., 1, :], torch.zeros_like(out[..., 1, :]))  # zeros, not NaN (PyTorch >= 2.5)
        assert not out.isnan().any()


def test_fully_masked_row_our_helper_returns_zeros_like_pytorch():
    g = torch.Generator().manual_seed(6)
    q, k, v = (torch.randn(2, 3, 4, 8, generator=g).requires_grad_() for _ in range(3))  # (B, H, T, d)
    allowed = _one_row_masked()
    out, weights = scaled_dot_product_attention(q, k, v, mask=allowed)
    assert torch.equal(weights[..., 1, :], torch.zeros(2, 3, 4))  # no key: zero weights, not NaN
    assert torch.equal(out[..., 1, :], torch.zeros(2, 3, 8))  # and a zero output
    assert (out - F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)).abs().max() < TOLERANCE
    assert torch.allclose(weights[..., [0, 2, 3], :].sum(-1), torch.ones(2, 3, 3))  # other rows untouched
    out.sum().backward()
    assert all(t.grad.isfinite().all() for t in (q, k, v))  # the masked row sends no NaN gradient back
    # left padding + causal mask: the pad query at position 0 may see only itself, a pad key
    left_padded = padding_mask(torch.tensor([[0, 1, 1]]))  # (B, 1, 1, T)
    x = torch.randn(1, 1, 3, 8, generator=g)
    out, weights = scaled_dot_product_attention(x, x, x, mask=left_padded, causal=True)
    assert torch.equal(out[0, 0, 0], torch.zeros(8)) and not weights.isnan().any()
    theirs = F.scaled_dot_product_attention(x, x, x, attn_mask=left_padded & causal_mask(3))
    assert (out - theirs).abs().max() < TOLERANCE


def test_fully_masked_row_pytorch_multihead_attention_is_nan_or_zero():
    torch.manual_seed(1)
    mha = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    x = torch.randn(1, 4, 8)  # (B, T, d_model)
    hidden = ~_one_row_masked()  # PyTorch's attn_mask here: True = may NOT attend
    mha.eval()
    out, weights = mha(x, x, x, attn_mask=hidden)  # need_weights=True, the default: NaN
    assert out[0, 1].isnan().all() and weights[0, 1].isnan().all()
    assert not out[0, [0, 2, 3]].isnan().any()
    out, _ = mha(x, x, x, attn_mask=hidden, need_weights=False)  # goes through F.sdpa: the bias alone
    torch.testing.assert_close(out[0, 1], mha.out_proj.bias)
    with torch.no_grad():  # eval + no_grad + batch_first self-attention: the inference fast path, NaN
        out, _ = mha(x, x, x, attn_mask=hidden, need_weights=False)
    assert out[0, 1].isnan().all()


@pytest.mark.parametrize("bias", [True, False])
def test_from_torch_copies_in_the_source_dtype(bias):
    torch.manual_seed(2)
    reference = torch.nn.MultiheadAttention(16, 4, bias=bias, batch_first=True, dtype=torch.float64).eval()
    with torch.no_grad():  # weights a float32 copy cannot hold exactly (PyTorch initialises in float32 precision)
        for parameter in reference.parameters():
            parameter.add_(torch.randn_like(parameter) * 1e-3)
    ours = MultiHeadAttention.from_torch(reference).eval()
    assert {p.dtype for p in ours.parameters()} == {torch.float64}
    assert torch.equal(torch.cat([ours.q_proj.weight, ours.k_proj.weight, ours.v_proj.weight]),
                       reference.in_proj_weight)
    x = torch.randn(3, 6, 16, dtype=torch.float64)  # (B, T, d_model)
    with torch.no_grad():
        out, weights = ours(x)
        ref_out, ref_weights = reference(x, x, x, average_attn_weights=False)
    assert (out - ref_out).abs().max() < 1e-12
    assert (weights - ref_weights).abs().max() < 1e-12
