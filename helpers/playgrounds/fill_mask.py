"""The fill-mask and generation playground (notebook 04): one sentence with ``[MASK]``, both models side by side.

    view = fill_mask_view("The jury said the [MASK] was not guilty.", mlm_model, wordpiece, lm_model, bpe)
    fill_mask_html(view)         # the MLM's top-k for the blank | the LM's continuation of the words before it
    fill_mask_playground(mlm_model, wordpiece, lm_model, bpe)        # the live text box and sliders

The masked LM reads the whole sentence, on both sides of the blank; the causal LM reads only the
words before it and continues them greedily (the notebook's ``generate(do_sample=False)``), so the
words after the blank change the first and never the second.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import ipywidgets as widgets
import torch

from ..course.validation import require_int, require_model, require_str, require_tokenizer
from . import markup
from .core import Playground

DEFAULT_SENTENCE = "The jury said the [MASK] was not guilty."
MAX_K = 20
MAX_NEW_TOKENS = 20


@dataclass(frozen=True)
class FillMaskView:
    """What each model makes of one sentence with one ``[MASK]``.

    ``fillers`` are the masked LM's ``k`` likeliest tokens for the blank (WordPiece pieces, ``##`` kept)
    with their ``probabilities``, likeliest first; ``left`` is the text before the blank, all the
    causal LM reads; ``continuation`` its greedy next tokens, each with its probability.

    Not taught: a record of the playground; the notebook reads its fields.
    """

    sentence: str
    mask_start: int  # sentence[mask_start:mask_end] is the [MASK]
    mask_end: int
    left: str
    fillers: tuple[str, ...]
    probabilities: tuple[float, ...]
    continuation: tuple[str, ...]
    continuation_probabilities: tuple[float, ...]

    @property
    def continuation_text(self) -> str:
        """The causal LM's continuation as text: its tokens decoded one after the other."""
        return "".join(self.continuation)


def _blank(sentence: str, mask_token: str) -> int:
    """Where the one ``mask_token`` of ``sentence`` starts; a ValueError saying what to type otherwise."""
    count = sentence.count(mask_token)
    if count != 1:
        got = "none" if count == 0 else f"{count} of them"
        raise ValueError(f"sentence must contain {mask_token} exactly once (in capitals, where the masked LM "
                         f"should fill in a word), got {got}")
    return sentence.index(mask_token)


def _device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def _fill(sentence: str, model, tokenizer, k: int) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """The masked LM's ``k`` likeliest tokens for the blank and their probabilities (softmax over the vocabulary)."""
    encoding = tokenizer(sentence, return_tensors="pt")
    limit = model.config.max_position_embeddings
    if encoding["input_ids"].shape[1] > limit:
        raise ValueError(f"sentence must be at most {limit} tokens for this masked LM, got "
                         f"{encoding['input_ids'].shape[1]}")
    blank = (encoding["input_ids"][0] == tokenizer.mask_token_id).nonzero()
    if len(blank) != 1:
        raise ValueError(f"sentence must give exactly one {tokenizer.mask_token} token, got {len(blank)}")
    model.eval()
    logits = model(**{key: value.to(_device(model)) for key, value in encoding.items()}).logits  # (1, T, V)
    probabilities = logits[0, int(blank[0, 0])].float().softmax(-1).cpu()  # (V,)
    top = probabilities.topk(min(k, probabilities.numel()))
    return (tuple(tokenizer.convert_ids_to_tokens(top.indices.tolist())),
            tuple(float(p) for p in top.values))


