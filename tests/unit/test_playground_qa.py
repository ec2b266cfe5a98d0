"""helpers.playgrounds.qa: the view's answer is the course's post-processing of the same logits, its
span cuts that answer out of the context, its confidence and null score are the model's own numbers."""
import math

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer, BertForQuestionAnswering, DataCollatorWithPadding

from tiny_models import tiny_bert

from helpers import qa, qa_v2
from helpers.course import assets
from helpers.playgrounds.core import STATIC_NOTE, WIDGET_VIEW
from helpers.playgrounds.qa import QAView, qa_html, qa_playground, qa_view

CONTEXT = "The storm hit Sydney on Monday. About 500 residents left their homes in Hill Top."
QUESTION = "How many residents left their homes?"
LONG = " ".join(f"Sentence {i} says that {n} people met in town {i} on day {n}." for i, n in enumerate(range(3, 30, 2)))
WINDOWS = {"max_length": 48, "stride": 12}


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(str(assets.path("encoder")))


@pytest.fixture(scope="module")
def model():
    return tiny_bert(BertForQuestionAnswering, seed=3, vocab_size=30522, hidden_size=16, positions=64).eval()


def course_answer(question, context, model, tokenizer):
    """What notebook 08's cells do for one question: windows, logits, postprocess and null_candidates."""
    examples = {"id": ["q"], "question": [question], "context": [context]}
    features = qa.prepare_eval_features(examples, tokenizer, **WINDOWS)
    starts, ends = qa.predict_logits(model, features, DataCollatorWithPadding(tokenizer))
    return (qa.postprocess(examples, features, starts, ends)["q"],
            qa_v2.null_candidates(examples, features, starts, ends)["q"], features, starts, ends)


@pytest.mark.parametrize("context", [CONTEXT, LONG], ids=["one window", "many windows"])
def test_the_answer_is_the_courses_postprocessing_and_the_span_cuts_it(model, tokenizer, context):
    view = qa_view(QUESTION, context, model, tokenizer, **WINDOWS)
    answer, candidate, features, _, _ = course_answer(QUESTION, context, model, tokenizer)
    assert view.answer == answer != ""
    assert context[view.start:view.end] == view.answer and 0 <= view.start < view.end <= len(context)
    assert view.windows == len(features["input_ids"]) and (view.windows > 1) == (context is LONG)
    assert math.isclose(view.score, candidate.score, rel_tol=1e-6) and math.isclose(view.null_score, candidate.null)
    assert view.candidates[0].text == view.answer and len(view.candidates) == 5
    scores = [c.score for c in view.candidates]
    assert scores == sorted(scores, reverse=True)
    assert len({(c.start, c.end) for c in view.candidates}) == len(view.candidates)  # each span once


def test_confidence_and_null_score_are_the_models_softmaxes(model, tokenizer):
    view = qa_view(QUESTION, CONTEXT, model, tokenizer, **WINDOWS)
    inputs = tokenizer(QUESTION, CONTEXT, return_tensors="pt", return_offsets_mapping=True)
    offsets = inputs.pop("offset_mapping")[0].tolist()
    context_ids = inputs.sequence_ids(0)
    with torch.no_grad():
        out = model(**inputs)
    s, e = out.start_logits[0], out.end_logits[0]  # (T,)
    j = next(i for i, o in enumerate(offsets) if context_ids[i] == 1 and o[0] == view.start)
    k = max(i for i, o in enumerate(offsets) if context_ids[i] == 1 and o[1] == view.end)
    want = (torch.softmax(s, 0)[j] * torch.softmax(e, 0)[k]).item()
    assert view.confidence == pytest.approx(want, rel=1e-4) and 0 < view.confidence < 1
    assert view.score == pytest.approx((s[j] + e[k]).item(), abs=1e-5)
    assert view.null_score == pytest.approx((s[0] + e[0]).item(), abs=1e-5)
    best = view.candidates[0]
    assert (best.probability, best.window) == (view.confidence, 0)


def test_top_k_limits_the_table(model, tokenizer):
    view = qa_view(QUESTION, CONTEXT, model, tokenizer, top_k=2, **WINDOWS)
    assert len(view.candidates) == 2 and view.candidates[0].text == view.answer


def test_html_shows_the_highlighted_answer_and_the_numbers_and_escapes_text(model, tokenizer):
    view = qa_view(QUESTION, CONTEXT, model, tokenizer, **WINDOWS)
    page = qa_html(view)
    assert f'<mark style="background:#ffe08a">{view.answer}</mark>' in page
    assert f"{view.confidence:.3f}" in page and f"{view.null_score:.2f}" in page and f"{view.score:.2f}" in page
    for c in view.candidates:
        assert f"{c.probability:.3f}" in page
    nasty = qa_html(qa_view("<script>alert(1)</script> who?", "<script>x</script> Sydney hit.", model, tokenizer,
                            **WINDOWS))
    assert "<script>" not in nasty and "&lt;script&gt;" in nasty
    empty = QAView("q", "c", "", 0, 0, -math.inf, 0.0, (), 1.0, 1)
    assert "No legal span" in qa_html(empty)


def test_the_playground_reacts_and_degrades_to_static_html(model, tokenizer):
    playground = qa_playground(model, tokenizer, question=QUESTION, context=CONTEXT, **WINDOWS)
    first = playground.output.value
    assert first == qa_html(qa_view(QUESTION, CONTEXT, model, tokenizer, **WINDOWS))
    assert all(not c.continuous_update for c in playground.controls.values())
    playground.controls["question"].value = "Where did the storm hit?"
    assert playground.output.value != first
    assert playground.output.value == qa_html(qa_view("Where did the storm hit?", CONTEXT, model, tokenizer, **WINDOWS))
    playground.controls["question"].value = "   "
    assert "course-playground-error" in playground.output.value and "question" in playground.output.value
    playground.controls["question"].value = QUESTION
    bundle = playground._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and STATIC_NOTE in bundle["text/html"] and "<mark" in bundle["text/html"]


def test_the_default_playground_is_instructive(model, tokenizer):
    playground = qa_playground(model, tokenizer, **WINDOWS)
    assert "<mark" in playground.output.value and "null score" in playground.output.value
