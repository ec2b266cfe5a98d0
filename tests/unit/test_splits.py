"""One way to split, for every dataset: ``helpers.data.splits``.

``split_indices`` replaced two functions of the same name (issue 17): the stratified,
fraction-based one of ``helpers.data.classification`` (the classification emails) and the shuffled,
count-based one of ``helpers.data.translation`` (the Django pairs, hub pairs). Both are
copied below as they were, and the merged function must give every notebook exactly the
same splits (same indices, same order) on the real inputs, not only on toy ones.
"""
from __future__ import annotations

import random

import pytest

from helpers.course import assets
from helpers.data.splits import SplitError, split_indices, split_of, to_dataset_dict


# --- the two functions split_indices replaced, as they were (commit f0cbe69) ----------------

def old_classification_split(labels, validation=0.10, test=0.15, seed=0):
    from sklearn.model_selection import train_test_split

    everything = list(range(len(labels)))
    rest, test_idx = train_test_split(everything, test_size=test, stratify=labels, random_state=seed)
    rest_labels = [labels[i] for i in rest]
    train_idx, val_idx = train_test_split(rest, test_size=validation / (1 - test), stratify=rest_labels,
                                          random_state=seed)
    return {"train": sorted(train_idx), "validation": sorted(val_idx), "test": sorted(test_idx)}


def old_translation_split(n, validation=60, test=120, seed=0):
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return {"train": sorted(order[validation + test:]), "validation": sorted(order[:validation]),
            "test": sorted(order[validation:validation + test])}


def old_qa_split_of(article_id, validation_percent=25):
    import hashlib

    bucket = int(hashlib.sha256(article_id.encode()).hexdigest(), 16) % 100
    return "validation" if bucket < validation_percent else "train"


def _asset(name):
    try:
        return assets.path(name)
    except assets.AssetError:
        pytest.skip(f"the {name} asset is not prepared")


# --- the same splits as before, on the real inputs ------------------------------------------

def test_the_spam_assassin_split_is_unchanged():
    from helpers.data.classification import SPLIT_SEED, TEST_FRACTION, VALIDATION_FRACTION, deduplicate, read_spam_assassin

    _, labels = deduplicate(*read_spam_assassin(_asset("spam-assassin")))
    new = split_indices(len(labels), VALIDATION_FRACTION, TEST_FRACTION, seed=SPLIT_SEED, stratify=labels)
    assert new == old_classification_split(labels)
    assert list(new) == ["train", "validation", "test"]


@pytest.mark.parametrize("language", ["nl", "de", "fr"])
def test_the_django_split_is_unchanged(language):
    from helpers.data.translation import SPLIT_SEED, TEST_SIZE, VALIDATION_SIZE, read_catalog_pairs

    folder = _asset("django-locale")
    for placeholders in ("drop", "letters"):  # notebook 07 loads both
        n = len(read_catalog_pairs(folder, language, placeholders)[0])
        assert split_indices(n, VALIDATION_SIZE, TEST_SIZE, seed=SPLIT_SEED) == old_translation_split(n)


@pytest.mark.parametrize("n", [7, 181, 1000, 4097])
def test_shuffled_counts_and_hub_sizes_are_unchanged(n):
    for validation, test in ((1, 2), (60, 120), (2000, 2000)):
        if validation + test < n:
            assert split_indices(n, validation, test) == old_translation_split(n, validation, test)
    assert split_indices(n, 2, 3, seed=5) == old_translation_split(n, 2, 3, seed=5)


@pytest.mark.parametrize("n,spam", [(100, 30), (997, 401), (5797, 1879)])
def test_stratified_fractions_are_unchanged_on_other_sizes(n, spam):
    labels = [1] * spam + [0] * (n - spam)
    random.Random(n).shuffle(labels)
    for validation, test in ((0.1, 0.15), (0.1, 0.2), (0.25, 0.25)):
        assert split_indices(n, validation, test, stratify=labels) == old_classification_split(labels, validation, test)


