"""Data augmentation for text classification: token dropout.

    from helpers.augment import token_dropout, augment_with_token_dropout
    token_dropout([101, 7, 8, 9, 102], p=0.2, seed=0, keep_ids={101, 102})  # e.g. [101, 7, 9, 102]
    bigger = augment_with_token_dropout(tokenized_train, p=0.15, copies=1, keep_ids=set(tokenizer.all_special_ids))

Each copy of an example loses every token (but the special ones) with probability ``p``:
the label stays, the wording changes a little, so the model cannot lean on any single
token. It is the text analogue of cropping an image.
"""
from __future__ import annotations

from typing import Any, Collection, Sequence

import numpy as np


def _probability(p: Any) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise TypeError(f"p must be a float probability, got {type(p).__name__}")
    if not 0 <= p < 1:
        raise ValueError(f"p must be between 0 (keep everything) and 1 (exclusive), got {p}")
    return float(p)


def token_dropout(ids: Sequence[int], p: float, seed: int = 0, keep_ids: Collection[int] = ()) -> list[int]:
    """``ids`` with each token not in ``keep_ids`` dropped with probability ``p`` (at least one token stays)."""
    if isinstance(ids, (str, bytes)) or not hasattr(ids, "__len__"):
        raise TypeError(f"ids must be a list of token ids, got {type(ids).__name__}")
    if len(ids) == 0:
        raise ValueError("ids must hold at least one token id, got an empty list")
    p = _probability(p)
    generator = np.random.default_rng(seed)
    drop = generator.random(len(ids)) < p  # (T,)
    kept = [int(t) for t, d in zip(ids, drop) if not d or int(t) in keep_ids]
    droppable = [int(t) for t in ids if int(t) not in keep_ids]
    if droppable and not any(int(t) not in keep_ids for t in kept):  # never drop every real token
        kept.insert(1 if kept and kept[0] in keep_ids else 0, droppable[0])
    return kept


def augment_with_token_dropout(dataset: Any, p: float, copies: int = 1, seed: int = 0,
                               keep_ids: Collection[int] = ()) -> Any:
    """The tokenized ``dataset`` followed by ``copies`` token-dropped copies of it (labels kept)."""
    from datasets import Dataset, concatenate_datasets

    if not isinstance(dataset, Dataset) or "input_ids" not in dataset.column_names:
        raise TypeError(f"dataset must be a tokenized datasets.Dataset (with input_ids), got {type(dataset).__name__}")
    if isinstance(copies, bool) or not isinstance(copies, int) or copies < 1:
        raise ValueError(f"copies must be a positive int, got {copies!r}")
    p = _probability(p)

    def noisy(row: dict[str, Any], index: int, copy: int) -> dict[str, Any]:
        ids = token_dropout(row["input_ids"], p, seed=seed + 100_003 * copy + index, keep_ids=keep_ids)
        out = {"input_ids": ids}
        for column in ("attention_mask", "token_type_ids"):
            if column in row:
                out[column] = [1 if column == "attention_mask" else 0] * len(ids)
        return out

    from .data.classification import _quietly

    parts = [dataset] + [_quietly(lambda c=c: dataset.map(noisy, with_indices=True, fn_kwargs={"copy": c + 1}))
                         for c in range(copies)]
    return concatenate_datasets(parts)
