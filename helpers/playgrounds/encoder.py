"""Playground for notebook 02: how similar are the sinusoidal encodings of two positions k apart?

For several start positions p, the dot product and the cosine similarity of PE(p) and PE(p + k),
with the encodings from the course's own :func:`helpers.encoder.sinusoidal_positions`. Moving the
offset k changes every row the same way (the similarity depends on the distance only); moving
d_model changes how many clocks there are, and so how smoothly the similarity falls with distance.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import ipywidgets as widgets
import torch

from ..course.validation import require_int
from ..encoder import sinusoidal_positions
from . import markup
from .core import Playground

STARTS = (0, 5, 20, 100, 400)  # the positions p compared with p + k
OFFSETS = (0, 1, 2, 4, 8, 16, 32, 64)  # the distances of the profile (the chosen k is added)
MAX_OFFSET = 64
D_MODELS = (16, 32, 64, 128, 256, 512)


@dataclass(frozen=True)
class PositionView:
    """What the position playground shows for one offset and width (``position_view`` builds it).

    Not taught: the record position_view returns; the notebook reads its fields.
    """

    d_model: int
    offset: int
    starts: tuple[int, ...]
    dots: tuple[float, ...]  # PE(p) . PE(p + offset), one per start p
    cosines: tuple[float, ...]  # the same, divided by |PE(p)| |PE(p + offset)| = d_model / 2
    offsets: tuple[int, ...]  # the distances of the profile, the chosen offset among them
    profile: torch.Tensor  # (len(starts), len(offsets)): cosine of PE(p) and PE(p + distance)


def position_view(offset: int = 4, d_model: int = 128) -> PositionView:
    """Dot products and cosines between the sinusoidal encodings of p and p + ``offset``, for several p.

    ``d_model`` must be even (sines and cosines come in pairs); ``offset`` is between 0 and 64.
    The encodings are ``helpers.encoder.sinusoidal_positions``.

    Taught in: notebook 02, section 5.
    """
    offset = require_int("offset", offset, 0, MAX_OFFSET)
    d_model = require_int("d_model", d_model, 2, 4096)
    if d_model % 2:
        raise ValueError(f"d_model must be even (sines and cosines come in pairs of features), got {d_model}")
    offsets = tuple(sorted(set(OFFSETS) | {offset}))
    pe = sinusoidal_positions(max(STARTS) + MAX_OFFSET + 1, d_model)  # (P, D)
    starts = torch.tensor(STARTS)
    unit = torch.nn.functional.normalize(pe, dim=-1)  # (P, D): every row has norm sqrt(D / 2)
    dots = (pe[starts] * pe[starts + offset]).sum(dim=-1)  # (S,)
    cosines = (unit[starts] * unit[starts + offset]).sum(dim=-1)  # (S,)
    profile = torch.stack([(unit[starts] * unit[starts + d]).sum(dim=-1) for d in offsets], dim=1)  # (S, O)
    return PositionView(d_model=d_model, offset=offset, starts=STARTS, dots=tuple(dots.tolist()),
                        cosines=tuple(cosines.tolist()), offsets=offsets, profile=profile)


def position_html(view: PositionView) -> str:
    """The view as HTML: a table of PE(p) . PE(p + k) for each p, and the cosine profile over distances.

    Not taught: the playground's drawing; the notebook shows it through encoder_playground.
    """
    if not isinstance(view, PositionView):
        raise TypeError(f"view must be a PositionView (from position_view), got {type(view).__name__}")
    k = view.offset
    spread = max(view.cosines) - min(view.cosines)
    summary = (f"<p style=\"margin:2px 0\">d_model = {view.d_model}, offset k = {k}: the cosine of PE(p) and "
               f"PE(p + {k}) is <b>{view.cosines[0]:.3f}</b> for every p below (largest difference between rows "
               f"{spread:.1e}). Each encoding has norm &radic;(d_model / 2), so dot = cosine &times; "
               f"{view.d_model // 2}.</p>")
    rows = [(p, p + k, dot, cosine) for p, dot, cosine in zip(view.starts, view.dots, view.cosines)]
    pairs = markup.table(rows, ["p", f"p + {k}", f"PE(p) · PE(p + {k})", "cosine"])
    labels = [f"k={d}" + (" ◀" if d == k else "") for d in view.offsets]
    heat = markup.heat_table(view.profile.clamp(0.0, 1.0).tolist(), [f"p={p}" for p in view.starts], labels)
    return (f"{summary}<div style=\"display:flex;gap:16px;flex-wrap:wrap;align-items:flex-start\">"
            f"<div>Position p against p + k<br>{pairs}</div>"
            f"<div>Cosine of PE(p) and PE(p + k) by distance k (rows: p; ◀ the chosen k)<br>{heat}</div></div>")


def encoder_playground(offset: int = 4, d_model: int = 128) -> Playground:
    """A slider for the offset k and a menu for d_model, redrawing the similarity of PE(p) and PE(p + k).

    Taught in: notebook 02, section 5.
    """
    view = position_view(offset, d_model)  # checks the arguments before any widget exists
    widths = sorted(set(D_MODELS) | {view.d_model})
    controls = {
        "offset": widgets.IntSlider(value=view.offset, min=0, max=MAX_OFFSET, description="offset k",
                                    layout=widgets.Layout(width="420px")),
        "d_model": widgets.Dropdown(options=widths, value=view.d_model, description="d_model"),
    }

    def update(offset: int, d_model: int) -> str:
        return position_html(position_view(offset, d_model))

    return Playground("Sinusoidal positions: similarity of p and p + k", controls, update)