def test_the_qa_article_split_is_unchanged():
    ids = [f"lee-{a:03d}" for a in range(400)]
    assert [split_of(i, {"validation": 25}) for i in ids] == [old_qa_split_of(i) for i in ids]


# --- what the splits promise -----------------------------------------------------------------

def test_stratified_split_is_disjoint_complete_fixed_and_keeps_the_shares():
    labels = [0] * 70 + [1] * 30
    splits = split_indices(100, 0.1, 0.2, seed=0, stratify=labels)
    assert split_indices(100, 0.1, 0.2, seed=0, stratify=labels) == splits
    assert sorted(sum(splits.values(), [])) == list(range(100))
    assert {k: len(v) for k, v in splits.items()} == {"train": 70, "validation": 10, "test": 20}
    assert [sum(labels[i] for i in splits[k]) for k in ("train", "validation", "test")] == [21, 3, 6]
    assert {k: len(v) for k, v in split_indices(100, 10, 20, stratify=labels).items()} == \
        {"train": 70, "validation": 10, "test": 20}  # counts work stratified too


def test_shuffled_split_is_fixed_disjoint_complete_and_seeded():
    first = split_indices(100, 10, 20, seed=0)
    assert first == split_indices(100, 10, 20, seed=0) and split_indices(100, 10, 20, seed=1) != first
    assert sorted(sum(first.values(), [])) == list(range(100))
    assert {k: len(v) for k, v in first.items()} == {"train": 70, "validation": 10, "test": 20}
    assert {k: len(v) for k, v in split_indices(100, 0.1, 0.25).items()} == {"train": 65, "validation": 10, "test": 25}


@pytest.mark.parametrize("validation,test,error", [
    (0.0, 0.2, ValueError), (0.5, 0.5, SplitError), (0.1, 1.2, ValueError),  # fractions
    (60, 50, SplitError), (-1, 5, ValueError),                               # counts, of 100
    (0.1, 20, TypeError), ("10", 20, TypeError)])
def test_impossible_sizes_are_refused(validation, test, error):
    with pytest.raises(error):
        split_indices(100, validation, test)


def test_stratify_needs_one_label_per_example():
    with pytest.raises(ValueError, match="one label per example"):
        split_indices(10, 0.2, 0.2, stratify=[0, 1] * 4)


def test_split_of_is_stable_and_roughly_proportional():
    percent = {"test": 20, "validation": 10}
    assert split_of("json.dumps", percent) == split_of("json.dumps", percent)
    names = [split_of(f"module.function_{i}", percent) for i in range(2000)]
    assert abs(names.count("test") / 2000 - 0.2) < 0.03
    assert abs(names.count("validation") / 2000 - 0.1) < 0.03
    assert split_of("json.dumps", {}) == "train"


def test_to_dataset_dict_keeps_the_rows_of_each_split_in_order():
    from datasets import ClassLabel, Features, Value

    features = Features({"text": Value("string"), "label": ClassLabel(names=["ham", "spam"])})
    data = to_dataset_dict({"text": ["a", "b", "c", "d"], "label": [0, 1, 0, 1]}, {"train": [3, 0], "test": [1]},
                           features)
    assert list(data) == ["train", "test"]
    assert data["train"]["text"] == ["d", "a"] and data["train"]["label"] == [1, 0]
    assert data["train"].features["label"].names == ["ham", "spam"]
    nested = to_dataset_dict({"translation": [{"en": "Save", "nl": "Opslaan"}, {"en": "Add", "nl": "Toevoegen"}]},
                             {"train": [1], "validation": [0]})
    assert nested["validation"][0]["translation"] == {"en": "Save", "nl": "Opslaan"}


def test_to_dataset_dict_refuses_columns_of_different_lengths():
    with pytest.raises(ValueError, match="same length"):
        to_dataset_dict({"text": ["a", "b"], "label": [0]}, {"train": [0]})
