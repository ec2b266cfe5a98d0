"""A pretrained BERT's weights in the from-scratch encoder, and where its parameters live.

``from_bert_layer`` and ``encoder_from_bert`` copy a transformers ``BertModel``'s
weights into ``helpers.encoder``'s modules (the proof that those modules are the
real thing). ``count_by_component`` counts a model's parameters per component and
``bert_parameter_formula`` predicts the same numbers from a config alone.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .course.assets import PREPARE_COMMAND
from .encoder import ACTIVATIONS, Encoder, EncoderConfig, EncoderLayer
from .course.errors import ArchitectureError, AssetError, ShapeError
from .course.validation import require_bool, require_module


# Where each of our sub-modules finds its weights in transformers' BertLayer / BertEmbeddings.
LAYER_MAP: dict[str, str] = {
    "attention.q_proj": "attention.self.query",
    "attention.k_proj": "attention.self.key",
    "attention.v_proj": "attention.self.value",
    "attention.out_proj": "attention.output.dense",
    "attention_norm": "attention.output.LayerNorm",
    "feed_forward.up": "intermediate.dense",
    "feed_forward.down": "output.dense",
    "feed_forward_norm": "output.LayerNorm",
}
EMBEDDINGS_MAP: dict[str, str] = {
    "word": "word_embeddings",
    "position": "position_embeddings",
    "token_type": "token_type_embeddings",
    "norm": "LayerNorm",
}

# Components, and the parameter names (ours and transformers') that belong to each.
COMPONENTS: dict[str, str] = {
    "word embeddings": r"embeddings\.(word|word_embeddings)\.",
    "position embeddings": r"embeddings\.(position|position_embeddings)\.",
    "token type embeddings": r"embeddings\.(token_type|token_type_embeddings)\.",
    "embedding LayerNorm": r"embeddings\.(norm|LayerNorm)\.",
    "self-attention (Q, K, V, output)": r"layers?\.\d+\.attention\.(q_proj|k_proj|v_proj|out_proj|self|output\.dense)\.",
    "attention LayerNorm": r"layers?\.\d+\.(attention_norm|attention\.output\.LayerNorm)\.",
    "feed-forward": r"layers?\.\d+\.(feed_forward\.|intermediate\.|output\.dense\.)",
    "feed-forward LayerNorm": r"layers?\.\d+\.(feed_forward_norm|output\.LayerNorm)\.",
    "pooler": r"pooler\.",
}


def _bert_config(config: Any) -> EncoderConfig:
    if isinstance(config, EncoderConfig):
        return config
    if not hasattr(config, "to_dict") or not hasattr(config, "hidden_size"):
        raise TypeError(f"config must be a transformers BertConfig (model.config) or an EncoderConfig, "
                        f"got {type(config).__name__}")
    model_type = getattr(config, "model_type", type(config).__name__)
    if model_type != "bert":
        raise ArchitectureError(f"expected a BERT config (model_type 'bert'), got {model_type!r}; "
                                f"these helpers copy BERT-architecture encoders such as cfg.models.encoder only.")
    if getattr(config, "is_decoder", False):
        raise ArchitectureError("this BERT is configured as a decoder (is_decoder=True); "
                                "load it as an encoder, e.g. AutoModel.from_pretrained(cfg.models.encoder).")
    if getattr(config, "position_embedding_type", "absolute") != "absolute":
        raise ArchitectureError(f"position_embedding_type={config.position_embedding_type!r} is not "
                                f"supported; only BERT's learned absolute positions are.")
    if config.hidden_act not in ACTIVATIONS:
        raise ArchitectureError(f"hidden_act={config.hidden_act!r} is not supported; "
                                f"use a model whose activation is one of {', '.join(ACTIVATIONS)}.")
    return EncoderConfig.from_bert(config)


def _copy(ours: nn.Module, theirs: nn.Module, mapping: dict[str, str], what: str) -> None:
    """Copy every mapped parameter, checking that the source has it with the same shape."""
    for our_name, their_name in mapping.items():
        try:
            source = theirs.get_submodule(their_name)
        except AttributeError:
            raise ArchitectureError(f"{what} is a {type(theirs).__name__} without '{their_name}', not a "
                                    f"BERT module; pass a BertModel (or model.encoder.layer[i]).") from None
        target = ours.get_submodule(our_name)
        for param_name, param in target.named_parameters():
            source_param = getattr(source, param_name, None)
            if source_param is None or source_param.shape != param.shape:
                got = None if source_param is None else tuple(source_param.shape)
                raise ShapeError(f"{what}.{their_name}.{param_name} must have shape {tuple(param.shape)} as the "
                                 f"config asks, got {got}: pass the config of the model the layer comes from.")
            with torch.no_grad():
                param.copy_(source_param)


def _place_like(module: nn.Module, reference: nn.Module) -> nn.Module:
    first = next(reference.parameters())
    module.to(device=first.device, dtype=first.dtype)
    return module.train(reference.training)


def from_bert_layer(hf_layer: nn.Module, config: Any) -> EncoderLayer:
    """An ``EncoderLayer`` with the weights of a transformers ``BertLayer`` (``model.encoder.layer[i]``).

    ``config`` is the model's ``BertConfig`` (``model.config``): it gives the sizes,
    the activation (``hidden_act``) and LayerNorm's epsilon (``layer_norm_eps``).

    Taught in: notebook 02, section 7.
    """
    if not isinstance(hf_layer, nn.Module):
        raise TypeError(f"hf_layer must be a torch module (model.encoder.layer[i]), got {type(hf_layer).__name__}")
    ours = EncoderLayer.from_config(_bert_config(config))
    _copy(ours, hf_layer, LAYER_MAP, "hf_layer")
    return _place_like(ours, hf_layer)


def _load(name_or_path: str) -> nn.Module:
    from transformers import AutoModel

    looks_local = name_or_path.startswith((".", "/", "~")) or Path(name_or_path).exists()
    folder = Path(name_or_path).expanduser()
    if looks_local and not (folder / "config.json").is_file():
        raise AssetError(f"hf_model must be a model folder with a config.json, got {name_or_path!r}: pass "
                         f"cfg.models.encoder, and if the offline asset is missing run `{PREPARE_COMMAND} encoder`.")
    return AutoModel.from_pretrained(name_or_path, attn_implementation="eager").eval()


def encoder_from_bert(hf_model: nn.Module | str) -> Encoder:
    """The from-scratch ``Encoder`` with all the weights of a BERT model (embeddings and every layer).

    ``hf_model`` is a loaded ``BertModel`` (a task model such as ``BertForSequenceClassification``
    works too: its encoder is used) or the path/hub id to load one from.

    Taught in: notebook 02, section 7.
    """
    if isinstance(hf_model, (str, Path)):
        hf_model = _load(str(hf_model))
    if not isinstance(hf_model, nn.Module) or not hasattr(hf_model, "config"):
        raise TypeError(f"hf_model must be a transformers model or a path, got {type(hf_model).__name__}")
    config = _bert_config(hf_model.config)
    bert = getattr(hf_model, "base_model", hf_model)
    ours = Encoder(config)
    _copy(ours.embeddings, bert.embeddings, EMBEDDINGS_MAP, "hf_model.embeddings")
    for index, (layer, hf_layer) in enumerate(zip(ours.layers, bert.encoder.layer, strict=True)):
        _copy(layer, hf_layer, LAYER_MAP, f"hf_model.encoder.layer[{index}]")
    return _place_like(ours, hf_model)


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    """The number of parameters (scalars) in a module.

    Taught in: notebook 02, section 6.
    """
    require_module("module", module)
    require_bool("trainable_only", trainable_only)
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def count_by_component(model: nn.Module) -> dict[str, int]:
    """Parameters per component (the keys of ``COMPONENTS``), summed over layers.

    Works for the from-scratch ``Encoder`` and for transformers' ``BertModel``; every
    parameter must fall in exactly one component, so nothing is silently left out.

    Taught in: notebook 02, section 8.
    """
    require_module("model", model)
    counts = dict.fromkeys(COMPONENTS, 0)
    for name, param in model.named_parameters():
        found = [c for c, pattern in COMPONENTS.items() if re.search(rf"(^|\.){pattern}", name)]
        if len(found) != 1:
            raise ArchitectureError(f"model must be a BERT-style encoder whose every parameter belongs to one "
                                    f"component; got parameter {name!r}, which matches {len(found)} {found}.")
        counts[found[0]] += param.numel()
    return counts


def bert_parameter_formula(config: Any, pooler: bool = True) -> dict[str, int]:
    """Parameters per component predicted from a config (BertConfig or EncoderConfig).

    With V vocabulary, P positions, S segment types, D hidden, F feed-forward width, L layers:
    embeddings V*D + P*D + S*D + 2D; per layer 4(D^2 + D) attention, (D*F + F) + (F*D + D)
    feed-forward and 2D for each of the two LayerNorms; the pooler D^2 + D.

    Taught in: notebook 02, section 8.
    """
    c = _bert_config(config)
    require_bool("pooler", pooler)
    d, f, layers = c.d_model, c.d_ff, c.num_layers
    positions = c.max_positions * d if c.positions == "learned" else 0  # sinusoids are not learned
    return {
        "word embeddings": c.vocab_size * d,
        "position embeddings": positions,
        "token type embeddings": c.type_vocab_size * d,
        "embedding LayerNorm": 2 * d,  # gain and bias
        "self-attention (Q, K, V, output)": layers * 4 * (d * d + d),
        "attention LayerNorm": layers * 2 * d,
        "feed-forward": layers * (d * f + f + f * d + d),
        "feed-forward LayerNorm": layers * 2 * d,
        "pooler": d * d + d if pooler else 0,
    }
