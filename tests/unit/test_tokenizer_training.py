"""helpers.tokenizer_training: three subword algorithms trained on the same text, and how they cut new text."""
from __future__ import annotations

import pytest
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

from helpers import tokenizer_training as tt
from helpers.exercises import nb03



def _brown(names: tuple[str, ...]) -> list[str]:
    from helpers.course import assets
    from helpers.data.corpus import read_brown_file

    return [read_brown_file(assets.path("brown") / name).text for name in names]


@pytest.fixture(scope="module")
def trained():
    texts = _brown(("ca02", "cb02", "cf02", "cg02", "cj02", "cn02"))  # six genres, about 13,000 words
    return {a: tt.train_subword_tokenizer(a, texts, 600) for a in tt.ALGORITHMS}


def _hand_wordpiece() -> Tokenizer:
    vocab = {"[UNK]": 0, "a": 1, "ab": 2, "##b": 3, "##c": 4, "x": 5, ",": 6}
    tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    return tokenizer


def test_stats_match_a_hand_count():
    # "abc" -> ab ##c; "a☃b" -> [UNK] (3 characters lost); "," -> ","; "x" -> x; "AB" -> ab
    stats = tt.segmentation_stats(_hand_wordpiece(), ["abc a☃b, x", "AB"])
    assert (stats.words, stats.tokens, stats.unknown, stats.characters, stats.lost_characters) == (5, 6, 1, 10, 3)
    assert stats.tokens_per_word == pytest.approx(6 / 5)
    assert stats.unknown_share == pytest.approx(1 / 6) and stats.lost_share == pytest.approx(3 / 10)
    assert tt.pieces_of(_hand_wordpiece(), "abc a☃b") == ["ab", "##c", "[UNK]"]


@pytest.mark.parametrize("algorithm", tt.ALGORITHMS)
def test_each_algorithm_learns_the_frequent_words_and_beats_characters(trained, algorithm):
    tokenizer = trained[algorithm]
    assert 500 < tokenizer.get_vocab_size() <= 600
    for word in ("the", "and", "of"):  # frequent words become single tokens
        assert tt.pieces_of(tokenizer, word) == [word], algorithm
    held_out = _brown(("ca03", "cg03"))
    stats = tt.segmentation_stats(tokenizer, held_out)
    letters = sum(1 for text in held_out for c in text if c.isalnum())
    assert stats.tokens < 0.6 * letters  # far fewer tokens than a character-level split (about 0.5)
    assert stats.unknown_share < 0.01 and stats.tokens_per_word < 2.5  # about 2.0; characters: about 4


def test_unseen_characters_wordpiece_loses_the_whole_word_the_others_one_character(trained):
    lost = {a: tt.segmentation_stats(trained[a], ["the☃and"]) for a in tt.ALGORITHMS}
    assert lost["wordpiece"].lost_characters == 7          # the whole word
    assert lost["bpe"].lost_characters == 1 and lost["unigram"].lost_characters == 1
    assert "☃" not in tt.pieces_of(trained["unigram"], "the☃and")  # shown as [UNK], whatever the model prints
    assert "[UNK]" in tt.pieces_of(trained["unigram"], "the☃and")


def test_trained_wordpiece_splits_greedily_longest_first(trained):
    wordpiece = trained["wordpiece"]
    vocab = wordpiece.get_vocab()
    for word in ("unbelievably", "newspapers", "builders", "wider", "towers", "hyperparameter"):
        assert tt.pieces_of(wordpiece, word) == nb03.wordpiece_split(word, vocab), word


def test_bpe_and_wordpiece_mark_continuations_unigram_does_not(trained):
    assert any(p.startswith("##") for p in tt.pieces_of(trained["wordpiece"], "newspapers hyperparameter"))
    assert any(p.startswith("##") for p in tt.pieces_of(trained["bpe"], "newspapers hyperparameter"))
    assert not any(p.startswith("##") for p in tt.pieces_of(trained["unigram"], "newspapers hyperparameter"))


def test_a_transformers_tokenizer_is_measured_without_its_padding():
    from transformers import PreTrainedTokenizerFast

    backend = _hand_wordpiece()
    backend.enable_padding(length=32)
    backend.enable_truncation(max_length=2)
    fast = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]")
    stats = tt.segmentation_stats(fast, ["abc a☃b, x"])
    assert (stats.words, stats.tokens, stats.unknown) == (4, 5, 1)
