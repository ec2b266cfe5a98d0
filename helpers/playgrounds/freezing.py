"""Playground of notebook 05: pick a freezing strategy (or how many bottom layers to freeze) and see,
block by block, what trains, the trainable share, and what the notebook measured for that strategy.

    from helpers.playgrounds.freezing import freezing_playground, freezing_view
    view = freezing_view(model, "freeze bottom k", frozen_layers=4)   # counts only: the model is left as it was
    view.trainable, view.total, view.fraction, view.blocks             # blocks: embeddings, layer 0..L-1, pooler, head
    freezing_playground(model, measured=table_rows)                   # a Dropdown and a slider, in JupyterLab

The strategies are applied with ``helpers.freezing`` (``freeze_bottom``, ``freeze_all_but_head``,
``unfreeze_top``, ``layer_depths``, ``apply_lora``): on the model itself, with every parameter's
``requires_grad`` put back afterwards, and LoRA on a copy (it replaces modules inside the model).
"""
from __future__ import annotations

import copy
import html
from dataclasses import dataclass
from typing import Any, Mapping

import ipywidgets as widgets
from torch import nn

from .. import freezing
from ..course.validation import require_int, require_module, require_number, require_str
from . import markup
from .core import Playground

STRATEGIES = ("full fine-tuning", "head only", "freeze bottom k", "gradual unfreezing", "layer-wise LR decay", "LoRA")


@dataclass(frozen=True)
class BlockRow:
    """One block of the model (embeddings, one encoder layer, the pooler, the head): its size and what trains.

    Not taught: a record that freezing_view returns.
    """
    name: str
    parameters: int
    trainable: int
    lr_factor: float | None  # learning rate / base rate (layer-wise LR decay only), None otherwise

    @property
    def state(self) -> str:
        if self.trainable == 0:
            return "frozen"
        return "trains" if self.trainable == self.parameters else "partly (LoRA)"


@dataclass(frozen=True)
class FreezingView:
    """What one strategy trains, block by block, and what the notebook measured for it.

    Not taught: a record that freezing_view returns.
    """
    strategy: str                              # one of STRATEGIES
    label: str                                 # its name in the notebook's results ("freeze bottom 4")
    blocks: tuple[BlockRow, ...]               # embeddings, layer 0 .. layer L-1, pooler (if any), head
    trainable: int
    total: int
    measured: tuple[tuple[str, Any], ...]      # (column, value) from the notebook's table; () if not measured
    note: str

    @property
    def fraction(self) -> float:
        return self.trainable / self.total if self.total else 0.0


def _inner(model: nn.Module) -> nn.Module:
    return model.get_base_model() if hasattr(model, "get_base_model") else model  # a peft wrapper's model


def _blocks(model: nn.Module, lr_depth: Mapping[int, int] | None, decay: float) -> tuple[BlockRow, ...]:
    parts = freezing.bert_parts(model)
    groups = [("embeddings", list(parts.embeddings.parameters()))]
    groups += [(f"layer {i}", list(layer.parameters())) for i, layer in enumerate(parts.layers)]
    seen = {id(p) for _, params in groups for p in params}
    rest = [p for p in parts.base.parameters() if id(p) not in seen]
    if rest:  # BERT's pooler (DistilBERT has none)
        groups.append(("pooler", rest))
    inner = _inner(model)
    groups.append(("head", [p for name in parts.head for p in getattr(inner, name).parameters()]))
    rows = []
    for name, params in groups:
        trainable = sum(p.numel() for p in params if p.requires_grad)
        factor = None
        if lr_depth is not None and trainable:
            factor = decay ** lr_depth[next(id(p) for p in params if p.requires_grad)]
        rows.append(BlockRow(name, sum(p.numel() for p in params), trainable, factor))
    return tuple(rows)


