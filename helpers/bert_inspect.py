"""Looking inside a BERT encoder: attention weights, contextual word vectors, mean pooling.

The functions take a model and tokenizer loaded the usual way
(``AutoModel.from_pretrained(cfg.models.encoder, attn_implementation="eager")``) and
return tensors with the shapes written next to them. Heads with a recognisable
pattern (attending to [CLS], to [SEP], to the previous, next or same token) are
found by measuring, for every (layer, head), how much attention lands on the
pattern's target keys, compared with what uniform attention would put there.
Many heads park most of their attention on [CLS]/[SEP] (the "attention sink"), so
the positional patterns are also scored on the attention that does not go there
(``sink_free_scores``). Notebook 03, section 5.3.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import torch

from .course.errors import ShapeError, TutorialError
from .course.validation import (require_callable, require_dataset, require_int, require_model, require_number,
                         require_sequence, require_str, require_strings, require_tensor)
from .viz import as_layers_heads


class EagerAttentionError(TutorialError, ValueError):
    """Attention weights were asked of a model whose attention kernel does not return them."""


def attention_implementation(model: Any) -> str:
    """The attention kernel a transformers model runs ("eager", "sdpa", ...).

    Taught in: notebook 03, section 3.
    """
    config = require_model("model", model).config
    return str(getattr(config, "_attn_implementation", None) or "eager")


def _eager_error(found: str) -> EagerAttentionError:
    return EagerAttentionError(
        f"The model must run eager attention to return weights, got {found!r} attention: load it with "
        f"AutoModel.from_pretrained(..., attn_implementation=\"eager\") (or call "
        f"model.set_attn_implementation(\"eager\")) and run this again.")


@torch.no_grad()
def get_attentions(model: Any, inputs: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, ...]:
    """The model's attention weights for ``inputs``: one (B, H, T, T) tensor per layer.

    transformers 5 computes attention with SDPA by default; asked for
    ``output_attentions=True`` it logs a warning and returns an empty tuple. This
    function raises ``EagerAttentionError`` instead, saying how to load the model.

    Taught in: notebook 03, section 3.
    """
    found = attention_implementation(model)
    if not isinstance(inputs, Mapping):
        raise TypeError(f"inputs must be the tokenizer's output (a dict of tensors), got {type(inputs).__name__}")
    if "input_ids" in inputs:
        require_tensor("inputs['input_ids']", inputs["input_ids"], 2, "(B, T)")
    if found != "eager":
        raise _eager_error(found)
    model.eval()
    attentions = model(**inputs, output_attentions=True).attentions
    if not attentions or any(a is None for a in attentions):
        raise _eager_error(found)
    return tuple(attentions)  # L x (B, H, T, T)


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Average of each sequence's token vectors, padding excluded: (B, T, D), (B, T) -> (B, D).

    Taught in: notebook 03, section 4.
    """
    require_tensor("hidden", hidden, shape="(B, T, D)")
    require_tensor("attention_mask", attention_mask, shape="(B, T)")
    if hidden.dim() != 3 or attention_mask.shape != hidden.shape[:2]:
        raise ShapeError(f"hidden must be (B, T, D) and attention_mask (B, T); got "
                         f"{tuple(hidden.shape)} and {tuple(attention_mask.shape)}")
    mask = attention_mask.to(hidden.dtype).unsqueeze(-1)  # (B, T, 1)
    counts = mask.sum(dim=1).clamp(min=1.0)  # (B, 1); an all-padding row gives zeros, not NaN
    return (hidden * mask).sum(dim=1) / counts  # (B, D)


