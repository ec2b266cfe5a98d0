"""Freezing strategies for any BERT-family classifier (BERT, RoBERTa, DistilBERT, ELECTRA, ...).

A ``...ForSequenceClassification`` model has three parts (``bert_parts``): the
**embeddings**, a stack of L **encoder layers** (bottom = 0, top = L - 1), and
everything else. The **head** is what lies outside ``model.base_model`` (BERT's
``classifier``; DistilBERT's ``pre_classifier`` + ``classifier``); BERT's pooler lives
inside the base model and is frozen or trained with it.

    from helpers import freezing
    freezing.freeze_all_but_head(model)        # feature extraction
    freezing.freeze_bottom(model, k=4)         # embeddings + layers 0..3 frozen
    freezing.freeze_module(model.encoder)      # any one part of any model (seq2seq, notebooks 07, 09)
    unfreeze = freezing.GradualUnfreezer(model)  # pass as train(..., on_step=unfreeze); unfreeze.reports: per stage
    groups = freezing.layerwise_lr_groups(model, lr=1e-4, decay=0.8)  # train(..., param_groups=groups)
    model = freezing.apply_lora(model, r=8)    # peft: only lora_* and the head train
    print(freezing.parameter_report(model))    # "trainable 1.2K of 22.7M parameters (0.01%)"
    x = freezing.head_inputs(model, tokenized, collate)  # (N, D) what the head sees: fit a linear model on it

Each strategy returns (or prints as) a ``ParamReport``: trainable vs total parameters
(``helpers.bert_encoder.count_parameters``) and the memory training needs for them with
AdamW in fp32; ``freeze_module`` returns how many numbers it froze.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from .bert_encoder import count_parameters
from .course.validation import (require_bool, require_callable, require_dataset, require_int, require_module,
                         require_number, require_strings)

BYTES_FP32 = 4


@dataclass(frozen=True)
class ParamReport:
    """How many of a model's parameters train, out of how many.

    Not taught: a building block of this module's taught helpers.
    """
    trainable: int
    total: int

    @property
    def fraction(self) -> float:
        return self.trainable / self.total if self.total else 0.0

    @property
    def training_state_bytes(self) -> int:
        """fp32 weights of every parameter + gradient and two AdamW moments per trainable one."""
        return BYTES_FP32 * (self.total + 3 * self.trainable)

    def __str__(self) -> str:
        return f"trainable {_short(self.trainable)} of {_short(self.total)} parameters ({self.fraction:.2%})"


def _short(n: int) -> str:
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(n)


def parameter_report(model: nn.Module) -> ParamReport:
    """Trainable (requires_grad) and total parameter counts of ``model`` (``count_parameters``).

    Taught in: notebook 05, section 2.
    """
    require_module("model", model)
    return ParamReport(count_parameters(model, trainable_only=True), count_parameters(model))


@dataclass(frozen=True)
class BertParts:
    """A BERT-family classifier cut into its parts: embeddings, layers, base model and head.

    Not taught: a building block of this module's taught helpers.
    """
    embeddings: nn.Module
    layers: nn.ModuleList  # bottom (0) to top (L - 1)
    base: nn.Module        # embeddings + layers (+ BERT's pooler)
    head: tuple[str, ...]  # names of the model's top-level modules outside the base model


def _unwrap(model: nn.Module) -> nn.Module:
    return model.get_base_model() if hasattr(model, "get_base_model") else model  # peft wrapper


def bert_parts(model: nn.Module) -> BertParts:
    """Embeddings, encoder layers, base model and head names of a BERT-family classifier.

    Taught in: notebook 05, section 2.
    """
    inner = _unwrap(model)
    base = getattr(inner, "base_model", None)
    if base is None or base is inner or not hasattr(base, "embeddings"):
        raise TypeError(f"expected a transformers BERT-family model with a base model and embeddings "
                        f"(e.g. BertForSequenceClassification), got {type(model).__name__}")
    count = getattr(inner.config, "num_hidden_layers", None) or getattr(inner.config, "n_layers", None)
    layers = next((m for m in base.modules() if isinstance(m, nn.ModuleList) and len(m) == count), None)
    if layers is None:
        raise TypeError(f"found no list of {count} encoder layers in {type(base).__name__}")
    head = tuple(name for name, child in inner.named_children()
                 if child is not base and any(True for _ in child.parameters()))
    return BertParts(base.embeddings, layers, base, head)


def set_trainable(module: nn.Module, trainable: bool) -> None:
    """Set ``requires_grad`` of every parameter of ``module``.

    Not taught: a building block of this module's taught helpers.
    """
    require_module("module", module)
    require_bool("trainable", trainable)
    for param in module.parameters():
        param.requires_grad_(trainable)


def freeze_module(module: nn.Module) -> int:
    """Stop training every parameter of ``module`` (any part of any model, e.g. a seq2seq model's
    ``encoder``); returns how many numbers this froze (0 when all were frozen already).

    Taught in: notebook 07, section 7.
    """
    newly = count_parameters(module, trainable_only=True)
    set_trainable(module, False)
    return newly


def _head_modules(model: nn.Module) -> list[nn.Module]:
    inner = _unwrap(model)
    return [getattr(inner, name) for name in bert_parts(model).head]


def freeze_all_but_head(model: nn.Module) -> ParamReport:
    """Feature extraction: the whole pretrained model frozen, only the head trains.

    Taught in: notebook 05, section 5.
    """
    set_trainable(model, False)
    for module in _head_modules(model):
        set_trainable(module, True)
    return parameter_report(model)


def freeze_bottom(model: nn.Module, k: int, embeddings: bool = True) -> ParamReport:
    """Freeze the embeddings (if ``embeddings``) and the bottom ``k`` encoder layers; train the rest.

    Taught in: notebook 05, section 5.
    """
    parts = bert_parts(model)
    require_bool("embeddings", embeddings)
    if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k <= len(parts.layers):
        raise ValueError(f"k must be an int from 0 to {len(parts.layers)} (the number of layers), got {k!r}")
    set_trainable(model, True)
    set_trainable(parts.embeddings, not embeddings)
    for layer in parts.layers[:k]:
        set_trainable(layer, False)
    return parameter_report(model)


def unfreeze_top(model: nn.Module, n: int) -> ParamReport:
    """Train the head and the top ``n`` encoder layers (n > L also unfreezes the embeddings).

    Not taught: a building block of this module's taught helpers.
    """
    parts = bert_parts(model)
    layers = len(parts.layers)
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    freeze_all_but_head(model)
    for layer in parts.layers[max(0, layers - n):]:
        set_trainable(layer, True)
    if n > layers:
        set_trainable(parts.base, True)  # everything: embeddings (and BERT's pooler) too
    return parameter_report(model)


class GradualUnfreezer:
    """Gradual unfreezing (ULMFiT): the head and the top layer first, one more layer per stage.

    A stage is an epoch, or ``steps_per_stage`` optimizer steps for runs shorter than a
    few epochs. Call it before each step, ``unfreezer(step, epoch)`` (``train``'s
    ``on_step``); it changes ``requires_grad`` only when a new stage begins.

    Until its first call the model is left as it is (build the optimizer then, with every
    parameter trainable, so each layer is in it when it thaws), so a ``parameter_report``
    taken before training counts everything: what trains in each stage is in ``reports``,
    one ``(first step, ParamReport)`` per stage, ``reports[0]`` the start.

    Taught in: notebook 05, section 5.
    """

    def __init__(self, model: nn.Module, steps_per_stage: int | None = None) -> None:
        bert_parts(model)  # a BERT-family classifier, or a clear TypeError now rather than at the first step
        if steps_per_stage is not None and (not isinstance(steps_per_stage, int) or steps_per_stage < 1):
            raise ValueError(f"steps_per_stage must be a positive int or None, got {steps_per_stage!r}")
        self.model, self.steps_per_stage = model, steps_per_stage
        self.unfrozen: int | None = None  # layers trainable now
        self.reports: list[tuple[int, ParamReport]] = []  # (step, report) at every change

    def stage(self, step: int, epoch: int) -> int:
        return epoch if self.steps_per_stage is None else step // self.steps_per_stage

    def __call__(self, step: int, epoch: int) -> ParamReport | None:
        n = self.stage(step, epoch) + 1
        if n == self.unfrozen:
            return None
        self.unfrozen = n
        report = unfreeze_top(self.model, n)
        self.reports.append((step, report))
        return report


def layer_depths(model: nn.Module) -> dict[str, int]:
    """Each trainable parameter's depth below the head: head 0, layer i: L - i, embeddings L + 1.

    Not taught: a building block of this module's taught helpers.
    """
    parts = bert_parts(model)
    layers = len(parts.layers)
    owner = {id(p): layers - i for i, layer in enumerate(parts.layers) for p in layer.parameters()}
    owner.update({id(p): layers + 1 for p in parts.embeddings.parameters()})
    # BERT's pooler sits on top of the last layer: it shares the top layer's depth
    base_ids = {id(p) for p in parts.base.parameters()}
    return {name: owner.get(id(p), 1 if id(p) in base_ids else 0)
            for name, p in model.named_parameters() if p.requires_grad}


def layerwise_lr_groups(model: nn.Module, lr: float, decay: float,
                        weight_decay: float = 0.01) -> list[dict[str, Any]]:
    """Discriminative learning rates: ``lr * decay ** depth`` (see ``layer_depths``), lowest at the bottom.

    One optimizer group per (depth, weight decay or not); biases and norm weights get none.

    Taught in: notebook 05, section 3.
    """
    require_number("lr", lr)
    require_number("decay", decay)
    require_number("weight_decay", weight_decay, minimum=0.0)
    if not lr > 0 or not 0 < decay <= 1:
        raise ValueError(f"lr must be positive and decay in (0, 1], got lr={lr!r}, decay={decay!r}")
    depths = layer_depths(model)
    groups: dict[tuple[int, bool], dict[str, Any]] = {}
    for name, param in model.named_parameters():
        if name not in depths:
            continue
        decayed = param.ndim >= 2
        key = (depths[name], decayed)
        group = groups.setdefault(key, {"params": [], "names": [], "lr": lr * decay ** depths[name],
                                        "weight_decay": weight_decay if decayed else 0.0})
        group["params"].append(param)
        group["names"].append(name)
    return [groups[key] for key in sorted(groups)]


def apply_lora(model: nn.Module, r: int = 8, alpha: int = 16, dropout: float = 0.1,
               target_modules: tuple[str, ...] = ("query", "value")) -> nn.Module:
    """LoRA through ``peft``: low-rank updates on the attention projections; the head trains fully.

    Taught in: notebook 05, section 3.
    """
    from peft import LoraConfig, get_peft_model

    if not isinstance(r, int) or r < 1:
        raise ValueError(f"r (the rank) must be a positive int, got {r!r}")
    require_int("alpha", alpha, minimum=1)
    require_number("dropout", dropout, minimum=0.0, below=1.0)
    require_strings("target_modules", target_modules, min_length=1)
    config = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=list(target_modules),
                        modules_to_save=list(bert_parts(model).head))
    return get_peft_model(model, config)


@torch.no_grad()
def head_inputs(model: nn.Module, dataset, collate_fn: Callable, batch_size: int = 64) -> np.ndarray:
    """(N, D) the vector the classifier's head receives for each example, in eval mode.

    BERT's head sees the pooled [CLS] vector (the pooler's output), DistilBERT's the [CLS]
    hidden state: whatever enters the first head module (``bert_parts(model).head``). A
    linear model fitted on these is the head-only strategy trained to convergence (notebook 05, §6).

    Taught in: notebook 05, section 6.
    """
    require_module("model", model)
    require_dataset("dataset", dataset)
    require_callable("collate_fn", collate_fn)
    require_int("batch_size", batch_size, minimum=1)
    if len(dataset) == 0:
        raise ValueError("dataset must hold at least one tokenized example, got an empty dataset")
    first = getattr(_unwrap(model), bert_parts(model).head[0])
    seen: list[torch.Tensor] = []
    hook = first.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach().float().cpu()))
    was_training, device = model.training, next(model.parameters()).device
    model.eval()
    try:
        for start in range(0, len(dataset), batch_size):
            rows = [{key: value for key, value in dataset[i].items() if key not in ("label", "labels")}
                    for i in range(start, min(start + batch_size, len(dataset)))]
            model(**{key: value.to(device) for key, value in collate_fn(rows).items()})
    finally:
        hook.remove()
        model.train(was_training)
    return torch.cat(seen).numpy()  # (N, D)
