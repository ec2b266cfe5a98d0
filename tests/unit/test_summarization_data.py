"""Docstring summaries, the stable split, sentence splitting, lead-k, the centroid baseline, 09.1."""
import pytest
import torch

from helpers import checks
from helpers.data.summarization import (SummarizationDataError, centroid_index, centroid_summaries,
                                        docstring_pairs, lead, load_docstring_summaries, sentences,
                                        split_docstring)

BODY = " ".join(["word"] * 25)


@pytest.mark.parametrize("docstring,expected", [
    (f"Return the sum of the values.\n\n{BODY}\n>>> sum([1])\n1", ("Return the sum of the values.", BODY)),
    (f"Return the sum.\n\n{BODY}", None),  # a summary of 3 words is too short
    (f"Return the sum of the values\n\n{BODY}", None),  # no period: not a summary line
    (f"Return the sum of the values.\n{BODY}", None),  # no blank line after the summary
    ("Return the sum of the values.\n\nToo short a body.", None),
    (None, None),
])
def test_split_docstring(docstring, expected):
    assert split_docstring(docstring) == expected


def test_docstring_pairs_from_real_modules_are_clean():
    pairs = docstring_pairs(("textwrap", "json"))
    ids = [p["id"] for p in pairs]
    assert "textwrap.dedent" in ids and all(i.startswith(("textwrap.", "json.")) for i in ids)
    dedent = pairs[ids.index("textwrap.dedent")]
    assert dedent["summary"].startswith("Remove any common leading whitespace")
    assert all(len(p["summary"].split()) >= 4 and len(p["document"].split()) >= 20 for p in pairs)
    assert len({p["document"] for p in pairs}) == len(pairs)
    assert docstring_pairs(("no_such_module_here",)) == []


def test_load_docstring_summaries_has_xsum_columns_and_disjoint_splits():
    data = load_docstring_summaries(("textwrap", "json", "collections", "argparse"))
    assert set(data) == {"train", "validation", "test"}
    assert data["train"].column_names == ["document", "summary", "id"]
    ids = [set(split["id"]) for split in data.values()]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    with pytest.raises(SummarizationDataError, match="PEP 257"):
        load_docstring_summaries(("no_such_module_here",))


@pytest.mark.parametrize("text,expected", [
    ("One. Two! Three? Four", ["One.", "Two!", "Three?", "Four"]),
    ("Call f() first. (Then g.) Done.", ["Call f() first.", "(Then g.) Done."]),  # ".)" is no end
    ("Version 3.11 added it. 2 more follow.", ["Version 3.11 added it.", "2 more follow."]),
    ("no end mark at all", ["no end mark at all"]),
    ("  ", []),
])
def test_sentences(text, expected):
    assert sentences(text) == expected


def test_lead():
    document = "First one. Second one. Third one. Fourth one."
    assert lead(document, 1) == "First one." and lead(document, 3) == "First one. Second one. Third one."
    assert lead(document, 10) == document
    with pytest.raises(SummarizationDataError, match="k=0"):
        lead(document, 0)


def test_centroid_index_picks_the_most_central_row():
    rows = torch.tensor([[3.0, 0.0], [0.0, 1.0], [2.0, 2.0]])  # lengths do not matter, directions do
    assert centroid_index(rows) == 2  # the mean of the unit rows points along (1, 1)
    assert centroid_index(torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])) == 1
    with pytest.raises(SummarizationDataError, match="shape"):
        centroid_index(torch.zeros(0, 3))


def test_centroid_summaries_embeds_once_and_keeps_documents_apart():
    calls = []

    def embed(texts):  # a fake encoder: the sentence "x y z" lies between the others
        calls.append(list(texts))
        table = {"A b.": [1.0, 0.0], "X y z.": [0.7, 0.7], "C d.": [0.0, 1.0], "Only one.": [1.0, 1.0]}
        return torch.tensor([table[t] for t in texts])

    chosen = centroid_summaries(["A b. X y z. C d.", "Only one."], embed)
    assert chosen == ["X y z.", "Only one."] and len(calls) == 1 and len(calls[0]) == 4
    with pytest.raises(SummarizationDataError, match="2 vectors for 4 sentences"):
        centroid_summaries(["A b. X y z. C d.", "Only one."], lambda texts: torch.zeros(2, 2))


