"""Tiny randomly initialised BERTs for the unit tests: seconds to build, same code paths as the real ones.

    tiny_bert()                                          # a 1-layer classifier, hidden size 16
    tiny_bert(BertForQuestionAnswering, layers=2, hidden_size=32, heads=4, vocab_size=20, seed=3)

The feed-forward is twice the hidden size; ``torch.manual_seed(seed)`` runs first, so the
same arguments give the same weights.
"""
from __future__ import annotations

import torch
from transformers import BertConfig, BertForSequenceClassification, PreTrainedModel


def tiny_bert(model_class: type[PreTrainedModel] = BertForSequenceClassification, *, seed: int = 0,
              vocab_size: int = 30, hidden_size: int = 16, layers: int = 1, heads: int = 2,
              positions: int = 16, eager: bool = False, model_kwargs: dict | None = None,
              **config) -> PreTrainedModel:
    """A ``model_class`` built from a tiny ``BertConfig``; extra keywords go to the config (e.g. num_labels=3),
    ``model_kwargs`` to the model (e.g. ``{"add_pooling_layer": False}``)."""
    torch.manual_seed(seed)
    if eager:
        config["attn_implementation"] = "eager"  # keeps attention weights (and counts FLOPs op by op)
    return model_class(BertConfig(vocab_size=vocab_size, hidden_size=hidden_size, num_hidden_layers=layers,
                                  num_attention_heads=heads, intermediate_size=2 * hidden_size,
                                  max_position_embeddings=positions, **config), **(model_kwargs or {}))
