"""helpers.playgrounds.classifier: the probability is softmax of the logits, token scores, HTML, widget."""
import pytest
import torch
from transformers import BertForSequenceClassification, BertTokenizerFast

from tiny_models import tiny_bert
from helpers.attribution import gradient_x_input
from helpers.playgrounds.classifier import ClassifyView, classifier_playground, classify_html, classify_view
from helpers.playgrounds.core import WIDGET_VIEW, STATIC_NOTE

WORDS = ["free", "money", "click", "now", "meeting", "tomorrow", "report", "the", "a", "win", "prize", "hi"]


@pytest.fixture(scope="module")
def tokenizer() -> BertTokenizerFast:
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    return BertTokenizerFast(vocab={token: i for i, token in enumerate(tokens)}, do_lower_case=True)


@pytest.fixture(scope="module")
def model(tokenizer) -> BertForSequenceClassification:
    return tiny_bert(vocab_size=len(tokenizer), layers=2, num_labels=2, id2label={0: "ham", 1: "spam"},
                     label2id={"ham": 0, "spam": 1}, positions=32).eval()


def test_probabilities_are_softmax_of_the_logits(model, tokenizer):
    text = "free money click now"
    view = classify_view(text, model, tokenizer)
    with torch.no_grad():
        logits = model(**tokenizer(text, return_tensors="pt")).logits[0]
    torch.testing.assert_close(torch.tensor(view.probabilities), logits.softmax(-1))
    torch.testing.assert_close(torch.tensor(view.logits), logits)
    assert abs(sum(view.probabilities) - 1) < 1e-6 and view.labels == ("ham", "spam")
    assert view.predicted == ("spam" if logits[1] > logits[0] else "ham") and view.confidence == max(view.probabilities)
    assert view.tokens == ("[CLS]", "free", "money", "click", "now", "[SEP]")


def test_token_scores_are_gradient_x_input(model, tokenizer):
    text = "hi the meeting is tomorrow"
    view = classify_view(text, model, tokenizer)
    expected = gradient_x_input(model, tokenizer(text, return_tensors="pt"))[0]
    torch.testing.assert_close(torch.tensor(view.scores), expected)
    assert all(score > 0 for _, score in view.top_tokens()) and len(view.top_tokens(2)) <= 2
    assert "[CLS]" not in dict(view.top_tokens(10))
    assert classify_view(text, model, tokenizer, explain=False).scores == ()


def test_truncation_is_reported(model, tokenizer):
    view = classify_view("free " * 40, model, tokenizer, max_length=8)
    assert view.truncated and len(view.tokens) == 8
    assert not classify_view("free", model, tokenizer).truncated
    assert "first 8 tokens" in classify_html(view)


def test_html_has_the_numbers_and_escapes(model, tokenizer):
    view = classify_view("<script>alert(1)</script> free", model, tokenizer)
    text = classify_html(view)
    assert f"{view.probabilities[1]:.3f}" in text and f"prediction: {view.predicted}" in text
    assert "<script>" not in text


def test_builder_responds_to_the_box_and_shows_mistakes(model, tokenizer):
    playground = classifier_playground(model, tokenizer, text="free money")
    first = playground.output.value
    playground.controls["text"].value = "hi the report is tomorrow"
    assert playground.output.value != first
    assert "prediction:" in playground.output.value
    playground.controls["text"].value = "   "
    assert "course-playground-error" in playground.output.value and "empty" in playground.output.value
    assert playground.controls["text"].continuous_update is False
    bundle = playground._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and STATIC_NOTE in bundle["text/html"]
