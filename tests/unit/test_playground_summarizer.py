"""helpers.playgrounds.summarizer (notebook 09, section 7): the summary is what helpers.seq2seq.generate writes
with the chosen setting, its repetition is helpers.decoding's and its ROUGE rouge-score's (against a typed
reference, else the lead sentence); the HTML escapes user text; the widget re-decodes when a control changes.
The model is a tiny warm-started BERT2BERT built here (no asset, untrained: it loops, which is what the
repetition measures need)."""
import pytest
import torch
from transformers import BertConfig, BertModel, BertTokenizerFast

from helpers.data.summarization import lead
from helpers.decoding import repeated_ngram_rate
from helpers.playgrounds.core import STATIC_NOTE, WIDGET_VIEW
from helpers.playgrounds.summarizer import summarizer_playground, summary_html, summary_view
from helpers.seq2seq import generate, warm_start
from helpers.seq2seq_metrics import rouge_scores

WORDS = "save delete change password user group add the a of is on cat mat sat".split()
DOCUMENT = "Save the user on the mat. Delete a group of the user."
DECODE = {"max_source_length": 16, "max_new_tokens": 16, "batch_size": 8, "prefix": ""}


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
    hidden = [tokenizer.convert_tokens_to_ids(t) for t in ("[PAD]", "[UNK]", "[CLS]", "[MASK]")]
    settings = {"greedy": {"suppress_tokens": hidden},
                "greedy, no_repeat_ngram_size=2": {"no_repeat_ngram_size": 2, "suppress_tokens": hidden},
                "greedy, min_length=10": {"min_length": 10, "suppress_tokens": hidden},
                "2 beams, no_repeat 3": {"num_beams": 2, "no_repeat_ngram_size": 3, "suppress_tokens": hidden}}
    return model, tokenizer, settings


def test_the_summary_is_what_generate_writes_with_the_chosen_setting(warm):
    model, tokenizer, settings = warm
    for name in ("greedy", "2 beams, no_repeat 3"):
        kwargs = settings[name]
        view = summary_view(DOCUMENT, model, tokenizer, settings=settings, decoding=name, decode=DECODE)
        assert view.summary == generate(model, tokenizer, [DOCUMENT], **DECODE, **kwargs)[0]
        assert view.words == len(view.summary.split()) and view.decoding == name
        assert view.repeated_bigrams == repeated_ngram_rate(view.summary, 2)
        assert view.repeated_trigrams == repeated_ngram_rate(view.summary, 3)


def test_the_constraints_act_on_the_summary(warm):
    model, tokenizer, settings = warm
    views = {name: summary_view(DOCUMENT, model, tokenizer, settings=settings, decoding=name, decode=DECODE)
             for name in settings}
    assert views["greedy"].repeated_bigrams > 0.1                       # an untrained decoder loops
    assert views["greedy, no_repeat_ngram_size=2"].repeated_bigrams == 0.0  # one token per word: none twice
    assert views["2 beams, no_repeat 3"].repeated_trigrams == 0.0
    assert views["greedy, min_length=10"].words >= 8                   # [CLS] counts towards min_length


def test_rouge_is_against_the_reference_or_else_the_lead_sentence(warm):
    model, tokenizer, settings = warm
    typed = summary_view(DOCUMENT, model, tokenizer, settings=settings, decoding="greedy", decode=DECODE,
                         reference="  save the user.  ")
    assert typed.reference_kind == "reference" and typed.reference == "save the user."
    assert dict(typed.rouge) == pytest.approx(rouge_scores([typed.summary], ["save the user."]))
    untyped = summary_view(DOCUMENT, model, tokenizer, settings=settings, decoding="greedy", decode=DECODE)
    assert untyped.reference_kind == "lead sentence" and untyped.reference == lead(DOCUMENT, 1) == "Save the user on the mat."
    assert dict(untyped.rouge) == pytest.approx(rouge_scores([untyped.summary], [lead(DOCUMENT, 1)]))
    assert [name for name, _ in untyped.rouge] == ["rouge1", "rouge2", "rougeL"]


def test_the_html_shows_the_numbers_and_escapes_user_text(warm):
    model, tokenizer, settings = warm
    view = summary_view("<script>alert(1)</script> Save the user.", model, tokenizer, settings=settings,
                        decoding="greedy", decode=DECODE, reference="<script>alert(2)</script>")
    page = summary_html(view)
    assert "<script>" not in page and "&lt;script&gt;alert(2)" in page
    assert f">{view.words}<" in page and f"{100 * view.repeated_bigrams:.1f}" in page
    assert f"{dict(view.rouge)['rougeL']:.1f}" in page
    with pytest.raises(TypeError, match="view"):
        summary_html("a summary")


def test_the_playground_re_decodes_when_a_control_changes(warm):
    model, tokenizer, settings = warm
    playground = summarizer_playground(model, tokenizer, settings=settings, decode=DECODE, document=DOCUMENT,
                                       reference="save the user.")
    assert playground.controls["document"].continuous_update is False
    assert playground.controls["reference"].continuous_update is False
    assert list(playground.controls["decoding"].options) == list(settings)
    first = playground.output.value
    assert first == summary_html(summary_view(DOCUMENT, model, tokenizer, settings=settings, decoding="greedy",
                                              decode=DECODE, reference="save the user."))
    playground.controls["decoding"].value = "greedy, no_repeat_ngram_size=2"
    assert playground.output.value != first and "no_repeat_ngram_size=2" in playground.output.value
    playground.controls["reference"].value = ""
    assert "lead sentence" in playground.output.value
    playground.controls["document"].value = "   "
    assert "document must be a non-empty string" in playground.output.value  # a sentence, not a traceback
    bundle = playground._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and STATIC_NOTE in bundle["text/html"]


def test_the_default_decoding_can_be_chosen(warm):
    model, tokenizer, settings = warm
    playground = summarizer_playground(model, tokenizer, settings=settings, decode=DECODE, document=DOCUMENT,
                                       decoding="2 beams, no_repeat 3")
    assert playground.controls["decoding"].value == "2 beams, no_repeat 3"
    assert "2 beams, no_repeat 3" in playground.static_html()
