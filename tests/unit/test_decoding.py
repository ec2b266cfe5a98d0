"""helpers.decoding: the repeated-n-gram rate against hand-counted values, the length-matched lead, and the
decoding sweep on a tiny warm-started BERT2BERT built here (no asset), where no_repeat_ngram_size must remove
every repeated bigram and min_length must lengthen the outputs."""
import pytest
import torch
from transformers import BertConfig, BertModel, BertTokenizerFast

from helpers.decoding import decoding_sweep, lead_words, length_matched_lead, repeated_ngram_rate, repetition
from helpers.exercises import nb09
from helpers.seq2seq import warm_start

WORDS = "save delete change password user group add the a of is on cat mat sat".split()


@pytest.mark.parametrize("text, n, want", [
    ("a b a b a", 2, 2 / 4),  # ab ba ab ba: the last two repeat
    ("a b a b a", 1, 3 / 5),  # five unigrams, two distinct: three are copies of an earlier one
    ("open the file and read it", 2, 0.0),
    ("the the the the", 1, 3 / 4),
    ("The cat the CAT", 2, 1 / 3),  # the cat, cat the, the cat: one repeat after lowercasing
    ("return", 2, 0.0),
    ("", 3, 0.0),
])
def test_repeated_ngram_rate_counts_later_copies(text, n, want):
    assert repeated_ngram_rate(text, n) == pytest.approx(want)
    assert nb09.repeated_ngram_share(text, n) == pytest.approx(want)  # the exercise's solution agrees


def test_repetition_is_the_mean_rate_in_percent():
    texts = ["a b a b a", "open the file", "the the the"]
    assert repetition(texts) == pytest.approx(100 * (2 / 4 + 0 + 1 / 2) / 3)
    assert repetition([]) == 0.0


def test_lead_words_and_length_matched_lead():
    document = "Return the value. It is cached after the first call."
    assert lead_words(document, 3) == "Return the value."
    assert lead_words(document, 100) == document
    assert length_matched_lead([document, "One two three four."], ["a b", ""]) == ["Return the", "One"]


def test_the_exercise_accepts_the_helper_and_rejects_typical_mistakes():
    assert nb09.check_repeated_ngrams(repeated_ngram_rate) is None
    for wrong in (nb09._distinct_share, nb09._per_word, nb09._case_sensitive, nb09._every_copy,
                  nb09._unigrams_only, nb09._percent_share):
        assert nb09.check_repeated_ngrams(wrong) is not None, wrong.__name__


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-bert")
    tokens = list(dict.fromkeys(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]))
    tokenizer = BertTokenizerFast(vocab={token: i for i, token in enumerate(tokens)}, do_lower_case=True)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, pad_token_id=0)
    torch.manual_seed(0)
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    torch.manual_seed(0)
    model, tokenizer, _ = warm_start(str(folder), decoder_layers=1)
    return model, tokenizer


def test_the_sweep_measures_what_each_constraint_does(warm):
    model, tokenizer = warm
    documents = ["save the user", "delete a group", "change password of the user", "add the cat on the mat"]
    references = ["save user", "delete group", "change password", "add cat"]
    settings = {"greedy": {}, "no repeated bigram": {"no_repeat_ngram_size": 2},
                "min_length 12": {"min_length": 12, "no_repeat_ngram_size": 2}}
    hidden = [tokenizer.convert_tokens_to_ids(t) for t in ("[PAD]", "[UNK]", "[CLS]", "[MASK]")]
    table = decoding_sweep(model, tokenizer, documents, references, settings, max_source_length=16,
                           max_new_tokens=16, batch_size=2, suppress_tokens=hidden)  # no token decodes to nothing
    assert list(table) == list(settings)
    assert set(table["greedy"]) == {"rouge1", "rouge2", "rougeL", "repetition", "words", "distinct"}
    assert table["greedy"]["repetition"] > 10  # an untrained decoder loops
    assert table["no repeated bigram"]["repetition"] == 0.0  # one token per word: no word bigram twice
    assert table["min_length 12"]["words"] >= 10  # [CLS] counts towards min_length; [SEP] is dropped
    assert all(0 < row["distinct"] <= 100 for row in table.values())
