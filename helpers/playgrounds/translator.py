"""Notebook 07's playground: type an English UI string, pick greedy or beam search, see the Dutch
translation, the probability of each output token and, with beams, the n-best list with its scores.

* ``translation_view``: one ``model.generate`` call with ``output_scores=True``; the per-token
  log-probabilities come from the library's ``compute_transition_scores`` (beam search is the
  library's, not re-implemented here). Greedy is ``num_beams=1``; beam search returns its
  ``num_beams`` finished candidates, best first, each with the score beam search ranks by.
* ``translation_html``: that view as HTML: the translation, one bar per output token, the n-best table.
* ``translator_playground``: a text box, a decoding choice and a beam-size slider wired to the two.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass

import ipywidgets as widgets
import torch

from ..course.validation import require_int, require_model, require_str, require_tokenizer
from .core import Playground
from .markup import bar, table

DECODINGS = ("greedy", "beam")
MAX_BEAMS = 8


@dataclass(frozen=True)
class Candidate:
    """One output of ``generate``: its text, its tokens (the end token included) and, per token, the log-
    probability the model gave it, log p(token | tokens before it, source). ``score`` is what decoding
    ranked it by: beam search's sum of log-probabilities divided by length ** length_penalty (the mean log-
    probability per token at the default length_penalty 1.0); for greedy, the mean log-probability.

    Not taught: a record that ``translation_view`` returns; notebook 07 reads its fields."""
    text: str
    tokens: tuple[str, ...]
    log_probs: tuple[float, ...]
    score: float

    @property
    def total_log_prob(self) -> float:
        """log p(whole output | source): the sum of the per-token log-probabilities."""
        return float(sum(self.log_probs))

    @property
    def mean_log_prob(self) -> float:
        """The mean log-probability per output token."""
        return self.total_log_prob / max(len(self.log_probs), 1)

    @property
    def probabilities(self) -> tuple[float, ...]:
        """p(token | tokens before it, source) for each output token."""
        return tuple(math.exp(value) for value in self.log_probs)


@dataclass(frozen=True)
class TranslationView:
    """What the playground shows for one source and one decoding: the candidates, best first (one for
    greedy, ``num_beams`` for beam search).

    Not taught: a record that ``translation_view`` returns; notebook 07 reads its fields."""
    source: str
    decoding: str
    num_beams: int
    candidates: tuple[Candidate, ...]

    @property
    def best(self) -> Candidate:
        return self.candidates[0]

    @property
    def translation(self) -> str:
        return self.best.text


@torch.no_grad()
def translation_view(text: str, model, tokenizer, *, decoding: str = "greedy", num_beams: int = 4,
                     max_source_length: int = 64, max_new_tokens: int = 64) -> TranslationView:
    """The translation of ``text`` with ``decoding`` ("greedy" or "beam" with ``num_beams`` beams), and the
    log-probability of every output token.

    The source is tokenized as ``helpers.seq2seq.generate`` tokenizes it (cut at ``max_source_length``);
    ``model.generate`` runs once with ``output_scores=True`` and the model's own generation settings
    (start, end and pad tokens, length_penalty), greedy forced with ``num_beams=1``; beam search returns
    all its ``num_beams`` finished candidates. ``compute_transition_scores`` turns the step scores into one
    log-probability per output token.

    Taught in: notebook 07, section 9.
    """
    text = require_str("text", text)
    require_model("model", model)
    require_tokenizer("tokenizer", tokenizer)
    if not getattr(model.config, "is_encoder_decoder", False):
        raise TypeError(f"model must be an encoder-decoder (EncoderDecoderModel, a Marian or T5 model), "
                        f"got {type(model).__name__}")
    decoding = require_str("decoding", decoding, choices=DECODINGS)
    num_beams = require_int("num_beams", num_beams, minimum=2, maximum=MAX_BEAMS)
    require_int("max_source_length", max_source_length, minimum=1)
    require_int("max_new_tokens", max_new_tokens, minimum=1)
    model.eval()
    device = next(model.parameters()).device
    batch = tokenizer([text], max_length=max_source_length, truncation=True, return_tensors="pt").to(device)
    beams = num_beams if decoding == "beam" else 1
    options = dict(num_beams=beams, num_return_sequences=beams) if beams > 1 else dict(num_beams=1)
    out = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False, output_scores=True,
                         return_dict_in_generate=True, **options)
    if beams > 1:
        steps = model.compute_transition_scores(out.sequences, out.scores, out.beam_indices)  # (k, T_new)
        kept = out.beam_indices[:, :steps.shape[1]] >= 0                                      # (k, T_new)
        ranking = out.sequences_scores.tolist()
    else:
        steps = model.compute_transition_scores(out.sequences, out.scores, normalize_logits=True)  # (1, T_new)
        kept = torch.ones_like(steps, dtype=torch.bool)
        ranking = [None]
    new_ids = out.sequences[:, -steps.shape[1]:]  # the generated tokens, after the decoder's start token
    candidates = []
    for ids, row, keep, score in zip(new_ids, steps, kept, ranking):
        ids, row = ids[keep].tolist(), row[keep].float().tolist()
        mean = sum(row) / max(len(row), 1)
        candidates.append(Candidate(text=tokenizer.decode(ids, skip_special_tokens=True).strip(),
                                    tokens=tuple(tokenizer.convert_ids_to_tokens(ids)), log_probs=tuple(row),
                                    score=mean if score is None else float(score)))
    return TranslationView(text, decoding, beams, tuple(candidates))


def translation_html(view: TranslationView) -> str:
    """The view as HTML: the translation, a bar per output token (its probability), and for beam search
    the n-best list with each candidate's total and mean log-probability and beam score.

    Not taught: the drawing of notebook 07's playground; ``translator_playground`` shows it.
    """
    if not isinstance(view, TranslationView):
        raise TypeError(f"view must be a TranslationView (from translation_view), got {type(view).__name__}")
    best = view.best
    how = "greedy" if view.decoding == "greedy" else f"beam search, {view.num_beams} beams"
    parts = [f'<div style="font-size:1.15em;margin:4px 0">{html.escape(view.source)} &rarr; '
             f"<b>{html.escape(best.text) or '<i>(empty)</i>'}</b></div>",
             f'<div style="margin:2px 0">{html.escape(how)}: {len(best.tokens)} output tokens, log p(output) = '
             f"{best.total_log_prob:.3f}, mean log-probability per token {best.mean_log_prob:.3f} "
             f"(p(output) = {math.exp(best.total_log_prob):.3f})</div>",
             "<div>p(token | tokens before it, source):</div>",
             *(bar(token, probability) for token, probability in zip(best.tokens, best.probabilities))]
    if view.decoding == "beam":
        rows = [(rank, c.text, " ".join(c.tokens), c.total_log_prob, c.mean_log_prob, c.score)
                for rank, c in enumerate(view.candidates, start=1)]
        parts += [f"<div style=\"margin-top:6px\">n-best list ({len(rows)} finished beams, best first):</div>",
                  table(rows, ("rank", "translation", "tokens", "log p(output)", "mean log p", "beam score"))]
    return "".join(parts)


def translator_playground(model, tokenizer, *, max_source_length: int, max_new_tokens: int,
                          text: str = "New password:", decoding: str = "beam", num_beams: int = 4) -> Playground:
    """A text box for an English string (the model runs when you press Enter or leave the box), a decoding
    choice and a beam-size slider, showing ``translation_html(translation_view(...))``.

    Taught in: notebook 07, section 9.
    """
    require_model("model", model)
    require_tokenizer("tokenizer", tokenizer)
    require_int("max_source_length", max_source_length, minimum=1)
    require_int("max_new_tokens", max_new_tokens, minimum=1)
    require_str("text", text, empty=True)
    require_str("decoding", decoding, choices=DECODINGS)
    require_int("num_beams", num_beams, minimum=2, maximum=MAX_BEAMS)
    controls = {
        "text": widgets.Text(value=text, description="English", continuous_update=False,
                             layout=widgets.Layout(width="70%")),
        "decoding": widgets.Dropdown(options=DECODINGS, value=decoding, description="decoding"),
        "num_beams": widgets.IntSlider(value=num_beams, min=2, max=MAX_BEAMS, description="beams"),
    }

    def update(text: str, decoding: str, num_beams: int) -> str:
        return translation_html(translation_view(text, model, tokenizer, decoding=decoding, num_beams=num_beams,
                                                 max_source_length=max_source_length, max_new_tokens=max_new_tokens))

    return Playground("Translate English to Dutch", controls, update)