def cosine_matrix(a: torch.Tensor, b: torch.Tensor | None = None) -> torch.Tensor:
    """Cosine similarity of every row of ``a`` with every row of ``b``: (N, D), (M, D) -> (N, M).

    Taught in: notebook 03, section 4.
    """
    require_tensor("a", a, shape="(N, D)")
    b = a if b is None else require_tensor("b", b, shape="(M, D)")
    if a.dim() != 2 or b.dim() != 2 or a.shape[1] != b.shape[1]:
        raise ShapeError(f"a and b must be (N, D) and (M, D) with the same D; got "
                         f"{tuple(a.shape)} and {tuple(b.shape)}")
    a_unit = torch.nn.functional.normalize(a.float(), dim=-1)  # (N, D)
    b_unit = torch.nn.functional.normalize(b.float(), dim=-1)  # (M, D)
    return a_unit @ b_unit.T  # (N, M)


def _word_positions(tokenizer: Any, text: str, word: str) -> list[int]:
    """Token positions of the first whole-word occurrence of ``word`` in ``text`` (all its pieces)."""
    encoding = tokenizer(text, return_offsets_mapping=True)
    spans, offsets = encoding.word_ids(), encoding["offset_mapping"]
    for index in sorted({w for w in spans if w is not None}):
        positions = [t for t, w in enumerate(spans) if w == index]
        start, end = offsets[positions[0]][0], offsets[positions[-1]][1]
        if text[start:end].lower() == word.lower():
            return positions
    raise ValueError(f"word must be a whole word of text; got {word!r}, which is not a whole word of {text!r}")


@torch.no_grad()
def word_vectors(model: Any, tokenizer: Any, texts: Sequence[str], word: str) -> torch.Tensor:
    """The contextual vector of ``word`` in each text, at every layer: (layers + 1, N, D).

    Row 0 is the embedding layer's output; a word split into pieces gets the mean of them.

    Taught in: notebook 03, section 4.
    """
    require_model("model", model)
    require_callable("tokenizer", tokenizer)
    texts = require_strings("texts", texts, min_length=1)
    require_str("word", word)
    model.eval()
    per_text = []
    for text in texts:
        positions = _word_positions(tokenizer, text, word)
        inputs = tokenizer(text, return_tensors="pt").to(model.device)
        hidden = model(**inputs, output_hidden_states=True).hidden_states  # (L+1) x (1, T, D)
        per_text.append(torch.stack([h[0, positions].mean(dim=0) for h in hidden]))  # (L+1, D)
    return torch.stack(per_text, dim=1).cpu()  # (L+1, N, D)


@torch.no_grad()
def sentence_embeddings(model: Any, tokenizer: Any, texts: Sequence[str],
                        max_length: int = 128) -> torch.Tensor:
    """Mean-pooled last hidden states of a batch of texts: (N, D).

    Taught in: notebook 03, section 4.
    """
    require_model("model", model)
    require_callable("tokenizer", tokenizer)
    require_strings("texts", texts, min_length=1)
    require_int("max_length", max_length, minimum=2)
    model.eval()
    inputs = tokenizer(list(texts), padding=True, truncation=True, max_length=max_length,
                       return_tensors="pt").to(model.device)
    hidden = model(**inputs).last_hidden_state  # (N, T, D)
    return mean_pool(hidden, inputs["attention_mask"]).cpu()  # (N, D)


