"""Data augmentation for text classification: token dropout.

    from helpers.augment import augment_with_token_dropout
    bigger = augment_with_token_dropout(tokenized_train, p=0.15, copies=1, keep_ids=set(tokenizer.all_special_ids))

Each copy of an example loses every token (but the special ones) with probability ``p``:
the label stays, the wording changes a little, so the model cannot lean on any single
token. It is the text analogue of cropping an image.
"""
from __future__ import annotations

from typing import Any, Collection, Sequence

import numpy as np

from .course.validation import require_int, require_number


def _token_dropout(ids: Sequence[int], p: float, seed: int = 0, keep_ids: Collection[int] = ()) -> list[int]:
    """``ids`` with each token not in ``keep_ids`` dropped with probability ``p`` (at least one token stays):
    ``_token_dropout([101, 7, 8, 9, 102], p=0.2, seed=0, keep_ids={101, 102})``, e.g. ``[101, 7, 9, 102]``."""
    generator = np.random.default_rng(seed)
    drop = generator.random(len(ids)) < p  # (T,)
    kept = [int(t) for t, d in zip(ids, drop) if not d or int(t) in keep_ids]
    droppable = [int(t) for t in ids if int(t) not in keep_ids]
    if droppable and not any(int(t) not in keep_ids for t in kept):  # never drop every real token
        kept.insert(1 if kept and kept[0] in keep_ids else 0, droppable[0])
    return kept


def augment_with_token_dropout(dataset: Any, p: float, copies: int = 1, seed: int = 0,
                               keep_ids: Collection[int] = ()) -> Any:
    """The tokenized ``dataset`` followed by ``copies`` token-dropped copies of it (labels kept).

    Taught in: notebook 10, section 3.
    """
    from datasets import Dataset, concatenate_datasets

    if not isinstance(dataset, Dataset) or "input_ids" not in dataset.column_names:
        raise TypeError(f"dataset must be a tokenized datasets.Dataset (with input_ids), got {type(dataset).__name__}")
    p = require_number("p", p, minimum=0.0, below=1.0)  # 0 keeps everything
    require_int("copies", copies, minimum=1)
    require_int("seed", seed, minimum=0)

    def noisy(row: dict[str, Any], index: int, copy: int) -> dict[str, Any]:
        ids = _token_dropout(row["input_ids"], p, seed=seed + 100_003 * copy + index, keep_ids=keep_ids)
        out = {"input_ids": ids}
        for column in ("attention_mask", "token_type_ids"):
            if column in row:
                out[column] = [1 if column == "attention_mask" else 0] * len(ids)
        return out

    from .data.classification import _quietly

    parts = [dataset] + [_quietly(lambda c=c: dataset.map(noisy, with_indices=True, fn_kwargs={"copy": c + 1}))
                         for c in range(copies)]
    return concatenate_datasets(parts)
