"""Scaled dot-product attention and multi-head attention, from scratch.

    Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V

Masks follow ``torch.nn.functional.scaled_dot_product_attention``: a boolean mask
is True where a query MAY attend to a key, and broadcasts to ``(..., T_q, T_k)``.
A query whose keys are ALL masked out has no distribution to normalise (the softmax
of a row of -inf is 0/0 = NaN); like ``F.scaled_dot_product_attention`` (PyTorch >= 2.5)
we give it zero weights and a zero output, because a NaN row would poison every
later layer (0 weight x NaN value is still NaN). Notebook 01, section 5.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from .course.errors import ShapeError
from .course.validation import require_bool, require_int, require_number, require_tensor


def _shape(tensor: Tensor) -> tuple[int, ...]:
    return tuple(tensor.shape)


def _check_qkv(query: Tensor, key: Tensor, value: Tensor) -> None:
    named = {"query": query, "key": key, "value": value}
    for name, tensor in named.items():
        require_tensor(name, tensor, shape="(..., T, d)")
        if tensor.dim() < 2:
            raise ShapeError(f"{name} must have shape (..., T, d), got {_shape(tensor)}")
    if query.shape[-1] != key.shape[-1]:
        raise ShapeError(f"query {_shape(query)} and key {_shape(key)} must share their last size d_k, "
                         f"got {query.shape[-1]} and {key.shape[-1]}")
    if key.shape[-2] != value.shape[-2]:
        raise ShapeError(f"key {_shape(key)} and value {_shape(value)} must have the same number of positions T_k, "
                         f"got {key.shape[-2]} and {value.shape[-2]}")
    try:
        torch.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    except RuntimeError:
        raise ShapeError(f"the batch dimensions of query {_shape(query)}, key {_shape(key)} "
                         f"and value {_shape(value)} do not broadcast") from None


def causal_mask(t_q: int, t_k: int | None = None, device: torch.device | str | None = None) -> Tensor:
    """(T_q, T_k) boolean mask, True where query i may attend to key j <= i.

    Taught in: notebook 01, section 5.
    """
    require_int("t_q", t_q, minimum=1)
    t_k = t_q if t_k is None else require_int("t_k", t_k, minimum=1)
    return torch.ones(t_q, t_k, dtype=torch.bool, device=device).tril()  # (T_q, T_k)


def padding_mask(attention_mask: Tensor) -> Tensor:
    """(B, T) tokenizer-style mask (1 = real token, 0 = padding) -> (B, 1, 1, T) boolean mask.

    Taught in: notebook 01, section 4.
    """
    require_tensor("attention_mask", attention_mask, 2, "(B, T)")
    return attention_mask.bool()[:, None, None, :]  # (B, 1, 1, T_k): broadcasts over heads and queries


def _combined_mask(mask: Tensor | None, causal: bool, t_q: int, t_k: int, batch: tuple[int, ...],
                   device: torch.device) -> Tensor | None:
    if mask is not None:
        require_tensor("mask", mask, shape="(..., T_q, T_k), True where a query may attend", dtype="bool")
        try:
            torch.broadcast_shapes(mask.shape, (*batch, t_q, t_k))
        except RuntimeError:
            raise ShapeError(f"mask of shape {_shape(mask)} does not broadcast to the scores' shape "
                             f"{(*batch, t_q, t_k)} (..., T_q, T_k)") from None
    if causal:
        lower = causal_mask(t_q, t_k, device=device)
        mask = lower if mask is None else mask & lower
    return mask


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None = None,
                                 causal: bool = False, scale: float | None = None) -> tuple[Tensor, Tensor]:
    """softmax(Q K^T * scale) V with optional boolean and causal masks.

    query (..., T_q, d_k), key (..., T_k, d_k), value (..., T_k, d_v).
    Returns the output (..., T_q, d_v) and the attention weights (..., T_q, T_k).
    ``scale`` defaults to 1 / sqrt(d_k). A query with no allowed key gets zero weights and a
    zero output, as in ``torch.nn.functional.scaled_dot_product_attention``.

    Taught in: notebook 01, section 4.
    """
    _check_qkv(query, key, value)
    require_bool("causal", causal)
    if scale is not None:
        require_number("scale", scale, above=0.0)
    t_q, d_k = query.shape[-2:]
    t_k = key.shape[-2]
    scale = 1.0 / math.sqrt(d_k) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale  # (..., T_q, T_k)
    batch = tuple(torch.broadcast_shapes(query.shape[:-2], key.shape[:-2]))
    allowed = _combined_mask(mask, causal, t_q, t_k, batch, query.device)
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    weights = scores.softmax(dim=-1)  # (..., T_q, T_k), each row sums to 1
    if allowed is not None:  # a query with no allowed key: NaN from the softmax -> zero weights
        weights = weights.masked_fill(~allowed.any(dim=-1, keepdim=True), 0.0)
    return weights @ value, weights  # (..., T_q, d_v), (..., T_q, T_k)


def split_heads(x: Tensor, num_heads: int) -> Tensor:
    """(B, T, d_model) -> (B, H, T, d_model / H): each head sees its own slice of features.

    Taught in: notebook 01, section 6.
    """
    require_tensor("x", x, 3, "(B, T, d_model)")
    require_int("num_heads", num_heads, minimum=1)
    batch, length, d_model = x.shape
    if d_model % num_heads:
        raise ShapeError(f"d_model={d_model} is not divisible by num_heads={num_heads}: x's last size "
                         f"must be a multiple of num_heads, got x of shape {_shape(x)}")
    return x.view(batch, length, num_heads, d_model // num_heads).transpose(1, 2)  # (B, H, T, d_head)


def merge_heads(x: Tensor) -> Tensor:
    """(B, H, T, d_head) -> (B, T, H * d_head): the inverse of split_heads.

    Taught in: notebook 01, section 6.
    """
    require_tensor("x", x, 4, "(B, H, T, d_head)")
    batch, heads, length, d_head = x.shape
    return x.transpose(1, 2).reshape(batch, length, heads * d_head)  # (B, T, d_model)


class MultiHeadAttention(nn.Module):
    """H attention heads in parallel, each on a d_model / H slice, then one output projection.

    Inputs are batch-first: (B, T, d_model). ``forward`` returns the output
    (B, T_q, d_model) and the weights of every head (B, H, T_q, T_k).

    Taught in: notebook 01, section 6.
    """

    def __init__(self, d_model: int, num_heads: int, bias: bool = True) -> None:
        super().__init__()
        require_int("d_model", d_model, minimum=1)
        require_int("num_heads", num_heads, minimum=1)
        require_bool("bias", bias)
        if d_model % num_heads:
            raise ShapeError(f"d_model={d_model} is not divisible by num_heads={num_heads}: d_model must be "
                             f"a multiple of num_heads (each head gets d_model / num_heads features)")
        self.d_model, self.num_heads = d_model, num_heads
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)

    def forward(self, query: Tensor, key: Tensor | None = None, value: Tensor | None = None,
                mask: Tensor | None = None, causal: bool = False) -> tuple[Tensor, Tensor]:
        key = query if key is None else key  # self-attention by default
        value = key if value is None else value
        for name, tensor in {"query": query, "key": key, "value": value}.items():
            require_tensor(name, tensor, shape=f"(B, T, {self.d_model})")
            if tensor.dim() != 3 or tensor.shape[-1] != self.d_model:
                raise ShapeError(f"{name} must have shape (B, T, {self.d_model}), got {_shape(tensor)}")
        q = split_heads(self.q_proj(query), self.num_heads)  # (B, H, T_q, d_head)
        k = split_heads(self.k_proj(key), self.num_heads)  # (B, H, T_k, d_head)
        v = split_heads(self.v_proj(value), self.num_heads)  # (B, H, T_k, d_head)
        heads, weights = scaled_dot_product_attention(q, k, v, mask=mask, causal=causal)
        return self.out_proj(merge_heads(heads)), weights  # (B, T_q, d_model), (B, H, T_q, T_k)

    @classmethod
    def from_torch(cls, module: nn.MultiheadAttention) -> "MultiHeadAttention":
        """A copy of ``torch.nn.MultiheadAttention``'s weights (same d_model, heads, bias, dtype, device)."""
        if not isinstance(module, nn.MultiheadAttention):
            raise TypeError(f"module must be a torch.nn.MultiheadAttention, got {type(module).__name__}")
        if not module._qkv_same_embed_dim:
            raise ValueError(f"module must have kdim = vdim = embed_dim (the only kind from_torch supports), "
                             f"got kdim={module.kdim}, vdim={module.vdim}, embed_dim={module.embed_dim}")
        has_bias = module.in_proj_bias is not None
        source = module.in_proj_weight
        # in the source's dtype before copying: a float32 copy would round float64 weights (~1e-8)
        ours = cls(module.embed_dim, module.num_heads, bias=has_bias).to(source.device, source.dtype)
        w_q, w_k, w_v = module.in_proj_weight.detach().chunk(3)  # PyTorch stacks Q, K, V projections
        with torch.no_grad():
            for proj, weight in zip((ours.q_proj, ours.k_proj, ours.v_proj), (w_q, w_k, w_v)):
                proj.weight.copy_(weight)
            ours.out_proj.weight.copy_(module.out_proj.weight)
            if has_bias:
                for proj, bias in zip((ours.q_proj, ours.k_proj, ours.v_proj), module.in_proj_bias.detach().chunk(3)):
                    proj.bias.copy_(bias)
                ours.out_proj.bias.copy_(module.out_proj.bias)
        return ours
