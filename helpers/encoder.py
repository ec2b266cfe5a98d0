"""A Transformer encoder built from ``helpers.attention.MultiHeadAttention``.

One encoder layer (post-LN, as in BERT and the original Transformer)::

    x = LayerNorm(x + Dropout(MultiHeadAttention(x)))    # mix information across positions
    x = LayerNorm(x + Dropout(FeedForward(x)))           # transform each position on its own

The encoder is embeddings (word + position + token type, LayerNorm, dropout)
followed by a stack of such layers. ``helpers.bert_encoder`` copies a pretrained
BERT's weights into these modules and counts their parameters.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor, nn

from .attention import MultiHeadAttention, padding_mask
from .course.errors import ShapeError
from .course.validation import require_bool, require_callable, require_int, require_number, require_str, require_tensor

# Activation names as transformers' configs spell them (``config.hidden_act``).
ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "gelu": nn.GELU,  # the exact, erf-based GELU that BERT uses
    "gelu_new": lambda: nn.GELU(approximate="tanh"),
    "gelu_pytorch_tanh": lambda: nn.GELU(approximate="tanh"),
    "relu": nn.ReLU,
}
POSITION_KINDS = ("learned", "sinusoidal")


def _activation(name: str) -> nn.Module:
    """The activation module for a config's ``hidden_act`` name ('gelu', 'relu', ...)."""
    return ACTIVATIONS[name]()


@dataclass(frozen=True)
class EncoderConfig:
    """The sizes of an encoder; ``from_bert`` reads them from a transformers BertConfig.

    Taught in: notebook 02, section 5.
    """

    vocab_size: int = 30522
    d_model: int = 768  # hidden size
    num_layers: int = 12
    num_heads: int = 12
    d_ff: int = 3072  # feed-forward width, 4 * d_model in BERT
    max_positions: int = 512
    type_vocab_size: int = 2
    dropout: float = 0.1
    layer_norm_eps: float = 1e-12
    activation: str = "gelu"
    positions: str = "learned"  # or "sinusoidal"

    def __post_init__(self) -> None:
        for name in ("vocab_size", "d_model", "num_layers", "num_heads", "d_ff", "max_positions", "type_vocab_size"):
            require_int(name, getattr(self, name), minimum=1)
        require_number("dropout", self.dropout, minimum=0.0, below=1.0)
        require_number("layer_norm_eps", self.layer_norm_eps, above=0.0)
        require_str("activation", self.activation, choices=list(ACTIVATIONS))
        require_str("positions", self.positions, choices=POSITION_KINDS)
        if self.d_model % self.num_heads:
            raise ShapeError(f"d_model={self.d_model} is not divisible by num_heads={self.num_heads}: "
                             f"d_model must be a multiple of num_heads")

    @classmethod
    def from_bert(cls, config) -> "EncoderConfig":
        """The same sizes as a ``transformers.BertConfig`` (dropout, eps and activation included)."""
        return cls(vocab_size=config.vocab_size, d_model=config.hidden_size,
                   num_layers=config.num_hidden_layers, num_heads=config.num_attention_heads,
                   d_ff=config.intermediate_size, max_positions=config.max_position_embeddings,
                   type_vocab_size=config.type_vocab_size, dropout=config.hidden_dropout_prob,
                   layer_norm_eps=config.layer_norm_eps, activation=config.hidden_act)


def sinusoidal_positions(num_positions: int, d_model: int) -> Tensor:
    """Vaswani et al.'s fixed position encodings, shape (num_positions, d_model).

    PE[p, 2i] = sin(p / 10000^(2i / d_model)),  PE[p, 2i + 1] = cos(p / 10000^(2i / d_model)).
    Each pair of features is a clock turning at its own speed, fast in the first
    features and slow in the last ones.

    Taught in: notebook 02, section 5.
    """
    require_int("num_positions", num_positions, minimum=1)
    require_int("d_model", d_model, minimum=2)
    if d_model % 2:
        raise ShapeError(f"d_model must be even (sines and cosines come in pairs of features), got {d_model}")
    position = torch.arange(num_positions, dtype=torch.float32)[:, None]  # (P, 1)
    even = torch.arange(0, d_model, 2, dtype=torch.float32)  # (D/2,): the 2i
    frequency = torch.exp(-math.log(10000.0) * even / d_model)  # (D/2,): 1 / 10000^(2i/D)
    angle = position * frequency  # (P, D/2)
    encoding = torch.empty(num_positions, d_model)
    encoding[:, 0::2] = torch.sin(angle)
    encoding[:, 1::2] = torch.cos(angle)
    return encoding  # (P, D)


class FeedForward(nn.Module):
    """The same two-layer MLP applied to every position: d_model -> d_ff -> d_model.

    Taught in: notebook 02, section 4.
    """

    def __init__(self, d_model: int, d_ff: int, activation_name: str = "gelu") -> None:
        super().__init__()
        require_int("d_model", d_model, minimum=1)
        require_int("d_ff", d_ff, minimum=1)
        require_str("activation_name", activation_name, choices=list(ACTIVATIONS))
        self.up = nn.Linear(d_model, d_ff)
        self.act = _activation(activation_name)
        self.down = nn.Linear(d_ff, d_model)

    def forward(self, x: Tensor) -> Tensor:
        return self.down(self.act(self.up(x)))  # (B, T, d_model) -> (B, T, d_ff) -> (B, T, d_model)


