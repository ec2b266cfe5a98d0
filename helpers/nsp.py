"""Next-sentence prediction (NSP): BERT's second pre-training task, and the shortcut that solves most of it.

BERT (Devlin et al., 2019) trained its masked LM together with a yes/no question: is
segment B the text that follows segment A (IsNext), or a segment from another document
(NotNext)? Each pair is ``[CLS] A [SEP] B [SEP]``, with segment ids (``token_type_ids``)
0 for ``[CLS] A [SEP]`` and 1 for ``B [SEP]``; a small head on the ``[CLS]`` vector answers.

* ``document_sentences``: the sentences of Brown documents, in order (one per line of the file).
* ``make_pairs``: IsNext 50% / NotNext 50%, the second sentence of a NotNext pair drawn from another document.
* ``encode_pair``: ``[CLS] A [SEP] B [SEP]`` and its segment ids, the longer segment truncated first.
* ``encode_pairs``, ``nsp_batches``, ``held_out_batches``: padded tensors and ``pretraining.Batch``-es.
* ``NextSentenceClassifier``, ``nsp_loss``, ``nsp_accuracy``: BERT's NSP head on an encoder.
* ``overlap_scores``, ``fit_threshold``: a bag-of-words baseline that only sees shared words (topic).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .course.validation import (require_int, require_module, require_sequence, require_str, require_strings,
                                require_tensor)
from .pretraining import Batch

IS_NEXT, NOT_NEXT = 0, 1  # the labels of transformers' BertForPreTraining (next_sentence_label)


@dataclass(frozen=True)
class SentencePair:
    """Two sentences and whether the second one follows the first in the same document.

    Taught in: notebook 04, section 9.
    """
    first: str
    second: str
    label: int  # IS_NEXT (0) or NOT_NEXT (1)


def document_sentences(names: Sequence[str], folder: Path | str | None = None) -> list[list[str]]:
    """The sentences of each named Brown document (``corpus.Document.name``), in order.

    The Brown files hold one sentence per line; ``corpus.Document.text`` joins them, so this
    reads them again, tags removed exactly as ``corpus.read_brown_file`` does.

    Taught in: notebook 04, section 9.
    """
    from .data import corpus

    names = require_strings("names", names, min_length=1)
    if folder is None:
        from .course import assets

        folder = assets.path("brown")
    documents = []
    for name in names:
        path = Path(folder) / name
        if not path.is_file():
            raise FileNotFoundError(f"names must be Brown file names such as 'ca01', got {name!r} (no {path})")
        lines = path.read_text(encoding="latin-1").splitlines()
        documents.append([s for s in (corpus._detokenize(corpus._strip_tags(line)) for line in lines) if s])
    return documents


def make_pairs(documents: Sequence[Sequence[str]], seed: int = 0) -> list[SentencePair]:
    """One pair per sentence that has a successor: IsNext or NotNext with probability 1/2 each.

    IsNext: (sentence i, sentence i + 1) of the same document. NotNext: (sentence i, a random
    sentence of another, randomly chosen document), as in BERT. The draws come from a generator
    seeded with ``seed``, so the same documents and seed give the same pairs.

    Taught in: notebook 04, section 9.
    """
    require_sequence("documents", documents, min_length=2)  # NotNext needs another document
    for d in documents:
        require_strings("each document", d, min_length=1)  # a NotNext pair may borrow from any of them
    require_int("seed", seed, minimum=0)
    g = torch.Generator().manual_seed(seed)
    pairs = []
    for d, sentences in enumerate(documents):
        for i in range(len(sentences) - 1):
            if torch.rand((), generator=g) < 0.5:
                pairs.append(SentencePair(sentences[i], sentences[i + 1], IS_NEXT))
                continue
            other = int(torch.randint(len(documents) - 1, (), generator=g))
            other += other >= d  # any document but this one
            pick = int(torch.randint(len(documents[other]), (), generator=g))
            pairs.append(SentencePair(sentences[i], documents[other][pick], NOT_NEXT))
    return pairs


def encode_pair(first: Sequence[int], second: Sequence[int], cls_id: int, sep_id: int,
                max_length: int) -> tuple[list[int], list[int]]:
    """(input_ids, token_type_ids) of ``[CLS] first [SEP] second [SEP]``, at most ``max_length`` long.

    Segment id 0 for ``[CLS] first [SEP]``, 1 for ``second [SEP]``. Too long a pair loses tokens
    from the end of the longer segment first (transformers' ``truncation="longest_first"``).

    Taught in: notebook 04, section 9.
    """
    for name, ids in (("first", first), ("second", second)):
        require_sequence(name, ids)
    require_int("cls_id", cls_id, minimum=0)
    require_int("sep_id", sep_id, minimum=0)
    require_int("max_length", max_length, minimum=5)  # [CLS] a [SEP] b [SEP]: one token of each at least
    first, second = list(first), list(second)
    while len(first) + len(second) > max_length - 3:  # room for [CLS] and two [SEP]
        if len(first) > len(second):
            first.pop()
        else:
            second.pop()
    input_ids = [cls_id, *first, sep_id, *second, sep_id]
    token_type_ids = [0] * (len(first) + 2) + [1] * (len(second) + 1)
    return input_ids, token_type_ids


def encode_pairs(pairs: Sequence[SentencePair], tokenizer, max_length: int) -> dict[str, Tensor]:
    """Every pair encoded with ``encode_pair`` and padded: input_ids, token_type_ids, attention_mask (N, T), labels (N,).

    Taught in: notebook 04, section 9.
    """
    require_sequence("pairs", pairs, min_length=1)
    if not all(isinstance(p, SentencePair) for p in pairs):
        raise TypeError(f"pairs must hold nsp.SentencePair items (make_pairs builds them), got {type(pairs[0]).__name__}")
    require_int("max_length", max_length, minimum=5)
    firsts = tokenizer([p.first for p in pairs], add_special_tokens=False)["input_ids"]
    seconds = tokenizer([p.second for p in pairs], add_special_tokens=False)["input_ids"]
    encoded = [encode_pair(a, b, tokenizer.cls_token_id, tokenizer.sep_token_id, max_length)
               for a, b in zip(firsts, seconds)]
    T = max(len(ids) for ids, _ in encoded)
    input_ids = torch.full((len(pairs), T), tokenizer.pad_token_id)  # (N, T)
    token_type_ids = torch.zeros(len(pairs), T, dtype=torch.long)  # (N, T)
    attention_mask = torch.zeros(len(pairs), T, dtype=torch.long)  # (N, T): 1 on real tokens
    for row, (ids, types) in enumerate(encoded):
        input_ids[row, :len(ids)] = torch.tensor(ids)
        token_type_ids[row, :len(ids)] = torch.tensor(types)
        attention_mask[row, :len(ids)] = 1
    return dict(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask,
                labels=torch.tensor([p.label for p in pairs]))


def _check_encoded(encoded: dict[str, Tensor]) -> int:
    if not isinstance(encoded, dict) or not {"input_ids", "token_type_ids", "attention_mask", "labels"} <= set(encoded):
        raise TypeError(f"encoded must be the dict encode_pairs returns, got {type(encoded).__name__}")
    return len(require_tensor("encoded['labels']", encoded["labels"], 1, "(N,)", dtype="int"))


def _batch(encoded: dict[str, Tensor], rows: Tensor) -> Batch:
    inputs = {key: value[rows] for key, value in encoded.items()}
    return Batch(inputs, tokens=int(inputs["attention_mask"].sum()), targets=len(rows))


def nsp_batches(encoded: dict[str, Tensor], batch_size: int, seed: int = 0) -> Iterator[Batch]:
    """Endless shuffled epochs of ``batch_size`` pairs from ``encode_pairs``' tensors.

    Taught in: notebook 04, section 9.
    """
    n = _check_encoded(encoded)
    require_int("batch_size", batch_size, minimum=1, maximum=n)
    require_int("seed", seed, minimum=0)
    g = torch.Generator().manual_seed(seed)

    def stream() -> Iterator[Batch]:
        while True:
            order = torch.randperm(n, generator=g)
            for start in range(0, n - batch_size + 1, batch_size):
                yield _batch(encoded, order[start:start + batch_size])
    return stream()


def held_out_batches(encoded: dict[str, Tensor], batch_size: int = 256) -> list[Batch]:
    """Every pair once, in order, in batches of at most ``batch_size``.

    Taught in: notebook 04, section 9.
    """
    n = _check_encoded(encoded)
    require_int("batch_size", batch_size, minimum=1)
    return [_batch(encoded, torch.arange(start, min(start + batch_size, n))) for start in range(0, n, batch_size)]


POOLINGS = ("cls", "segments")


class NextSentenceClassifier(nn.Module):
    """An encoder with a two-way IsNext / NotNext head.

    ``pooling="cls"``: BERT's head, the pooler (dense + tanh) on the ``[CLS]`` vector, then 2 logits.
    ``pooling="segments"``: the mean vector of each segment's tokens, ``a`` and ``b``, and the head
    reads ``[a, b, a * b]`` (the product says directly how alike the two segments are).
    ``encoder`` is a transformers encoder (``BertModel``, ``RoFormerModel``) whose output has
    ``last_hidden_state`` (B, T, H); its config's ``type_vocab_size`` must be 2 for the segment ids.

    Taught in: notebook 04, section 9.
    """

    def __init__(self, encoder: nn.Module, pooling: str = "cls") -> None:
        super().__init__()
        require_module("encoder", encoder)
        config = getattr(encoder, "config", None)
        if getattr(config, "type_vocab_size", 0) < 2:
            raise ValueError(f"encoder must be a transformers encoder with two segment embeddings "
                             f"(config.type_vocab_size = 2), got {type(encoder).__name__}")
        self.pooling = require_str("pooling", pooling, choices=POOLINGS)
        hidden = config.hidden_size
        width = hidden if pooling == "cls" else 3 * hidden
        self.encoder = encoder
        self.pooler = nn.Sequential(nn.Linear(width, hidden), nn.Tanh())  # BERT's pooler (cls)
        self.head = nn.Linear(hidden, 2)  # BERT's seq_relationship: IsNext / NotNext

    def forward(self, input_ids: Tensor, token_type_ids: Tensor, attention_mask: Tensor) -> Tensor:
        hidden = self.encoder(input_ids=input_ids, token_type_ids=token_type_ids,
                              attention_mask=attention_mask).last_hidden_state  # (B, T, H)
        if self.pooling == "cls":
            return self.head(self.pooler(hidden[:, 0]))  # (B, 2): from the [CLS] position
        real = attention_mask.bool()
        a, b = (_mean(hidden, real & (token_type_ids == segment)) for segment in (0, 1))  # (B, H) each
        return self.head(self.pooler(torch.cat([a, b, a * b], dim=-1)))  # (B, 2)


def _mean(hidden: Tensor, where: Tensor) -> Tensor:
    """(B, H) mean of hidden (B, T, H) over the positions where ``where`` (B, T) is True."""
    weights = where.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)


def nsp_loss(model: nn.Module, inputs: dict[str, Tensor]) -> Tensor:
    """Cross-entropy of the IsNext / NotNext logits: the ``loss_fn`` ``pretraining.pretrain`` takes.

    Taught in: notebook 04, section 9.
    """
    require_module("model", model)
    _check_encoded(inputs)
    logits = model(inputs["input_ids"], inputs["token_type_ids"], inputs["attention_mask"])  # (B, 2)
    return F.cross_entropy(logits, inputs["labels"])


@torch.no_grad()
def nsp_accuracy(model: nn.Module, batches: Sequence[Batch]) -> float:
    """Share of the pairs whose more likely class (IsNext or NotNext) is the right one.

    Taught in: notebook 04, section 9.
    """
    require_module("model", model)
    require_sequence("batches", batches, min_length=1)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        hits = sum(int((model(*(b.inputs[k].to(device) for k in ("input_ids", "token_type_ids", "attention_mask")))
                        .argmax(-1).cpu() == b.inputs["labels"]).sum()) for b in batches)
    finally:
        model.train(was_training)
    return hits / sum(len(b.inputs["labels"]) for b in batches)


def overlap_scores(encoded: dict[str, Tensor], weights: Tensor) -> Tensor:
    """(N,) how much the two segments of each pair share words, ignoring word order entirely.

    Each segment is a *set* of token ids; a token weighs ``weights[id]`` (say its surprisal,
    -log p, so that rare words count more than "the"). The score is the cosine of the two
    weighted sets: sum of weight^2 over the shared tokens / sqrt(the same sum over each set).

    Taught in: notebook 04, section 9.
    """
    _check_encoded(encoded)
    require_tensor("weights", weights, 1, "(V,)", dtype="float")
    ids, types, real = encoded["input_ids"], encoded["token_type_ids"], encoded["attention_mask"].bool()  # (N, T)
    V = len(weights)
    if int(ids.max()) >= V:
        raise ValueError(f"weights must have one entry per token id, got {V} for ids up to {int(ids.max())}")
    scores = []
    for start in range(0, len(ids), 512):  # 512 pairs at a time: (512, V) bags
        rows = slice(start, start + 512)
        sets = []
        for segment in (0, 1):
            bag = torch.zeros(len(ids[rows]), V).scatter_add_(1, ids[rows], (real[rows] & (types[rows] == segment)).float())
            sets.append((bag > 0).float() * weights)  # (n, V): the weight of each token present, 0 elsewhere
        dot = (sets[0] * sets[1]).sum(1)  # (n,)
        scores.append(dot / (sets[0].norm(dim=1) * sets[1].norm(dim=1)).clamp(min=1e-12))
    return torch.cat(scores)


def fit_threshold(scores: Tensor, labels: Tensor) -> float:
    """The threshold t for "IsNext if score > t" with the best accuracy on (scores, labels) (N,).

    Taught in: notebook 04, section 9.
    """
    require_tensor("scores", scores, 1, "(N,)", dtype="float")
    require_tensor("labels", labels, 1, "(N,)", dtype="int")
    if len(scores) != len(labels) or not len(scores):
        raise ValueError(f"scores and labels must have the same, non-zero length, got {len(scores)} and {len(labels)}")
    candidates = torch.cat([scores.unique(), scores.min().reshape(1) - 1])  # (K,): every distinct cut
    accuracy = ((scores[None, :] > candidates[:, None]) == (labels[None, :] == IS_NEXT)).float().mean(1)  # (K,)
    return float(candidates[accuracy.argmax()])
