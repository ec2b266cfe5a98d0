"""The tokenizer playground (notebook 03): type a text, see its WordPiece pieces, ids, offsets and special tokens.

    view = tokenizer_view("Tokenizers split 'transformerification'.", tokenizer)   # the numbers, no widget
    tokenizer_html(view)                                                            # one row per token
    tokenizer_playground(tokenizer)                                                 # the live text boxes

The view is exactly what ``tokenizer(text)`` returns (ids, segment ids), with the offsets mapping of
section 2.5 turned into the slice of the input that each token covers.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import ipywidgets as widgets

from ..course.validation import require_int, require_str, require_tokenizer
from . import markup
from .core import Playground

DEFAULT_TEXT = "Tokenizers split rare words like 'transformerification' into pieces: a naïve café charged 3.50€."
MAX_CHARACTERS = 500  # a sentence or two: the table has one row per token


@dataclass(frozen=True)
class TokenizerView:
    """One text (and an optional second one) as the tokenizer sees it: one entry per token, in order.

    ``offsets[i]`` is ``(start, end)`` in the text token i came from (``segments[i]``: 0 the first box,
    1 the second); special tokens have ``(0, 0)``. ``covered[i]`` is that slice of the input.

    Not taught: a record of the playground; the notebook reads its fields.
    """

    text: str
    pair: str
    tokens: tuple[str, ...]
    ids: tuple[int, ...]
    offsets: tuple[tuple[int, int], ...]
    segments: tuple[int, ...]
    covered: tuple[str, ...]
    kinds: tuple[str, ...]  # "added", "special", "unknown", "continuation" (## piece) or "word start"

    @property
    def special(self) -> tuple[bool, ...]:
        """Whether each token is a special one: added ([CLS], [SEP]), typed ([MASK]) or [UNK]."""
        return tuple(kind in ("added", "special", "unknown") for kind in self.kinds)


def _check_text(name: str, text: object, limit: int) -> str:
    text = require_str(name, text, empty=True)
    if len(text) > limit:
        raise ValueError(f"{name} must be at most {limit:,} characters (a sentence or two), got {len(text):,}")
    return text


def tokenizer_view(text: str, tokenizer, pair: str = "", max_characters: int = MAX_CHARACTERS) -> TokenizerView:
    """``tokenizer(text)`` (or ``tokenizer(text, pair)`` when ``pair`` is not empty) token by token.

    Each token gets its piece, its id, its segment, its character offsets and the slice of the input
    they cover, and a kind: a special token the tokenizer added (``[CLS]``, ``[SEP]``), ``[UNK]`` for
    a word the vocabulary cannot spell, a ``##`` continuation of a word, or the start of a word.
    The ids are ``tokenizer(text)["input_ids"]``. An empty text gives just ``[CLS] [SEP]``.

    Taught in: notebook 03, section 2.
    """
    tokenizer = require_tokenizer("tokenizer", tokenizer)
    if not getattr(tokenizer, "is_fast", False):
        raise TypeError("tokenizer must be a fast tokenizer (AutoTokenizer.from_pretrained gives one), since the "
                        f"offsets need it, got {type(tokenizer).__name__}")
    max_characters = require_int("max_characters", max_characters, minimum=1)
    text = _check_text("text", text, max_characters)
    pair = _check_text("pair", pair, max_characters)
    encoding = tokenizer(text, pair, return_offsets_mapping=True) if pair else tokenizer(text,
                                                                                          return_offsets_mapping=True)
    ids = tuple(int(i) for i in encoding["input_ids"])
    tokens = tuple(tokenizer.convert_ids_to_tokens(list(ids)))
    sequence = encoding.sequence_ids()  # None for an added special token, else 0 or 1: the text it came from
    segments = tuple(int(s) for s in encoding["token_type_ids"]) if "token_type_ids" in encoding else tuple(
        0 if s is None else s for s in sequence)
    offsets = tuple((int(start), int(end)) for start, end in encoding["offset_mapping"])
    sources = [None if s is None else (text, pair)[s] for s in sequence]
    covered = tuple("" if source is None else source[start:end] for source, (start, end) in zip(sources, offsets))
    kinds = tuple("added" if source is None else "unknown" if token == tokenizer.unk_token
                  else "special" if token in tokenizer.all_special_tokens
                  else "continuation" if token.startswith("##") else "word start"
                  for token, source in zip(tokens, sources))
    return TokenizerView(text, pair, tokens, ids, offsets, segments, covered, kinds)


_KIND_LABEL = {"added": "★ special, added", "special": "★ special, typed", "unknown": "★ unknown [UNK]",
               "continuation": "## continues a word", "word start": "starts a word"}


def tokenizer_html(view: TokenizerView) -> str:
    """The view as a summary line, the ids, and a table with one row per token (special tokens starred).

    Not taught: the playground's drawing; the notebook shows it through tokenizer_playground.
    """
    if not isinstance(view, TokenizerView):
        raise TypeError(f"view must be a TokenizerView (from tokenizer_view), got {type(view).__name__}")
    split_words = sum(1 for i, kind in enumerate(view.kinds)
                      if kind == "word start" and i + 1 < len(view.kinds) and view.kinds[i + 1] == "continuation")
    summary = (f"{len(view.tokens)} tokens, {sum(view.special) - view.kinds.count('unknown')} special, "
               f"{view.kinds.count('unknown')} [UNK]; {split_words} word(s) split into ## pieces")
    header = ["#", "token", "id", "kind", "characters", "covers"] + (["segment"] if view.pair else [])
    rows = [[i, token, token_id, _KIND_LABEL[kind], "–" if kind == "added" else f"{start}–{end}",
             "(added by the tokenizer)" if kind == "added" else repr(piece)] + ([segment] if view.pair else [])
            for i, (token, token_id, kind, (start, end), piece, segment)
            in enumerate(zip(view.tokens, view.ids, view.kinds, view.offsets, view.covered, view.segments))]
    pieces = " ".join(html.escape(token) for token in view.tokens)
    return (f'<div style="margin:2px 0">{html.escape(summary)}</div>'
            f'<div style="margin:2px 0;font-family:monospace">{pieces}</div>'
            f'<div style="margin:2px 0;font-family:monospace">input_ids = {html.escape(str(list(view.ids)))}</div>'
            + markup.table(rows, header))


def tokenizer_playground(tokenizer, text: str = DEFAULT_TEXT, pair: str = "") -> Playground:
    """A text box (and an optional second one, for a sentence pair) whose tokens are redrawn as you type.

    Taught in: notebook 03, section 2.
    """
    tokenizer = require_tokenizer("tokenizer", tokenizer)
    text = _check_text("text", text, MAX_CHARACTERS)
    pair = _check_text("pair", pair, MAX_CHARACTERS)
    controls = {
        "text": widgets.Text(value=text, description="text", continuous_update=True,
                             layout=widgets.Layout(width="95%")),
        "pair": widgets.Text(value=pair, description="pair (optional)", continuous_update=True,
                             placeholder="a second sentence: [CLS] text [SEP] pair [SEP]",
                             style={"description_width": "initial"}, layout=widgets.Layout(width="95%")),
    }

    def update(text: str, pair: str) -> str:
        return tokenizer_html(tokenizer_view(text, tokenizer, pair))

    return Playground("Tokenizer playground: pieces, ids, offsets and special tokens", controls, update)
