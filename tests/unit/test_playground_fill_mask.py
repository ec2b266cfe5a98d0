"""The fill-mask and generation playground of notebook 04: the masked LM's top k is the softmax of its
logits at the blank (as the fill-mask pipeline gives it), the causal LM's continuation is the notebook's
greedy generate() from the words before the blank, and only the masked LM reads the words after it."""
from __future__ import annotations

import pytest
import torch
from transformers import RoFormerForCausalLM, RoFormerForMaskedLM, pipeline

from helpers import pretraining
from helpers.data import corpus
from helpers.playgrounds.core import STATIC_NOTE, WIDGET_VIEW
from helpers.playgrounds.fill_mask import FillMaskView, fill_mask_html, fill_mask_playground, fill_mask_view

TEXTS = ["The jury said it would investigate the election. " * 3,
         "A quiet morning in the city; the mayor spoke about taxes and schools."] * 20
SENTENCE = "The jury said the [MASK] was not guilty."


@pytest.fixture(scope="module")
def models():
    wordpiece, bpe = corpus.train_wordpiece(TEXTS, 300), corpus.train_byte_bpe(TEXTS, 400)
    size = pretraining.ModelSize(1, 16, 2, 32)
    torch.manual_seed(0)
    mlm = RoFormerForMaskedLM(pretraining.mlm_config(len(wordpiece), size, wordpiece.pad_token_id)).eval()
    lm = RoFormerForCausalLM(pretraining.lm_config(len(bpe), size, bpe.eos_token_id)).eval()
    return mlm, wordpiece, lm, bpe


def test_the_top_k_is_the_softmax_at_the_blank_and_the_pipelines_answer(models):
    mlm, wordpiece, lm, bpe = models
    view = fill_mask_view(SENTENCE, mlm, wordpiece, lm, bpe, k=7)
    encoding = wordpiece(SENTENCE, return_tensors="pt")
    blank = int((encoding["input_ids"][0] == wordpiece.mask_token_id).nonzero())
    with torch.no_grad():
        probabilities = mlm(**encoding).logits[0, blank].softmax(-1)  # (V,)
    top = probabilities.topk(7)
    assert view.fillers == tuple(wordpiece.convert_ids_to_tokens(top.indices.tolist()))
    torch.testing.assert_close(torch.tensor(view.probabilities), top.values)
    guesses = pipeline("fill-mask", model=mlm, tokenizer=wordpiece)(SENTENCE, top_k=7)
    assert [g["token"] for g in guesses] == top.indices.tolist()
    torch.testing.assert_close(torch.tensor(view.probabilities), torch.tensor([g["score"] for g in guesses]))
    assert list(view.probabilities) == sorted(view.probabilities, reverse=True) and sum(view.probabilities) <= 1


def test_the_continuation_is_greedy_generation_from_the_words_before_the_blank(models):
    mlm, wordpiece, lm, bpe = models
    view = fill_mask_view(SENTENCE, mlm, wordpiece, lm, bpe, new_tokens=6)
    assert view.left == "The jury said the" and view.sentence[view.mask_start:view.mask_end] == "[MASK]"
    prompt = bpe(view.left, return_tensors="pt")
    greedy = lm.generate(input_ids=prompt["input_ids"], attention_mask=prompt["attention_mask"], do_sample=False,
                         max_new_tokens=6, pad_token_id=bpe.eos_token_id)[0]  # the notebook's greedy call
    new = greedy[prompt["input_ids"].shape[1]:]
    assert view.continuation_text == bpe.decode(new) and len(view.continuation) == len(new)
    with torch.no_grad():
        probabilities = lm(input_ids=greedy[None]).logits[0].softmax(-1)  # (T, V): position t predicts t + 1
    start = prompt["input_ids"].shape[1] - 1
    expected = [float(probabilities[start + i, token]) for i, token in enumerate(new.tolist())]
    torch.testing.assert_close(torch.tensor(view.continuation_probabilities), torch.tensor(expected))


def test_only_the_masked_lm_reads_the_words_after_the_blank(models):
    mlm, wordpiece, lm, bpe = models
    first = fill_mask_view(SENTENCE, mlm, wordpiece, lm, bpe)
    other = fill_mask_view("The jury said the [MASK] of the city was closed.", mlm, wordpiece, lm, bpe)
    assert (first.continuation, first.continuation_probabilities) == (other.continuation,
                                                                     other.continuation_probabilities)
    assert first.probabilities != other.probabilities
    earlier = fill_mask_view("A mayor said the [MASK] was not guilty.", mlm, wordpiece, lm, bpe)
    assert earlier.continuation_probabilities != first.continuation_probabilities


def test_a_blank_at_the_start_continues_from_the_end_of_text_token(models):
    mlm, wordpiece, lm, bpe = models
    view = fill_mask_view("[MASK] said the jury.", mlm, wordpiece, lm, bpe, new_tokens=3)
    assert view.left == "" and len(view.continuation) == 3 and len(view.fillers) == 5


@pytest.mark.parametrize("sentence, message", [("No blank here.", "got none"), ("[MASK] and [MASK].", "got 2 of them"),
                                               ("a [mask] in lower case", "in capitals"),
                                               ("word " * 40 + "[MASK]", "at most 32 tokens")])
def test_a_sentence_without_one_usable_blank_says_what_to_type(models, sentence, message):
    mlm, wordpiece, lm, bpe = models
    with pytest.raises(ValueError, match="sentence must") as info:
        fill_mask_view(sentence, mlm, wordpiece, lm, bpe)
    assert message in str(info.value)


def test_the_html_shows_both_columns_and_escapes_the_sentence(models):
    mlm, wordpiece, lm, bpe = models
    view = fill_mask_view("<script>x</script> the [MASK] said", mlm, wordpiece, lm, bpe, k=3)
    page = fill_mask_html(view)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "Masked LM" in page and "Causal LM" in page and page.count("margin:1px 0") == 3 + len(view.continuation)
    assert f"{view.probabilities[0]:.3f}" in page and f"{sum(view.probabilities):.3f}" in page
    with pytest.raises(TypeError, match="view must be a FillMaskView"):
        fill_mask_html(None)


def test_the_playground_redraws_and_shows_one_sentence_for_a_bad_input(models):
    mlm, wordpiece, lm, bpe = models
    playground = fill_mask_playground(mlm, wordpiece, lm, bpe, sentence=SENTENCE)
    first = playground.output.value
    assert first == fill_mask_html(fill_mask_view(SENTENCE, mlm, wordpiece, lm, bpe))
    playground.controls["k"].value = 2
    assert playground.output.value != first and "top 2" in playground.output.value
    playground.controls["sentence"].value = "No blank here."
    assert "course-playground-error" in playground.output.value and "exactly once" in playground.output.value
    playground.controls["sentence"].value = "The mayor said the [MASK] was new."
    assert "The mayor said the" in playground.output.value
    bundle = playground._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and STATIC_NOTE in bundle["text/html"]
    assert isinstance(fill_mask_view(SENTENCE, mlm, wordpiece, lm, bpe), FillMaskView)
