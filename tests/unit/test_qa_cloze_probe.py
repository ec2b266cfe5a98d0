"""helpers.qa_baselines.cloze_alignment: the copy probe of notebook 08, section 3, by hand and on the data."""
from __future__ import annotations

from helpers.data.qa import load_news_qa
from helpers.data.qa_variants import paraphrase, question_type
from helpers.metrics import squad_scores
from helpers.qa_baselines import cloze_alignment

CONTEXT = "The storm hit Sydney on Monday. About 500 residents left their homes in Hill Top."


def test_the_probe_fills_the_question_phrase_slot_by_hand():
    assert cloze_alignment("About how many residents left their homes?", CONTEXT) == "500"
    assert cloze_alignment("Residents left their homes in which place?", CONTEXT) == "Hill Top"
    assert cloze_alignment("The storm hit which place on Monday?", CONTEXT) == "Sydney"
    assert cloze_alignment("Storm?", CONTEXT) in CONTEXT  # no question phrase: overlap_window's answer


def test_the_probe_solves_template_questions_and_fails_on_their_paraphrases():
    validation = load_news_qa()["validation"]
    template = validation.filter(lambda r: question_type(r["id"]) == "template")
    paraphrased = template.map(lambda r: {"question": paraphrase(r["question"])})
    copied = squad_scores({r["id"]: cloze_alignment(r["question"], r["context"]) for r in template}, template)
    moved = squad_scores({r["id"]: cloze_alignment(r["question"], r["context"]) for r in paraphrased}, paraphrased)
    assert copied["f1"] > 60 and moved["f1"] < copied["f1"] - 25
