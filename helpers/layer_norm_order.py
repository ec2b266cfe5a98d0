"""Where the LayerNorm goes: post-LN (the original Transformer, BERT) against pre-LN (GPT-2, most modern models).

    post-LN:  x = LayerNorm(x + Sublayer(x))      (helpers.encoder.add_and_norm)
    pre-LN:   x = x + Sublayer(LayerNorm(x))      (norm_and_add), and one final LayerNorm after the stack

Xiong et al. (2020, "On Layer Normalization in the Transformer Architecture") show that at
initialisation the gradient of the last layers' weights does not shrink with depth in post-LN,
while in pre-LN it shrinks like 1 / sqrt(L). ``layer_gradient_norms`` measures it.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .course.validation import require_callable, require_int, require_module, require_str, require_tensor
from .encoder import EncoderLayer, add_and_norm

ORDERS = ("post-LN", "pre-LN")


def norm_and_add(x: Tensor, sublayer: Callable[[Tensor], Tensor], norm: nn.Module) -> Tensor:
    """The pre-LN residual step: x + sublayer(LayerNorm(x)); the sum itself is never normalised.

    Taught in: notebook 02, section 10.
    """
    require_tensor("x", x, shape="(B, T, D)", dtype="float")
    require_callable("sublayer", sublayer)
    require_module("norm", norm)
    return x + sublayer(norm(x))  # (B, T, D): the raw residual stream runs through untouched


class PreLNEncoderLayer(EncoderLayer):
    """EncoderLayer's modules in the pre-LN order: each sublayer reads a normalised copy of x.

    Taught in: notebook 02, section 10.
    """

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        """x (B, T, D); mask a boolean (B, 1, 1, T) padding mask, True = may attend."""
        x = norm_and_add(x, lambda h: self.dropout(self.attention(h, mask=mask)[0]), self.attention_norm)
        return norm_and_add(x, lambda h: self.dropout(self.feed_forward(h)), self.feed_forward_norm)


def layer_stack(order: str, num_layers: int, d_model: int = 64, num_heads: int = 4) -> nn.Sequential:
    """``num_layers`` layers in the given order, Xavier-initialised (biases 0) as in Xiong et al., no dropout;
    a pre-LN stack ends with its final LayerNorm (post-LN's last sublayer already normalises).

    Taught in: notebook 02, section 10.
    """
    require_str("order", order, choices=ORDERS)
    require_int("num_layers", num_layers, minimum=1)
    require_int("d_model", d_model, minimum=1)
    require_int("num_heads", num_heads, minimum=1)
    kind = EncoderLayer if order == "post-LN" else PreLNEncoderLayer
    layers = [kind(d_model, num_heads, 4 * d_model, dropout=0.0, layer_norm_eps=1e-5) for _ in range(num_layers)]
    stack = nn.Sequential(*layers, nn.LayerNorm(d_model) if order == "pre-LN" else nn.Identity())
    for module in stack.modules():
        if isinstance(module, nn.Linear):
            nn.init.xavier_normal_(module.weight)
            nn.init.zeros_(module.bias)
    return stack


def layer_gradient_norms(order: str, num_layers: int, seed: int = 0, d_model: int = 64, num_heads: int = 4,
                         batch: int = 8, seq_len: int = 16, num_classes: int = 32) -> list[float]:
    """At initialisation: the norm of the loss's gradient w.r.t. each layer's weight matrices, bottom first.

    The loss is a cross-entropy of a linear read-out against random labels, on random inputs: a
    stand-in for a language model's loss at its first step. Everything is drawn from ``seed``.

    Taught in: notebook 02, section 10.
    """
    require_str("order", order, choices=ORDERS)
    for name, value in {"num_layers": num_layers, "d_model": d_model, "num_heads": num_heads, "batch": batch,
                        "seq_len": seq_len, "num_classes": num_classes}.items():
        require_int(name, value, minimum=1)
    require_int("seed", seed, minimum=0)
    with torch.random.fork_rng(devices=[]):  # leave the notebook's random state alone
        torch.manual_seed(seed)
        stack = layer_stack(order, num_layers, d_model, num_heads)
        readout = nn.Linear(d_model, num_classes)
        x = torch.randn(batch, seq_len, d_model)  # (B, T, D)
        labels = torch.randint(num_classes, (batch, seq_len))  # (B, T)
    logits = readout(stack(x))  # (B, T, num_classes)
    F.cross_entropy(logits.flatten(0, 1), labels.flatten()).backward()
    norms = []
    for layer in list(stack)[:num_layers]:
        grads = [p.grad.flatten() for p in layer.parameters() if p.dim() == 2]  # the weight matrices
        norms.append(torch.cat(grads).norm().item())
    return norms


__all__ = ["ORDERS", "PreLNEncoderLayer", "add_and_norm", "layer_gradient_norms", "layer_stack", "norm_and_add"]