@torch.no_grad()
def pooled_features(encoder: Any, dataset: Any, collate_fn: Any, layers: Sequence[int] | None = None,
                    batch_size: int = 64) -> dict[int, Any]:
    """{layer k: (N, D) numpy array} of mean-pooled hidden states, from one pass of ``encoder``.

    Layer 0 is the embeddings' output and layer L the last (``layers=None``: the last only), so
    one pass gives the features of every depth. ``dataset`` holds tokenized examples (a ``label``
    or ``labels`` is dropped); ``collate_fn`` pads a list of them (``DataCollatorWithPadding``).

    Taught in: notebook 05, section 4.
    """
    require_model("encoder", encoder)
    require_dataset("dataset", dataset)
    require_callable("collate_fn", collate_fn)
    require_int("batch_size", batch_size, minimum=1)
    depth = encoder.config.num_hidden_layers
    layers = [depth] if layers is None else list(require_sequence("layers", layers, min_length=1))
    for index, k in enumerate(layers):
        require_int(f"layers[{index}]", k, minimum=0, maximum=depth)  # 0 = the embeddings' output
    was_training, device = encoder.training, next(encoder.parameters()).device
    encoder.eval()
    found: dict[int, list[torch.Tensor]] = {k: [] for k in layers}
    for start in range(0, len(dataset), batch_size):
        rows = [{key: value for key, value in dataset[i].items() if key not in ("label", "labels")}
                for i in range(start, min(start + batch_size, len(dataset)))]
        batch = {key: value.to(device) for key, value in collate_fn(rows).items()}
        hidden = encoder(**batch, output_hidden_states=True).hidden_states  # (L + 1) x (B, T, D)
        for k in layers:
            found[k].append(mean_pool(hidden[k], batch["attention_mask"]).cpu())  # (B, D)
    encoder.train(was_training)
    return {k: torch.cat(parts).numpy() for k, parts in found.items()}


PATTERNS = ("to [CLS]", "to [SEP]", "previous token", "next token", "same token")


def _pattern_targets(tokens: Sequence[str], cls_token: str, sep_token: str) -> dict[str, torch.Tensor]:
    """For each pattern, a (T_q, T_k) boolean matrix: True where key k is query q's target."""
    t = len(tokens)
    is_cls = torch.tensor([tok == cls_token for tok in tokens])  # (T,)
    is_sep = torch.tensor([tok == sep_token for tok in tokens])  # (T,)
    return {
        "to [CLS]": is_cls.expand(t, t).clone(),
        "to [SEP]": is_sep.expand(t, t).clone(),
        "previous token": torch.eye(t, dtype=torch.bool).roll(-1, dims=1).tril(-1),  # key = q - 1
        "next token": torch.eye(t, dtype=torch.bool).roll(1, dims=1).triu(1),  # key = q + 1
        "same token": torch.eye(t, dtype=torch.bool),
    }


@dataclass(frozen=True)
class PatternScores:
    """Mean attention mass on each pattern's targets, per (layer, head), and uniform attention's.

    Not taught: a building block of this module's taught helpers.
    """

    scores: dict[str, torch.Tensor]  # pattern -> (L, H)
    baselines: dict[str, float]  # pattern -> what uniform attention would score


def _layers_heads(attention: Any, tokens: Sequence[str], cls_token: str, sep_token: str) -> torch.Tensor:
    """The checked (L, H, T, T) weights of one sequence of at least 2 ``tokens``."""
    require_str("cls_token", cls_token)
    require_str("sep_token", sep_token)
    weights = torch.as_tensor(as_layers_heads(attention)).float()  # (L, H, T, T)
    if weights.shape[-2:] != (len(tokens), len(tokens)):
        raise ShapeError(f"attention must end in (T, T) with T = len(tokens) = {len(tokens)}, "
                         f"got {tuple(weights.shape[-2:])}")
    return weights


def head_pattern_scores(attention: Any, tokens: Sequence[str], cls_token: str = "[CLS]",
                        sep_token: str = "[SEP]") -> PatternScores:
    """Score every head on every pattern for one sequence.

    ``attention``: the model's tuple of per-layer (1, H, T, T) tensors, or (L, H, T, T).
    A head's score is the attention mass on the pattern's target keys, averaged over
    the queries that have a target (the first token has no previous token).

    Taught in: notebook 03, section 5.
    """
    tokens = require_strings("tokens", tokens, min_length=2)
    weights = _layers_heads(attention, tokens, cls_token, sep_token)  # (L, H, T, T)
    scores, baselines = {}, {}
    for name, target in _pattern_targets(tokens, cls_token, sep_token).items():
        valid = target.any(dim=1)  # (T_q,) queries that have a target
        if not valid.any():
            raise ValueError(f"tokens must contain a target of the pattern {name!r} (e.g. {cls_token} and "
                             f"{sep_token}), got {list(tokens)}")
        mass = (weights * target).sum(dim=-1)  # (L, H, T_q)
        scores[name] = mass[..., valid].mean(dim=-1)  # (L, H)
        baselines[name] = float(target[valid].sum(dim=1).float().mean() / len(tokens))
    return PatternScores(scores, baselines)


