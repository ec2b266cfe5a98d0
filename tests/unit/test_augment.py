"""helpers.augment: token dropout drops the asked share, keeps special tokens and labels."""
import numpy as np
import pytest
from datasets import Dataset

from helpers.augment import _token_dropout, augment_with_token_dropout


def test_token_dropout_keeps_special_tokens_and_order():
    ids = [101] + list(range(1000, 1200)) + [102]
    kept = _token_dropout(ids, p=0.3, seed=0, keep_ids={101, 102})
    assert kept[0] == 101 and kept[-1] == 102
    assert kept[1:-1] == sorted(kept[1:-1])  # order kept, nothing invented
    dropped = 1 - (len(kept) - 2) / 200
    assert dropped == pytest.approx(0.3, abs=0.08)
    assert _token_dropout(ids, p=0.3, seed=0, keep_ids={101, 102}) == kept  # seeded
    assert _token_dropout(ids, p=0.0) == ids


def test_token_dropout_never_drops_every_real_token():
    for seed in range(20):
        kept = _token_dropout([101, 7, 102], p=0.99, seed=seed, keep_ids={101, 102})
        assert 7 in kept and kept == [101, 7, 102]


def test_augment_appends_noisy_copies_with_their_labels():
    data = Dataset.from_dict({"input_ids": [[101] + list(range(1, 41)) + [102]] * 3,
                              "attention_mask": [[1] * 42] * 3, "label": [0, 1, 1]})
    bigger = augment_with_token_dropout(data, p=0.25, copies=2, keep_ids={101, 102})
    assert len(bigger) == 9 and bigger["label"] == [0, 1, 1] * 3
    assert bigger[:3]["input_ids"] == data["input_ids"]  # originals first, unchanged
    lengths = [len(row) for row in bigger["input_ids"][3:]]
    assert all(len(m) == n for m, n in zip(bigger["attention_mask"][3:], lengths))
    assert np.mean(lengths) < 42 and len(set(map(tuple, bigger["input_ids"][3:]))) == 6  # every copy differs
