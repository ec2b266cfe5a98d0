"""How the course cuts a dataset into train / validation / test, for every task.

* ``split_indices``: index lists of a seeded split of ``n`` examples, stratified by label when
  labels are given (the classification emails: each split keeps the share of spam), a plain
  seeded shuffle otherwise (the translation pairs). Sizes are fractions or numbers of examples.
* ``split_of``: the split of one example from a hash of its id (docstring summaries, QA articles):
  an example keeps its split whatever else is added or removed.
* ``to_dataset_dict``: a ``datasets.DatasetDict`` holding, for each split, the rows at its indices.

    from helpers.data.splits import split_indices, to_dataset_dict
    splits = split_indices(len(labels), 0.10, 0.15, stratify=labels)   # {"train": [...], ...}
    data = to_dataset_dict({"text": texts, "label": labels}, splits)
"""
from __future__ import annotations

import hashlib
import math
import random
from typing import Any, Mapping, Sequence

from ..course.errors import TutorialError
from ..course.validation import require_int, require_sequence, require_split_indices, require_str


class SplitError(TutorialError, ValueError):
    """Split sizes that cannot be taken from the examples there are."""


def _require_sizes(n: int, validation: float | int, test: float | int) -> None:
    """Both fractions in (0, 1) summing below 1, or both counts >= 0 summing below n."""
    for name, value in (("validation", validation), ("test", test)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{name} must be a fraction of the examples (a float between 0 and 1) or a number of "
                            f"examples (an int), got {type(value).__name__}")
    if type(validation) is not type(test):
        raise TypeError(f"validation and test must be both fractions (floats) or both numbers of examples "
                        f"(ints), got {validation!r} and {test!r}")
    if isinstance(validation, float):
        for name, value in (("validation", validation), ("test", test)):
            if not 0 < value < 1:
                raise ValueError(f"{name} must be a fraction between 0 and 1, got {value!r}")
        if validation + test >= 1:
            raise SplitError(f"validation + test must leave examples for training, got {validation} + {test}")
    else:
        require_int("validation", validation, minimum=0)
        require_int("test", test, minimum=0)
        if validation + test >= n:
            raise SplitError(f"cannot take validation={validation} and test={test} from {n} examples: "
                             f"validation + test must leave at least one for training, got {validation + test} of {n}")


def split_indices(n: int, validation: float | int, test: float | int, seed: int = 0,
                  stratify: Sequence[int] | None = None) -> dict[str, list[int]]:
    """Seeded train / validation / test indices of ``n`` examples, sorted within each split.

    ``validation`` and ``test`` are both fractions of the ``n`` examples (floats; a fraction f
    takes ceil(f * n) examples) or both numbers of examples (ints). With ``stratify`` (one label
    per example) every split keeps the labels' proportions (scikit-learn's ``train_test_split``,
    test first, then validation from the rest); without, one ``random.Random(seed)`` shuffle
    gives validation its first examples, test the next ones and train the rest.
    Notebook 05, section 1 (the emails, in ``load_classification``); notebook 07, section 2
    (the Django pairs, in ``load_translation``).

    Not taught: a building block of helpers.data.classification, helpers.data.translation.
    """
    require_int("n", n, minimum=0)
    _require_sizes(n, validation, test)
    require_int("seed", seed, minimum=0)
    if stratify is None:
        order = list(range(n))
        random.Random(seed).shuffle(order)
        v, t = (math.ceil(size * n) if isinstance(size, float) else size for size in (validation, test))
        return {"train": sorted(order[v + t:]), "validation": sorted(order[:v]), "test": sorted(order[v:v + t])}
    from sklearn.model_selection import train_test_split

    labels = require_sequence("stratify", stratify)
    if len(labels) != n:
        raise ValueError(f"stratify must hold one label per example ({n}), got {len(labels)} labels")
    rest, test_idx = train_test_split(list(range(n)), test_size=test, stratify=labels, random_state=seed)
    share = validation / (1 - test) if isinstance(validation, float) else validation  # of the rest
    train_idx, val_idx = train_test_split(rest, test_size=share, stratify=[labels[i] for i in rest],
                                          random_state=seed)
    return {"train": sorted(train_idx), "validation": sorted(val_idx), "test": sorted(test_idx)}


def split_of(identifier: str, percent: Mapping[str, int]) -> str:
    """The split of the example with this id: a hash of the id in 0..99 falls in one of the
    ``percent`` shares (split name -> share in percent, in order), else in ``"train"``.

    Stable whatever else changes: adding or removing other examples moves none.
    Notebook 08, section 1 (news articles, in ``load_qa``); notebook 09, section 1 (docstrings,
    in ``load_summarization``).

    Not taught: a building block of helpers.data.qa, helpers.data.summarization.
    """
    require_str("identifier", identifier)
    if not isinstance(percent, Mapping):
        raise TypeError(f"percent must be a dict of split name -> share in percent, got {type(percent).__name__}")
    if any(not isinstance(v, int) or v < 0 for v in percent.values()) or sum(percent.values()) > 100:
        raise ValueError(f"percent must hold non-negative int shares summing to at most 100, got {dict(percent)}")
    bucket = int(hashlib.sha256(identifier.encode()).hexdigest(), 16) % 100
    threshold = 0
    for name, share in percent.items():
        threshold += share
        if bucket < threshold:
            return name
    return "train"


def to_dataset_dict(columns: Mapping[str, Sequence[Any]], splits: dict[str, Sequence[int]], features=None):
    """A ``DatasetDict`` with one ``Dataset`` per split: the rows of ``columns`` (column name ->
    one value per example) at the split's indices, in that order; ``features`` (a ``datasets.Features``)
    fixes the column types, else ``datasets`` infers them. Notebooks 05 and 07, through the same
    loaders as ``split_indices``; notebook 09's docstring summaries.

    Not taught: a building block of helpers.data.classification, helpers.data.summarization, helpers.data.translation.
    """
    from datasets import Dataset, DatasetDict

    if not isinstance(columns, Mapping) or not columns:
        raise TypeError(f"columns must be a dict of column name -> values (one per example), "
                        f"got {type(columns).__name__}")
    lengths = {name: len(require_sequence(f"columns[{name!r}]", values)) for name, values in columns.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"columns must all hold one value per example (the same length), got lengths {lengths}")
    require_split_indices("splits", splits, next(iter(lengths.values())))
    return DatasetDict({
        split: Dataset.from_dict({name: [values[i] for i in indices] for name, values in columns.items()},
                                 features=features)
        for split, indices in splits.items()
    })