def _average_scores(found: Sequence[PatternScores]) -> PatternScores:
    """The mean of several (at least one) sequences' pattern scores (and of their baselines)."""
    return PatternScores(
        {name: torch.stack([f.scores[name] for f in found]).mean(dim=0) for name in found[0].scores},
        {name: sum(f.baselines[name] for f in found) / len(found) for name in found[0].baselines})


@dataclass(frozen=True)
class HeadPattern:
    """One attention head's score on one pattern (previous token, next token, ...) against uniform attention.

    Not taught: a building block of this module's taught helpers.
    """
    pattern: str
    layer: int
    head: int
    score: float  # mean attention mass on the pattern's targets
    baseline: float  # the same for uniform attention
    sink: float | None = None  # mean attention mass on [CLS]/[SEP], when the score leaves it out

    def __str__(self) -> str:
        where = f"{self.pattern:>14}: layer {self.layer}, head {self.head:2d} puts {self.score:6.1%} "
        if self.sink is None:
            return where + f"of its attention there (uniform attention: {self.baseline:5.1%})"
        return where + (f"of its non-sink attention there (uniform: {self.baseline:5.1%}); "
                        f"{self.sink:5.1%} goes to the sink")


def _require_scores(found: Any) -> None:
    if not isinstance(found, PatternScores):
        raise TypeError(f"found must be PatternScores (from head_pattern_scores), got {type(found).__name__}")


def top_heads(found: PatternScores) -> list[HeadPattern]:
    """The best-scoring (layer, head) for each pattern.

    Taught in: notebook 03, section 5.
    """
    _require_scores(found)
    best = []
    for name, table in found.scores.items():  # table: (L, H)
        layer, head = divmod(int(table.argmax()), table.shape[1])
        best.append(HeadPattern(name, layer, head, float(table[layer, head]), found.baselines[name]))
    return best


def _attentions_of_texts(model: Any, tokenizer: Any, texts: Sequence[str]) -> list[tuple[tuple, list[str]]]:
    require_model("model", model)
    require_callable("tokenizer", tokenizer)
    require_strings("texts", texts, min_length=1)
    found = []
    for text in texts:  # each on its own, without padding
        inputs = tokenizer(text, return_tensors="pt").to(model.device)
        found.append((get_attentions(model, inputs), tokenizer.convert_ids_to_tokens(inputs["input_ids"][0])))
    return found  # [(L x (1, H, T, T), tokens), ...]


def pattern_scores_for_texts(model: Any, tokenizer: Any, texts: Sequence[str]) -> PatternScores:
    """Pattern scores averaged over ``texts`` (each run on its own, without padding).

    Taught in: notebook 03, section 5.
    """
    return _average_scores([head_pattern_scores(attention, tokens, tokenizer.cls_token, tokenizer.sep_token)
                           for attention, tokens in _attentions_of_texts(model, tokenizer, texts)])


# --- positional patterns without the attention sink ---------------------------------------------

POSITIONAL = ("previous token", "next token", "same token")


@dataclass(frozen=True)
class SinkFreeScores:
    """Positional pattern scores on the attention that does not go to [CLS]/[SEP], per (layer, head).

    Not taught: a building block of this module's taught helpers.
    """

    scores: dict[str, torch.Tensor]  # pattern -> (L, H): mean share of the non-sink attention on the target
    baselines: dict[str, float]  # pattern -> what uniform attention over the real tokens would score
    sink: torch.Tensor  # (L, H): mean attention mass of the real-token queries on [CLS] and [SEP]


