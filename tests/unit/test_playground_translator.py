"""Notebook 07's translator playground on a tiny random BERT2BERT (built here, no asset): the view's tokens and
log-probabilities against a teacher-forced forward pass and against the model's own ``generate(...,
output_scores=True)``, the HTML, and the widget wiring."""
from __future__ import annotations

import math

import pytest
import torch
from transformers import BertConfig, BertLMHeadModel, BertModel, BertTokenizerFast, EncoderDecoderModel

from helpers.playgrounds.core import STATIC_NOTE, WIDGET_VIEW
from helpers.playgrounds.translator import (Candidate, TranslationView, translation_html, translation_view,
                                            translator_playground)
from helpers.seq2seq import generate, set_special_tokens

WORDS = "new password save delete user group nieuw wachtwoord opslaan verwijderen gebruiker groep : . de het".split()
LIMITS = dict(max_source_length=12, max_new_tokens=6)


def tiny_bert2bert(seed: int = 0):
    """A random 1-layer BERT2BERT with a 21-token vocabulary, its start, end and pad tokens set as warm_start sets them."""
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    tokenizer = BertTokenizerFast(vocab={token: i for i, token in enumerate(tokens)}, do_lower_case=True)
    config = dict(vocab_size=len(tokens), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                  intermediate_size=32, max_position_embeddings=32, pad_token_id=0)
    torch.manual_seed(seed)
    model = EncoderDecoderModel(encoder=BertModel(BertConfig(**config)),
                                decoder=BertLMHeadModel(BertConfig(is_decoder=True, add_cross_attention=True, **config)))
    set_special_tokens(model, tokenizer)
    return model.eval(), tokenizer


@pytest.fixture(scope="module")
def tiny():
    return tiny_bert2bert()


def forced_log_probs(model, tokenizer, text: str, tokens: tuple[str, ...]) -> list[float]:
    """log p(token_t | tokens before it, source) from one teacher-forced forward pass over ``tokens``."""
    ids = tokenizer.convert_tokens_to_ids(list(tokens))
    source = tokenizer([text], return_tensors="pt")
    decoder_inputs = torch.tensor([[model.config.decoder_start_token_id, *ids[:-1]]])
    with torch.no_grad():
        logits = model(**source, decoder_input_ids=decoder_inputs).logits  # (1, T, V)
    return logits.log_softmax(-1)[0, torch.arange(len(ids)), ids].tolist()


def test_greedy_is_the_notebooks_generate_and_each_token_is_the_most_probable(tiny):
    model, tokenizer = tiny
    view = translation_view("New password:", model, tokenizer, decoding="greedy", **LIMITS)
    assert view.num_beams == 1 and len(view.candidates) == 1
    assert view.translation == generate(model, tokenizer, ["New password:"], **LIMITS)[0]
    best = view.best
    assert 1 <= len(best.tokens) <= LIMITS["max_new_tokens"] and len(best.log_probs) == len(best.tokens)
    assert best.log_probs == pytest.approx(forced_log_probs(model, tokenizer, "New password:", best.tokens), abs=1e-5)
    assert best.score == pytest.approx(best.mean_log_prob) and best.total_log_prob == pytest.approx(sum(best.log_probs))
    assert all(0 < p <= 1 for p in best.probabilities)
    # greedy: every output token was the arg-max of its step
    ids = tokenizer.convert_tokens_to_ids(list(best.tokens))
    decoder_inputs = torch.tensor([[model.config.decoder_start_token_id, *ids[:-1]]])
    with torch.no_grad():
        logits = model(**tokenizer(["New password:"], return_tensors="pt"), decoder_input_ids=decoder_inputs).logits
    assert logits[0].argmax(-1).tolist() == ids


@pytest.mark.parametrize("beams", [2, 4])
def test_beam_candidates_are_the_models_own_n_best_with_its_scores(tiny, beams):
    model, tokenizer = tiny
    view = translation_view("save the user group", model, tokenizer, decoding="beam", num_beams=beams, **LIMITS)
    batch = tokenizer(["save the user group"], return_tensors="pt")
    out = model.generate(**batch, max_new_tokens=LIMITS["max_new_tokens"], num_beams=beams, num_return_sequences=beams,
                         output_scores=True, return_dict_in_generate=True)
    assert [c.score for c in view.candidates] == pytest.approx(out.sequences_scores.tolist(), abs=1e-6)
    assert [c.text for c in view.candidates] == [t.strip() for t in
                                                tokenizer.batch_decode(out.sequences, skip_special_tokens=True)]
    assert view.translation == generate(model, tokenizer, ["save the user group"], **LIMITS, num_beams=beams)[0]
    scores = [c.score for c in view.candidates]
    assert len(scores) == beams and scores == sorted(scores, reverse=True)
    for candidate in view.candidates:  # length_penalty 1.0: the beam score is the mean log-probability per token
        assert candidate.log_probs == pytest.approx(
            forced_log_probs(model, tokenizer, "save the user group", candidate.tokens), abs=1e-5)
        assert candidate.score == pytest.approx(candidate.total_log_prob / len(candidate.tokens), abs=1e-5)