@torch.no_grad()
def _continue(left: str, model, tokenizer, new_tokens: int) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Greedy decoding from ``left`` (from the end-of-text token when it is empty): tokens and their probabilities."""
    ids = tokenizer(left)["input_ids"] if left else [tokenizer.eos_token_id]
    limit = model.config.max_position_embeddings
    if len(ids) >= limit:
        raise ValueError(f"sentence must have fewer than {limit} tokens before the blank for this causal LM, "
                         f"got {len(ids)}")
    model.eval()
    prompt = torch.tensor([ids], device=_device(model))  # (1, T)
    out = model.generate(input_ids=prompt, attention_mask=torch.ones_like(prompt), do_sample=False,
                         max_new_tokens=min(new_tokens, limit - len(ids)), pad_token_id=tokenizer.eos_token_id,
                         output_logits=True, return_dict_in_generate=True)
    generated = out.sequences[0, len(ids):].tolist()
    probabilities = [float(step[0].float().softmax(-1)[token]) for step, token in zip(out.logits, generated)]
    return tuple(tokenizer.decode([token]) for token in generated), tuple(probabilities)


def _check(mlm_model, mlm_tokenizer, lm_model, lm_tokenizer, sentence: str, k: int, new_tokens: int) -> None:
    require_model("mlm_model", mlm_model)
    require_tokenizer("mlm_tokenizer", mlm_tokenizer)
    require_model("lm_model", lm_model)
    require_tokenizer("lm_tokenizer", lm_tokenizer)
    require_str("sentence", sentence, empty=True)
    require_int("k", k, 1, MAX_K)
    require_int("new_tokens", new_tokens, 1, MAX_NEW_TOKENS)


def fill_mask_view(sentence: str, mlm_model, mlm_tokenizer, lm_model, lm_tokenizer, k: int = 5,
                   new_tokens: int = 5) -> FillMaskView:
    """The masked LM's top ``k`` for the one ``[MASK]`` of ``sentence``, and the causal LM's greedy
    continuation (``new_tokens`` tokens) of the text before it.

    The probabilities are the softmax of each model's logits: the masked LM's at the blank, over its
    whole vocabulary (so the top ``k`` sum to at most 1); the causal LM's for each token it chose.

    Taught in: notebook 04, section 6.
    """
    _check(mlm_model, mlm_tokenizer, lm_model, lm_tokenizer, sentence, k, new_tokens)
    start = _blank(sentence, mlm_tokenizer.mask_token)
    fillers, probabilities = _fill(sentence, mlm_model, mlm_tokenizer, k)
    left = sentence[:start].rstrip()  # a byte-level BPE reads a trailing space as a token of its own
    continuation, continuation_probabilities = _continue(left, lm_model, lm_tokenizer, new_tokens)
    return FillMaskView(sentence, start, start + len(mlm_tokenizer.mask_token), left, fillers, probabilities, continuation, continuation_probabilities)


def fill_mask_html(view: FillMaskView) -> str:
    """Two columns: the sentence with its blank marked and the masked LM's top k as bars; the words
    before the blank with the causal LM's continuation marked, and each new token's probability.

    Not taught: the playground's drawing; the notebook shows it through fill_mask_playground.
    """
    if not isinstance(view, FillMaskView):
        raise TypeError(f"view must be a FillMaskView (from fill_mask_view), got {type(view).__name__}")
    mlm = "".join(markup.bar(filler, probability) for filler, probability in zip(view.fillers, view.probabilities))
    lm = "".join(markup.bar(repr(token), probability)
                 for token, probability in zip(view.continuation, view.continuation_probabilities))
    written = (f'{html.escape(view.left) or "<i>(nothing: it starts a new text)</i>"}'
               f'<mark style="background:#ffe08a">{html.escape(view.continuation_text)}</mark>')
    column = 'style="flex:1;min-width:260px"'
    return ('<div style="display:flex;gap:24px;flex-wrap:wrap">'
            f'<div {column}><b>Masked LM</b>: fills the blank from both sides<br>'
            f'{markup.highlight(view.sentence, view.mask_start, view.mask_end)}'
            f'<div style="margin-top:4px">top {len(view.fillers)} (probability, piece), together '
            f'{sum(view.probabilities):.3f}:</div>{mlm}</div>'
            f'<div {column}><b>Causal LM</b>: sees only the words before the blank, continues greedily<br>'
            f'{written}<div style="margin-top:4px">each new token (probability, token):</div>{lm}</div></div>')


def fill_mask_playground(mlm_model, mlm_tokenizer, lm_model, lm_tokenizer, sentence: str = DEFAULT_SENTENCE,
                         k: int = 5, new_tokens: int = 5) -> Playground:
    """A sentence box (one ``[MASK]``), a slider for the masked LM's top k and one for the causal LM's new tokens.

    Taught in: notebook 04, section 6.
    """
    _check(mlm_model, mlm_tokenizer, lm_model, lm_tokenizer, sentence, k, new_tokens)  # the models run on display
    controls = {
        "sentence": widgets.Text(value=sentence, description="sentence", continuous_update=False,
                                 placeholder="a sentence with one [MASK]; press Enter",
                                 layout=widgets.Layout(width="95%")),
        "k": widgets.IntSlider(value=k, min=1, max=MAX_K, description="top k"),
        "new_tokens": widgets.IntSlider(value=new_tokens, min=1, max=MAX_NEW_TOKENS, description="new tokens"),
    }

    def update(sentence: str, k: int, new_tokens: int) -> str:
        return fill_mask_html(fill_mask_view(sentence, mlm_model, mlm_tokenizer, lm_model, lm_tokenizer, k,
                                             new_tokens))

    return Playground("Fill-mask and generation: the masked LM and the causal LM on the same sentence", controls,
                      update)