def sink_free_scores(attention: Any, tokens: Sequence[str], cls_token: str = "[CLS]",
                     sep_token: str = "[SEP]") -> SinkFreeScores:
    """Score every head on the positional patterns after taking the [CLS]/[SEP] sink out.

    For each query that is a real token (not [CLS]/[SEP]): its sink mass is the attention it
    gives [CLS] and [SEP]; the rest, on real tokens, is renormalised to sum to 1, and the head's
    score is the mean share of it on the target (a real token: previous, next or the same).
    A query that gives the sink everything scores 0. Notebook 03, section 5.3.

    Taught in: notebook 03, section 5.
    """
    tokens = require_strings("tokens", tokens, min_length=2)
    weights = _layers_heads(attention, tokens, cls_token, sep_token)  # (L, H, T, T)
    special = torch.tensor([tok in (cls_token, sep_token) for tok in tokens])  # (T,)
    n_real = int((~special).sum())
    if not (~special[:-1] & ~special[1:]).any():  # else no query has a previous or next real token
        raise ValueError(f"tokens must hold two neighbouring tokens besides {cls_token} and {sep_token}, "
                         f"got {list(tokens)}")
    real = ~special[:, None] & ~special[None, :]  # (T_q, T_k): a real query and a real key
    non_sink = (weights * real).sum(dim=-1).clamp_min(1e-12)  # (L, H, T_q): 1 - sink mass, for real queries
    targets = _pattern_targets(tokens, cls_token, sep_token)
    scores = {}
    for name in POSITIONAL:
        target = targets[name] & real  # (T_q, T_k)
        share = (weights * target).sum(dim=-1) / non_sink  # (L, H, T_q): renormalised mass on the target
        scores[name] = share[..., target.any(dim=1)].mean(dim=-1)  # (L, H), over queries with a target
    sink = weights[..., ~special, :][..., special].sum(dim=-1).mean(dim=-1)  # (L, H)
    return SinkFreeScores(scores, {name: 1 / n_real for name in POSITIONAL}, sink)


def sink_free_scores_for_texts(model: Any, tokenizer: Any, texts: Sequence[str]) -> SinkFreeScores:
    """``sink_free_scores`` averaged over ``texts`` (each run on its own, without padding).

    Taught in: notebook 03, section 5.
    """
    found = [sink_free_scores(attention, tokens, tokenizer.cls_token, tokenizer.sep_token)
             for attention, tokens in _attentions_of_texts(model, tokenizer, texts)]
    return SinkFreeScores({name: torch.stack([f.scores[name] for f in found]).mean(dim=0) for name in POSITIONAL},
                          {name: sum(f.baselines[name] for f in found) / len(found) for name in POSITIONAL},
                          torch.stack([f.sink for f in found]).mean(dim=0))


def sink_free_heads(found: SinkFreeScores, max_sink: float = 0.5) -> list[HeadPattern]:
    """The best head for each positional pattern among the heads whose sink mass is below ``max_sink``.

    A head that gives [CLS]/[SEP] most of its attention is mostly a sink head, whatever it does with
    the rest: its renormalised score would magnify a small remainder.

    Taught in: notebook 03, section 5.
    """
    if not isinstance(found, SinkFreeScores):
        raise TypeError(f"found must be SinkFreeScores (from sink_free_scores), got {type(found).__name__}")
    require_number("max_sink", max_sink, above=0.0, maximum=1.0)
    eligible = found.sink < max_sink  # (L, H)
    if not eligible.any():
        raise ValueError(f"max_sink must leave at least one head, got {max_sink} while every head gives the sink "
                         f"at least {float(found.sink.min()):.3f}")
    best = []
    for name in POSITIONAL:
        table = found.scores[name].masked_fill(~eligible, -1.0)  # (L, H): ineligible heads never win
        layer, head = divmod(int(table.argmax()), table.shape[1])
        best.append(HeadPattern(name, layer, head, float(found.scores[name][layer, head]), found.baselines[name],
                                float(found.sink[layer, head])))
    return best
