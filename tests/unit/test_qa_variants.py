"""helpers.data.qa_variants: paraphrases change the words, answers stay spans, unanswerable rows hold no answer."""
from __future__ import annotations

import collections

import pytest
from datasets import Dataset

from helpers.data import qa_variants
from helpers.data.qa import load_news_qa, squad_features


def test_paraphrase_swaps_synonyms_and_fronts_the_question_phrase():
    assert qa_variants.paraphrase("Government troops have been sent to which place after the attacks?") == \
        "Where after the assaults, administration troops have been sent?"
    assert qa_variants.paraphrase("Who says the talks will resume?") == "Who states the negotiations shall resume?"
    assert qa_variants.paraphrase("Police arrested how many people?") == "What number of individuals, officers detained?"
    assert qa_variants.paraphrase("Why?") == "Why?"  # nothing to change


def test_previous_sentence_questions_are_answered_in_the_sentence_before():
    passage = "Mr John Howard says the budget is sound. He says it will stay in surplus."
    spans = [(0, "Mr John Howard says the budget is sound."), (41, "He says it will stay in surplus.")]
    made = list(qa_variants.previous_sentence_questions(spans))
    assert made == [{"kind": "who", "question": "Who says it will stay in surplus?", "answer": "John Howard",
                     "start": 3}]
    assert passage[3:3 + len("John Howard")] == "John Howard"


def test_offline_set_mixes_types_and_every_answer_is_still_a_span():
    data = load_news_qa()
    for split in data.values():
        types = collections.Counter(map(qa_variants.question_type, split["id"]))
        assert types["paraphrase"] > 0.2 * len(split) and types["template"] > 0.4 * len(split)
        for row in split:
            start, text = row["answers"]["answer_start"][0], row["answers"]["text"][0]
            assert row["context"][start:start + len(text)] == text and text.lower() not in row["question"].lower()
    assert sum(qa_variants.question_type(i) == "previous sentence" for i in data["train"]["id"]) >= 5


def test_add_unanswerable_pairs_questions_with_passages_without_their_answer():
    split = load_news_qa()["validation"]
    grown = qa_variants.add_unanswerable(split, every=4)
    added = grown.select(range(len(split), len(grown)))
    assert len(added) >= 0.2 * len(split) and grown.features == split.features
    original = {r["id"]: r for r in split}
    for row in added:
        source = original[row["id"].removesuffix("-noans")]
        assert qa_variants.question_type(row["id"]) == "unanswerable" and row["answers"]["text"] == []
        assert row["question"] == source["question"] and row["context"] != source["context"]
        assert source["answers"]["text"][0].lower() not in row["context"].lower()
    same_title = sum(r["title"] == original[r["id"].removesuffix("-noans")]["title"] for r in added)
    assert same_title == len(added)  # the title is kept; the context comes from the same article when it can


def test_add_unanswerable_without_another_context_adds_nothing():
    one = Dataset.from_dict({"id": ["a"], "title": ["t"], "context": ["It is me."], "question": ["Who?"],
                             "answers": [{"text": ["me"], "answer_start": [6]}]}, features=squad_features())
    assert len(qa_variants.add_unanswerable(one, every=1)) == 1


@pytest.mark.parametrize("qid,kind", [("x-q1", "template"), ("x-q1-para", "paraphrase"), ("x-ctx", "previous sentence"),
                                      ("x-q1-para-noans", "unanswerable"), ("56be4db0acb8001400a502ec", "template")])
def test_question_type_reads_the_suffix(qid, kind):
    assert qa_variants.question_type(qid) == kind