def add_and_norm(x: Tensor, update: Tensor, norm: nn.Module) -> Tensor:
    """Post-LN residual step: LayerNorm(x + update), where update = Dropout(sublayer(x)).

    Taught in: notebook 02, section 6.
    """
    require_tensor("x", x)
    require_tensor("update", update)
    require_callable("norm", norm)  # a module such as nn.LayerNorm(d_model)
    if x.shape != update.shape:
        raise ShapeError(f"the residual x {tuple(x.shape)} and the sublayer's output update "
                         f"{tuple(update.shape)} must have the same shape, got two different ones")
    return norm(x + update)  # (B, T, D)


class EncoderLayer(nn.Module):
    """Self-attention then a feed-forward block, each wrapped in residual + LayerNorm (post-LN).

    Taught in: notebook 02, section 6.
    """

    def __init__(self, d_model: int, num_heads: int, d_ff: int, dropout: float = 0.1,
                 activation_name: str = "gelu", layer_norm_eps: float = 1e-12) -> None:
        super().__init__()
        require_number("dropout", dropout, minimum=0.0, below=1.0)
        require_number("layer_norm_eps", layer_norm_eps, above=0.0)
        self.attention = MultiHeadAttention(d_model, num_heads)
        self.attention_norm = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.feed_forward = FeedForward(d_model, d_ff, activation_name)
        self.feed_forward_norm = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout = nn.Dropout(dropout)

    @classmethod
    def from_config(cls, config: EncoderConfig) -> "EncoderLayer":
        return cls(config.d_model, config.num_heads, config.d_ff, config.dropout,
                   config.activation, config.layer_norm_eps)

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """x (B, T, D); mask a boolean (B, 1, 1, T) padding mask, True = may attend."""
        mixed, _ = self.attention(x, mask=mask)  # (B, T, D): every position looks at the others
        x = add_and_norm(x, self.dropout(mixed), self.attention_norm)
        transformed = self.feed_forward(x)  # (B, T, D): each position on its own
        return add_and_norm(x, self.dropout(transformed), self.feed_forward_norm)


def _require_config(config: EncoderConfig) -> None:
    if not isinstance(config, EncoderConfig):
        raise TypeError(f"config must be an EncoderConfig (EncoderConfig.from_bert(model.config) for a BERT), "
                        f"got {type(config).__name__}")


class Embeddings(nn.Module):
    """Token ids -> vectors: word + position + token type embeddings, then LayerNorm and dropout.

    Not taught: a building block of this module's taught helpers.
    """

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        _require_config(config)
        self.word = nn.Embedding(config.vocab_size, config.d_model)
        if config.positions == "learned":
            self.position = nn.Embedding(config.max_positions, config.d_model)
        else:  # fixed sinusoids: a buffer, not a parameter, so nothing to learn
            self.register_buffer("sinusoids", sinusoidal_positions(config.max_positions, config.d_model),
                                 persistent=False)
            self.position = None
        self.token_type = nn.Embedding(config.type_vocab_size, config.d_model)
        self.norm = nn.LayerNorm(config.d_model, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.dropout)
        self.max_positions = config.max_positions

    def positions(self, length: int) -> Tensor:
        """The position vectors of positions 0 .. length - 1, shape (length, D)."""
        if length > self.max_positions:
            raise ShapeError(f"a sequence of {length} tokens is longer than max_positions="
                             f"{self.max_positions}; a sequence must fit in max_positions: truncate it "
                             f"(tokenizer(..., truncation=True))")
        if self.position is None:
            return self.sinusoids[:length]  # (T, D)
        return self.position.weight[:length]  # (T, D)

    def forward(self, input_ids: Tensor, token_type_ids: Tensor | None = None) -> Tensor:
        require_tensor("input_ids", input_ids, 2, "(B, T)", dtype="int")
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)  # one segment
        elif require_tensor("token_type_ids", token_type_ids, 2, "(B, T)", dtype="int").shape != input_ids.shape:
            raise ShapeError(f"token_type_ids {tuple(token_type_ids.shape)} must have the shape of "
                             f"input_ids {tuple(input_ids.shape)}")
        x = self.word(input_ids) + self.token_type(token_type_ids)  # (B, T, D)
        x = x + self.positions(input_ids.shape[1])  # (T, D) broadcasts over the batch
        return self.dropout(self.norm(x))  # (B, T, D)


class Encoder(nn.Module):
    """Embeddings then ``num_layers`` encoder layers; returns the last hidden state (B, T, D).

    Not taught: a building block of helpers.bert_encoder.
    """

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        _require_config(config)
        self.config = config
        self.embeddings = Embeddings(config)
        self.layers = nn.ModuleList(EncoderLayer.from_config(config) for _ in range(config.num_layers))

    def forward(self, input_ids: Tensor, attention_mask: Tensor | None = None,
                token_type_ids: Tensor | None = None, all_hidden_states: bool = False) -> Tensor | list[Tensor]:
        """input_ids (B, T); attention_mask (B, T) with 1 = real token, 0 = padding.

        Returns the last hidden state (B, T, D), or with ``all_hidden_states`` the
        embeddings' output followed by every layer's output (num_layers + 1 tensors).
        """
        require_tensor("input_ids", input_ids, 2, "(B, T)", dtype="int")
        require_bool("all_hidden_states", all_hidden_states)
        if attention_mask is not None and require_tensor("attention_mask", attention_mask).shape != input_ids.shape:
            raise ShapeError(f"attention_mask {tuple(attention_mask.shape)} must have the shape of "
                             f"input_ids {tuple(input_ids.shape)}")
        mask = None if attention_mask is None else padding_mask(attention_mask)  # (B, 1, 1, T)
        states = [self.embeddings(input_ids, token_type_ids)]  # (B, T, D)
        for layer in self.layers:
            states.append(layer(states[-1], mask=mask))  # (B, T, D)
        return states if all_hidden_states else states[-1]
