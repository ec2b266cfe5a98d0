"""The tokenizer playground of notebook 03: the view is the tokenizer's own output, the HTML shows it
escaped, and the text boxes redraw it (or show one sentence for an unusable input)."""
from __future__ import annotations

import pytest

from helpers.playgrounds.core import STATIC_NOTE, WIDGET_VIEW
from helpers.playgrounds.tokenizer import (DEFAULT_TEXT, TokenizerView, tokenizer_html, tokenizer_playground,
                                           tokenizer_view)


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from helpers import settings

    return AutoTokenizer.from_pretrained(settings().models.encoder)  # bert-base-uncased's WordPiece vocabulary


@pytest.mark.parametrize("text", [DEFAULT_TEXT, "", "The snow☃man melted.", "Don't panic: it's only 42!"])
def test_the_view_is_the_tokenizers_own_encoding(tokenizer, text):
    view = tokenizer_view(text, tokenizer)
    assert list(view.ids) == tokenizer(text)["input_ids"]
    assert list(view.tokens) == tokenizer.convert_ids_to_tokens(tokenizer(text)["input_ids"])
    assert list(view.offsets) == [tuple(o) for o in tokenizer(text, return_offsets_mapping=True)["offset_mapping"]]
    assert len(view.tokens) == len(view.covered) == len(view.kinds) == len(view.segments)
    for piece, (start, end), kind in zip(view.covered, view.offsets, view.kinds):
        assert piece == ("" if kind == "added" else text[start:end])


def test_an_empty_text_is_cls_and_sep(tokenizer):
    view = tokenizer_view("", tokenizer)
    assert view.tokens == ("[CLS]", "[SEP]") and view.kinds == ("added", "added") and all(view.special)


def test_a_rare_word_splits_into_pieces_that_cover_it_exactly(tokenizer):
    text = "They said 'transformerification' twice."
    view = tokenizer_view(text, tokenizer)
    start = text.index("transformerification")
    inside = [i for i, (s, e) in enumerate(view.offsets) if view.kinds[i] != "added"
              and start <= s and e <= start + len("transformerification")]
    assert len(inside) >= 2
    assert view.kinds[inside[0]] == "word start" and all(view.kinds[i] == "continuation" for i in inside[1:])
    assert all(view.tokens[i].startswith("##") for i in inside[1:])
    assert "".join(view.covered[i] for i in inside) == "transformerification"


def test_accents_numbers_unknown_and_typed_special_tokens(tokenizer):
    view = tokenizer_view("A naïve [MASK] snow☃man paid 3.50€", tokenizer)
    by_token = dict(zip(view.tokens, zip(view.covered, view.kinds)))
    assert by_token["naive"] == ("naïve", "word start")  # uncased: the accent is stripped, the offsets keep it
    assert by_token["[MASK]"] == ("[MASK]", "special")
    assert by_token["[UNK]"] == ("snow☃man", "unknown")  # one missing character, the whole word
    assert by_token["##€"][1] == "continuation"
    assert view.special == tuple(kind in ("added", "special", "unknown") for kind in view.kinds)


def test_a_sentence_pair_gets_segments_and_offsets_into_each_box(tokenizer):
    view = tokenizer_view("Where is the bank?", tokenizer, pair="On the river.")
    encoding = tokenizer("Where is the bank?", "On the river.")
    assert list(view.ids) == encoding["input_ids"] and list(view.segments) == encoding["token_type_ids"]
    assert view.tokens.count("[SEP]") == 2 and view.covered[view.tokens.index("river")] == "river"


def test_the_html_shows_the_numbers_and_escapes_the_text(tokenizer):
    view = tokenizer_view("<script>alert(1)</script> transformerification", tokenizer)
    page = tokenizer_html(view)
    assert "<script>" not in page and "&lt;" in page
    assert str(list(view.ids)) in page
    assert "##eri" in page and "★ special, added" in page and "segment" not in page
    assert "segment" in tokenizer_html(tokenizer_view("a", tokenizer, pair="b"))
    with pytest.raises(TypeError, match="view must be a TokenizerView"):
        tokenizer_html("not a view")


def test_the_playground_redraws_and_shows_one_sentence_for_a_bad_input(tokenizer):
    playground = tokenizer_playground(tokenizer)
    first = playground.output.value
    assert "transform" in first and "##fication" in first
    playground.controls["text"].value = "Hello"
    assert playground.output.value != first and "hello" in playground.output.value
    assert playground.output.value == tokenizer_html(tokenizer_view("Hello", tokenizer))
    playground.controls["pair"].value = "World"
    assert "segment" in playground.output.value and "world" in playground.output.value
    playground.controls["text"].value = "x" * 501
    assert "course-playground-error" in playground.output.value and "at most 500 characters" in playground.output.value
    bundle = playground._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and STATIC_NOTE in bundle["text/html"].replace("&#x27;", "'")
    assert isinstance(tokenizer_view("", tokenizer), TokenizerView)
