"""Playground for notebook 01: move d_k, the temperature and the mask, and watch the attention weights.

Six toy tokens (the last two are padding) get seeded random queries and keys with ``d_k`` features;
the weights come from the course's own :func:`helpers.attention.scaled_dot_product_attention`, with
``scale = 1 / (sqrt(d_k) * temperature)`` (or ``1 / temperature`` when the division by sqrt(d_k) is
switched off), and the padding or causal mask of :mod:`helpers.attention`. The view reports each
query's entropy in nats next to the most it could be, ln of the number of keys it may see.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass

import ipywidgets as widgets
import torch

from ..attention import causal_mask, padding_mask, scaled_dot_product_attention
from ..course.validation import require_bool, require_int, require_number, require_str
from . import markup
from .core import Playground

TOKENS = ("the", "cat", "sat", "down", "[PAD]", "[PAD]")
REAL = (1, 1, 1, 1, 0, 0)  # the tokenizer-style attention mask of TOKENS: 1 = real token, 0 = padding
MASKS = ("none", "padding", "causal")
MAX_D_K = 1024
MIN_TEMPERATURE, MAX_TEMPERATURE = 0.05, 5.0


@dataclass(frozen=True)
class AttentionView:
    """What the attention playground shows for one setting of its controls (``attention_view`` builds it).

    Not taught: the record attention_view returns; the notebook reads its fields.
    """

    tokens: tuple[str, ...]
    d_k: int
    temperature: float
    mask: str
    scaled: bool
    scale: float  # what the scores q . k are multiplied by before the softmax
    score_std: float  # standard deviation of the scores the softmax sees (the allowed ones)
    weights: torch.Tensor  # (T, T): row i = query i's weights over the keys
    entropy: tuple[float, ...]  # per query, nats
    max_entropy: tuple[float, ...]  # per query, ln(number of keys it may see)

    @property
    def mean_entropy(self) -> float:
        return sum(self.entropy) / len(self.entropy)

    @property
    def uniform_entropy(self) -> float:
        """ln T: the entropy of a uniform distribution over all T keys, the most any query can have."""
        return math.log(len(self.tokens))


def _queries_and_keys(d_k: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    full = torch.randn(2, len(TOKENS), MAX_D_K, generator=generator)  # (2, T, MAX_D_K)
    # the first d_k features: growing d_k adds features, so the scores' spread grows like sqrt(d_k)
    return full[0, :, :d_k], full[1, :, :d_k]  # (T, d_k) each


def _allowed(mask: str) -> torch.Tensor | None:
    t = len(TOKENS)
    if mask == "padding":
        return padding_mask(torch.tensor([REAL]))[0, 0].expand(t, t)  # (T_q, T_k)
    if mask == "causal":
        return causal_mask(t)  # (T_q, T_k)
    return None


def attention_view(d_k: int = 64, temperature: float = 1.0, mask: str = "causal", scaled: bool = True,
                   seed: int = 0) -> AttentionView:
    """The attention weights of six toy tokens and their entropies, for one setting of the controls.

    ``d_k`` features per query and key (seeded random numbers, mean 0, variance 1), scores divided by
    sqrt(d_k) when ``scaled`` and by ``temperature``, then ``mask`` ("none", "padding": the two [PAD]
    keys hidden, "causal": no key after the query). The weights come from
    ``helpers.attention.scaled_dot_product_attention``.

    Taught in: notebook 01, section 5.
    """
    d_k = require_int("d_k", d_k, 1, MAX_D_K)
    temperature = require_number("temperature", temperature, MIN_TEMPERATURE, MAX_TEMPERATURE)
    mask = require_str("mask", mask, choices=MASKS)
    scaled = require_bool("scaled", scaled)
    seed = require_int("seed", seed, 0)
    query, key = _queries_and_keys(d_k, seed)
    value = torch.eye(len(TOKENS))  # (T_k, d_v): any values do, only the weights are shown
    scale = (1.0 / math.sqrt(d_k) if scaled else 1.0) / temperature
    allowed = _allowed(mask)
    with torch.no_grad():
        _, weights = scaled_dot_product_attention(query, key, value, mask=allowed, scale=scale)  # (T, T)
        scores = (query @ key.T) * scale  # (T, T): what the softmax sees
    seen = torch.ones_like(weights, dtype=torch.bool) if allowed is None else allowed
    entropy = -(weights * weights.clamp_min(1e-30).log()).sum(dim=-1)  # (T,) nats
    entropy = entropy.clamp_min(0.0) + 0.0  # a one-hot row: 0, not -0.0
    return AttentionView(tokens=TOKENS, d_k=d_k, temperature=temperature, mask=mask, scaled=scaled, scale=scale,
                         score_std=scores[seen].std().item(), weights=weights,
                         entropy=tuple(entropy.tolist()),
                         max_entropy=tuple(math.log(n) for n in seen.sum(dim=-1).tolist()))


def attention_html(view: AttentionView) -> str:
    """The view as HTML: a summary line, the weights as a shaded table, and each query's entropy.

    Not taught: the playground's drawing; the notebook shows it through attention_playground.
    """
    if not isinstance(view, AttentionView):
        raise TypeError(f"view must be an AttentionView (from attention_view), got {type(view).__name__}")
    divided = f"divided by &radic;{view.d_k} = {math.sqrt(view.d_k):.2f}" if view.scaled else "not divided by &radic;d_k"
    summary = (f"<p style=\"margin:2px 0\">d_k = {view.d_k}, scores {divided}, temperature {view.temperature:.2f}, "
               f"mask: <b>{html.escape(view.mask)}</b>. Spread (std) of the scores the softmax sees: "
               f"<b>{view.score_std:.2f}</b>.</p>"
               f"<p style=\"margin:2px 0\">Mean entropy <b>{view.mean_entropy:.3f} nats</b> "
               f"(uniform over all {len(view.tokens)} keys: ln {len(view.tokens)} = {view.uniform_entropy:.3f}; "
               f"one-hot: 0).</p>")
    heat = markup.heat_table(view.weights.tolist(), [f"{i}:{t}" for i, t in enumerate(view.tokens)],
                             [f"{i}:{t}" for i, t in enumerate(view.tokens)])
    rows = [(f"{i}:{t}", h, most, float(w.max())) for i, (t, h, most, w)
            in enumerate(zip(view.tokens, view.entropy, view.max_entropy, view.weights))]
    entropies = markup.table(rows, ["query", "entropy (nats)", "max: ln(keys seen)", "largest weight"])
    return (f"{summary}<div style=\"display:flex;gap:16px;flex-wrap:wrap;align-items:flex-start\">"
            f"<div>Weights (rows: queries, columns: keys)<br>{heat}</div><div>Entropy per query<br>{entropies}</div>"
            f"</div>")


def attention_playground(d_k: int = 64, temperature: float = 1.0, mask: str = "causal", scaled: bool = True,
                         seed: int = 0) -> Playground:
    """Sliders for d_k and the temperature, a "divide by sqrt(d_k)" box and a mask menu, redrawing the weights.

    Taught in: notebook 01, section 5.
    """
    view = attention_view(d_k, temperature, mask, scaled, seed)  # checks the arguments before any widget exists
    controls = {
        "d_k": widgets.IntSlider(value=view.d_k, min=1, max=MAX_D_K, description="d_k",
                                 layout=widgets.Layout(width="420px")),
        "scaled": widgets.Checkbox(value=view.scaled, description="divide by √d_k"),
        "temperature": widgets.FloatLogSlider(value=view.temperature, base=10, min=math.log10(MIN_TEMPERATURE),
                                              max=math.log10(MAX_TEMPERATURE), step=0.05, description="temperature",
                                              readout_format=".2f", layout=widgets.Layout(width="420px")),
        "mask": widgets.Dropdown(options=list(MASKS), value=view.mask, description="mask"),
    }

    def update(d_k: int, scaled: bool, temperature: float, mask: str) -> str:
        temperature = min(max(temperature, MIN_TEMPERATURE), MAX_TEMPERATURE)  # a log slider's float rounding
        return attention_html(attention_view(d_k, temperature, mask, scaled, seed))

    return Playground("Attention weights: d_k, temperature, mask", controls, update)