def freezing_view(model: nn.Module, strategy: str = "freeze bottom k", frozen_layers: int = 4,
                  measured: Mapping[str, Mapping[str, Any]] | None = None, decay: float = 0.8,
                  lora_rank: int = 8) -> FreezingView:
    """Which blocks of ``model`` train under ``strategy``, counted with ``helpers.freezing``; the model is left as it was.

    ``frozen_layers`` (k) is used by "freeze bottom k" (embeddings and layers 0..k-1 frozen);
    "gradual unfreezing" shows its first stage (the head and the top layer); "layer-wise LR
    decay" trains everything, each block at ``decay ** depth`` times the base rate; "LoRA"
    (rank ``lora_rank``) is applied to a copy. ``measured`` maps the notebook's run names
    ("freeze bottom 4", "LoRA", ...) to what it measured for them (column -> value).

    Taught in: notebook 05, section 5.
    """
    require_module("model", model)
    strategy = require_str("strategy", strategy, choices=STRATEGIES)
    parts = freezing.bert_parts(model)
    layers = len(parts.layers)
    frozen_layers = require_int("frozen_layers", frozen_layers, 0, layers)
    decay = require_number("decay", decay, maximum=1.0, above=0.0)
    lora_rank = require_int("lora_rank", lora_rank, 1)
    if measured is not None and not isinstance(measured, Mapping):
        raise TypeError(f"measured must be a dict of run name -> {{column: value}} (or None), got {type(measured).__name__}")
    label = f"freeze bottom {frozen_layers}" if strategy == "freeze bottom k" else strategy
    notes = {
        "full fine-tuning": "Every block trains: the most optimizer state, and the backward pass runs to the embeddings.",
        "head only": "Only the head trains: the encoder is a fixed feature extractor.",
        "freeze bottom k": (f"Embeddings and layers 0 to {frozen_layers - 1} frozen: the backward pass stops at "
                            f"layer {frozen_layers}." if frozen_layers else
                            "k = 0: only the embeddings are frozen; every encoder layer trains."),
        "gradual unfreezing": ("First stage shown: the head and the top layer. One more layer thaws per stage; "
                               "by the end of the run everything trains."),
        "layer-wise LR decay": f"Everything trains, each block at {decay:g}^depth times the base rate (the lr column).",
        "LoRA": (f"Rank-{lora_rank} matrices beside the frozen query and value weights of each layer (counted in "
                 f"the layer's parameters), and a trainable copy of the head."),
    }
    if strategy == "LoRA":
        adapted = freezing.apply_lora(copy.deepcopy(model), r=lora_rank)
        report, blocks = freezing.parameter_report(adapted), _blocks(adapted, None, decay)
    else:
        saved = [(p, p.requires_grad) for p in model.parameters()]
        try:
            if strategy == "full fine-tuning" or strategy == "layer-wise LR decay":
                freezing.set_trainable(model, True)
            elif strategy == "head only":
                freezing.freeze_all_but_head(model)
            elif strategy == "freeze bottom k":
                freezing.freeze_bottom(model, frozen_layers)
            else:  # gradual unfreezing, its first stage
                freezing.unfreeze_top(model, 1)
            depth = None
            if strategy == "layer-wise LR decay":
                by_name = freezing.layer_depths(model)
                depth = {id(p): by_name[name] for name, p in model.named_parameters() if name in by_name}
            report, blocks = freezing.parameter_report(model), _blocks(model, depth, decay)
        finally:
            for param, flag in saved:
                param.requires_grad_(flag)
    found = (measured or {}).get(label)
    if found is not None and not isinstance(found, Mapping):
        raise TypeError(f"measured[{label!r}] must be a dict of column -> value, got {type(found).__name__}")
    return FreezingView(strategy, label, blocks, report.trainable, report.total,
                        tuple((str(k), v) for k, v in (found or {}).items()), notes[strategy])


def _count(n: int) -> str:
    return f"{n:,}"


def freezing_html(view: FreezingView) -> str:
    """The view as HTML: the trainable share as a bar, the notebook's measurements, the per-block table.

    Not taught: drawn by freezing_playground.
    """
    if not isinstance(view, FreezingView):
        raise TypeError(f"view must be a FreezingView (from freezing_view), got {type(view).__name__}")
    lr = any(row.lr_factor is not None for row in view.blocks)
    header = ["block", "parameters", "trainable", "state"] + (["lr / base rate"] if lr else [])
    rows = [[row.name, _count(row.parameters), _count(row.trainable), row.state]
            + ([row.lr_factor if row.lr_factor is not None else "-"] if lr else []) for row in view.blocks]
    if view.measured:
        measured = markup.table([[k, v] for k, v in view.measured], ["measured in this notebook", view.label])
    else:
        measured = (f"<p><i>{html.escape(view.label)}: not run in this notebook, so no accuracy or time to show "
                    "(move the slider to a k that ran, or pick another strategy).</i></p>")
    return (f"<p><b>{html.escape(view.label)}</b>: trainable {_count(view.trainable)} of {_count(view.total)} "
            f"parameters ({view.fraction:.2%})</p>"
            + markup.bar("trainable share", view.fraction, width=300)
            + f"<p>{html.escape(view.note)}</p>" + measured + markup.table(rows, header))


def freezing_playground(model: nn.Module, measured: Mapping[str, Mapping[str, Any]] | None = None, *,
                        strategy: str = "freeze bottom k", frozen_layers: int = 4, decay: float = 0.8,
                        lora_rank: int = 8) -> Playground:
    """A strategy Dropdown and a "frozen layers" slider (used by "freeze bottom k") over ``freezing_view``.

    Taught in: notebook 05, section 5.
    """
    require_module("model", model)
    layers = len(freezing.bert_parts(model).layers)
    freezing_view(model, strategy, frozen_layers, measured, decay, lora_rank)  # bad arguments fail here, not in a widget
    controls = {
        "strategy": widgets.Dropdown(options=list(STRATEGIES), value=strategy, description="strategy",
                                     layout=widgets.Layout(width="320px")),
        "frozen_layers": widgets.IntSlider(value=frozen_layers, min=0, max=layers, step=1,
                                           description="frozen layers (k)", style={"description_width": "initial"},
                                           layout=widgets.Layout(width="420px")),
    }

    def update(strategy: str, frozen_layers: int) -> str:
        return freezing_html(freezing_view(model, strategy, frozen_layers, measured, decay, lora_rank))

    return Playground("Freezing: what trains, what it cost, what it got", controls, update)