def test_beam_scores_follow_the_models_length_penalty():
    model, tokenizer = tiny_bert2bert(seed=1)
    model.generation_config.length_penalty = 2.0
    view = translation_view("delete", model, tokenizer, decoding="beam", num_beams=3, **LIMITS)
    for candidate in view.candidates:
        assert candidate.score == pytest.approx(candidate.total_log_prob / len(candidate.tokens) ** 2, abs=1e-5)


def test_an_output_that_ends_early_keeps_only_its_own_tokens(tiny):
    model, tokenizer = tiny
    sep = tokenizer.sep_token_id
    with torch.no_grad():  # make [SEP] likely, so some beams finish before max_new_tokens
        model.decoder.cls.predictions.decoder.bias[sep] += 2.5
    try:
        view = translation_view("new user", model, tokenizer, decoding="beam", num_beams=4, **LIMITS)
    finally:
        with torch.no_grad():
            model.decoder.cls.predictions.decoder.bias[sep] -= 2.5
    lengths = {len(c.tokens) for c in view.candidates}
    assert len(lengths) > 1  # candidates of different lengths
    for candidate in view.candidates:
        assert "[PAD]" not in candidate.tokens
        assert candidate.tokens[-1] == "[SEP]" or len(candidate.tokens) == LIMITS["max_new_tokens"]
        assert candidate.score == pytest.approx(candidate.total_log_prob / len(candidate.tokens), abs=1e-5)


def test_max_new_tokens_caps_the_output(tiny):
    model, tokenizer = tiny
    for decoding in ("greedy", "beam"):
        view = translation_view("new password", model, tokenizer, decoding=decoding, max_source_length=8,
                                max_new_tokens=2)
        assert all(len(c.tokens) <= 2 for c in view.candidates)


def test_html_shows_the_numbers_and_escapes_text():
    candidates = (Candidate("nieuw <wachtwoord>", ("nieuw", "<b>", "[SEP]"), (-0.1, -0.5, -0.05), -0.2167),
                  Candidate("nieuw", ("nieuw", "[SEP]"), (-0.1, -0.9), -0.5))
    page = translation_html(TranslationView("<script>alert(1)</script>", "beam", 2, candidates))
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;wachtwoord&gt;" in page
    assert "<b>nieuw &lt;wachtwoord&gt;</b>" in page
    assert f"{math.exp(-0.1):.3f}" in page and f"{math.exp(-0.5):.3f}" in page  # the token bars
    assert "-0.650" in page and "-0.217" in page and "-0.500" in page  # log p(output), beam scores
    assert "n-best" in page and page.count("<tr>") == 3  # a header and two candidates
    greedy = translation_html(TranslationView("New", "greedy", 1, candidates[1:]))
    assert "n-best" not in greedy and "greedy" in greedy and "-0.500" in greedy


def test_the_playground_redraws_when_a_control_changes(tiny):
    model, tokenizer = tiny
    playground = translator_playground(model, tokenizer, **LIMITS)
    assert playground.controls["text"].continuous_update is False
    first = playground.output.value
    assert first == translation_html(translation_view("New password:", model, tokenizer, decoding="beam", num_beams=4,
                                                      **LIMITS))
    playground.controls["decoding"].value = "greedy"
    greedy = playground.output.value
    assert greedy != first and "n-best" not in greedy
    playground.controls["text"].value = "delete the group"
    assert playground.output.value != greedy and "delete the group" in playground.output.value
    playground.controls["text"].value = "   "
    assert "course-playground-error" in playground.output.value and "text" in playground.output.value
    playground.controls["text"].value = "new user"
    playground.controls["decoding"].value = "beam"
    playground.controls["num_beams"].value = 3
    assert playground.output.value.count("<tr>") == 4  # header + 3 beams
    bundle = playground._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and STATIC_NOTE in bundle["text/html"] and "n-best" in bundle["text/html"]


def test_a_model_that_is_not_an_encoder_decoder_is_refused(tiny):
    _, tokenizer = tiny
    with pytest.raises(TypeError, match="encoder-decoder"):
        translation_view("new", BertModel(BertConfig(vocab_size=21, hidden_size=16, num_hidden_layers=1,
                                                     num_attention_heads=2, intermediate_size=32)), tokenizer)
