"""The offline SQuAD-schema set (helpers.data.qa): exact spans, SQuAD's features, a split by article, varied questions."""
import collections
import time

import pytest

from helpers.data import qa as qa_data
from helpers.qa_baselines import first_noun_phrase, overlap_window
from helpers.metrics import squad_scores

DATA = qa_data.load_news_qa()


def test_sizes_and_squad_features():
    assert len(DATA["train"]) >= 300 and len(DATA["validation"]) >= 100
    assert DATA["train"].features == qa_data.squad_features()
    assert list(DATA["train"].features) == ["id", "title", "context", "question", "answers"]


@pytest.mark.parametrize("split", ["train", "validation"])
def test_every_answer_is_an_exact_span_of_its_context(split):
    for row in DATA[split]:
        (text,), (start,) = row["answers"]["text"], row["answers"]["answer_start"]
        assert text and row["context"][start:start + len(text)] == text, row["id"]
        assert text.lower() not in row["question"].lower(), row["id"]  # the question does not give it away
        assert row["question"].endswith("?") and not row["question"][0].islower()


def test_split_by_article_shares_no_context_or_title():
    train, validation = DATA["train"], DATA["validation"]
    assert not set(train["context"]) & set(validation["context"])
    assert not set(train["title"]) & set(validation["title"])
    assert len(set(list(DATA["train"]["id"]) + list(DATA["validation"]["id"]))) == len(train) + len(validation)


def test_contexts_are_passages_with_several_candidates():
    contexts = set(DATA["validation"]["context"])
    sentence_counts = [len(qa_data.sentences(c)) for c in contexts]
    assert min(sentence_counts) >= 2
    words = [len(c.split()) for c in contexts]
    assert sum(words) / len(words) >= 50  # a paragraph, not one sentence


def test_question_forms_are_varied():
    kinds = collections.Counter(qa_data.question_kinds("validation") + qa_data.question_kinds("train"))
    assert set(kinds) == set(qa_data.KINDS)
    assert max(kinds.values()) / sum(kinds.values()) < 0.5  # no one form dominates
    starts = collections.Counter(q.split()[0].lower() for q in DATA["train"]["question"])
    assert len(starts) > 20  # questions do not all open with a wh-word


def test_built_deterministically_and_fast():
    qa_data.load_news_qa.cache_clear()
    began = time.perf_counter()
    again = qa_data.load_news_qa()
    assert time.perf_counter() - began < 15  # "a few seconds", generous for a loaded CI machine
    assert again["train"]["question"] == DATA["train"]["question"]
    assert again["validation"]["answers"] == DATA["validation"]["answers"]
    assert qa_data.load_qa(qa_data.OFFLINE_ID) is qa_data.load_news_qa()  # cached in memory


def test_templates_on_hand_made_sentences():
    made = {q["kind"]: q for q in qa_data.questions_from_sentence(
        "Police say 500 residents left their homes in Mittagong on Tuesday.")}
    assert made["how many"]["question"] == "Police say how many residents left their homes in Mittagong on Tuesday?"
    assert made["how many"]["answer"] == "500"
    assert made["when"]["question"] == "Police say 500 residents left their homes in Mittagong on which day?"
    assert made["when"]["answer"] == "Tuesday"
    assert made["where"] == {"kind": "where", "answer": "Mittagong", "start": 45,
                             "question": "Police say 500 residents left their homes in which place on Tuesday?"}
    who = qa_data.questions_from_sentence("Prime Minister John Howard says the budget will return to surplus.")
    assert [(q["kind"], q["question"], q["answer"]) for q in who] == [
        ("who", "Who says the budget will return to surplus?", "John Howard")]
    assert qa_data.questions_from_sentence("Nothing to ask about here.") == []


def test_trivial_baselines_do_not_solve_it():
    validation = DATA["validation"]
    for baseline, ceiling in ((first_noun_phrase, 20), (overlap_window, 70)):
        predictions = {r["id"]: baseline(r["question"], r["context"]) for r in validation}
        assert all(predictions[r["id"]] in r["context"] for r in validation)
        assert squad_scores(predictions, validation)["f1"] < ceiling, baseline.__name__


def test_passages_and_split_reject_bad_arguments():
    with pytest.raises(ValueError, match="max_words"):
        qa_data.passages("Some text. More text.", max_words=3)
    with pytest.raises(ValueError, match="split"):
        qa_data.question_kinds("test")


def test_the_source_is_the_343_distinct_lee_news_articles_the_notebook_names():
    """Notebook 08 says the questions come from 343 distinct articles (300 + 50 lines, 7 repeated)."""
    from helpers.course import assets

    articles = qa_data._read_articles(assets.path("gensim-data"))
    assert len(articles) == 350 and len(set(articles)) == 343