def test_embed_sentences_keeps_the_order_of_the_texts():
    from transformers import BertConfig, BertModel, BertTokenizerFast

    from helpers.bert_inspect import sentence_embeddings
    from helpers.data.summarization import embed_sentences

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c", "d", "e"]
    tokenizer = BertTokenizerFast(vocab={t: i for i, t in enumerate(vocab)})
    torch.manual_seed(0)
    model = BertModel(BertConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                 intermediate_size=32)).eval()
    texts = ["a b c d e", "a", "c d", "e e e", "b"]
    batched = embed_sentences(model, tokenizer, texts, batch_size=2)
    one_by_one = torch.cat([sentence_embeddings(model, tokenizer, [t]) for t in texts])
    assert torch.allclose(batched, one_by_one, atol=1e-5)


@pytest.mark.parametrize("mistake,words", [
    ("_last_sentences", ["last"]), ("_first_words", ["word"]), ("_off_by_one", ["off-by-one"]),
    ("_as_list", ["list"]), ("_no_spaces", ["spaces"]),
])
def test_lead_exercise_names_the_mistake(mistake, words):
    from helpers.exercises import nb09

    result = checks.check("09.1", getattr(nb09, mistake))
    assert not result.passed and all(w in result.message for w in words), result.message


def test_lead_exercise_accepts_the_helper():
    assert checks.check("09.1", lead).passed


def test_data_name_says_what_the_summaries_are():
    from helpers.data.summarization import OFFLINE_ID, data_name

    assert data_name(OFFLINE_ID) == "docstring summaries"
    assert data_name("abisee/cnn_dailymail") == "CNN/DailyMail news highlights"
    assert data_name("EdinburghNLP/xsum") == "xsum summaries"  # no docstrings where there are none
    with pytest.raises(TypeError, match="identifier must be"):
        data_name(None)


def splits(rows: int = 50):
    from datasets import Dataset, DatasetDict

    return DatasetDict({name: Dataset.from_dict({"document": [f"{name} document {i}." for i in range(rows)],
                                                 "id": [f"{name}-{i}" for i in range(rows)]})
                        for name in ("train", "validation", "test")})


def test_cap_splits_cuts_before_anything_is_tokenized():
    from helpers.data.summarization import cap_splits

    data = splits()
    capped = cap_splits(data, {"train": 10, "test": 5, "validation": 0})
    assert {name: len(split) for name, split in capped.items()} == {"train": 10, "validation": 50, "test": 5}
    assert capped["test"]["id"] == [f"test-{i}" for i in range(5)]  # the first rows
    rows = [int(i.split("-")[1]) for i in capped["train"]["id"]]
    assert len(set(rows)) == 10 and rows != list(range(10))  # a random sample, no repeats
    assert cap_splits(data, {"train": 10})["train"]["id"] == capped["train"]["id"]  # the seed fixes it
    assert cap_splits(data, {"train": 10}, seed=1)["train"]["id"] != capped["train"]["id"]
    assert cap_splits(data, {"train": 10}, shuffled=())["train"]["id"] == [f"train-{i}" for i in range(10)]
    assert cap_splits(data, {"train": 50})["train"] is data["train"]  # no longer than its cap: kept as it is
    seen = []
    capped["train"].map(lambda batch: seen.extend(batch["id"]), batched=True)
    assert sorted(seen) == sorted(capped["train"]["id"])  # map touches only the kept rows


@pytest.mark.parametrize("caps,error,words", [
    ({"tset": 5}, SummarizationDataError, "caps must name splits of data (train, validation, test), got tset"),
    ({"train": -1}, ValueError, "caps['train'] must be a non-negative int, got -1"),
    ({"train": 2.5}, TypeError, "caps['train'] must be an int"),
    ([("train", 5)], TypeError, "caps must be a mapping"),
])
def test_cap_splits_names_bad_caps(caps, error, words):
    from helpers.data.summarization import cap_splits

    with pytest.raises(error) as raised:
        cap_splits(splits(), caps)
    assert words in str(raised.value)


def test_cap_splits_wants_a_dataset_dict():
    from helpers.data.summarization import cap_splits

    with pytest.raises(TypeError, match="data must be a datasets.DatasetDict"):
        cap_splits(splits()["train"], {"train": 5})
