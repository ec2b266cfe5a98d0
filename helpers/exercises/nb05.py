"""Exercises of notebook 05 (freezing strategies): counting trainable parameters, freezing the bottom.

The checkers run the learner's function on tiny random BERT classifiers built from a
config (no download), of two depths, and compare with the helpers in
``helpers.freezing``; they name what is off (frozen parameters counted, the wrong
layers frozen, the embeddings forgotten, the head frozen, ...).
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from . import checks


def _tiny_bert(layers: int, seed: int) -> nn.Module:
    from transformers import BertConfig, BertForSequenceClassification

    state = torch.random.get_rng_state()  # leave the notebook's random numbers alone
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=40, hidden_size=16, num_hidden_layers=layers, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=16, num_labels=2)
    model = BertForSequenceClassification(config)
    torch.random.set_rng_state(state)
    return model


# --- 05.1 count trainable parameters ------------------------------------------------------

def count_trainable(model: nn.Module) -> tuple[int, int]:
    """(trainable, total): numbers of parameters (elements, not tensors) with and without requires_grad."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return trainable, total


def check_count_trainable(fn: Callable[[nn.Module], tuple[int, int]]) -> str | None:
    for layers, freeze in ((2, "classifier"), (3, "bert.encoder.layer.0."), (2, "")):
        model = _tiny_bert(layers, seed=layers)
        for name, param in model.named_parameters():
            param.requires_grad_(not (freeze and not name.startswith(freeze)))  # freeze all but one part
        got = fn(model)
        problem = checks.returned(got, tuple, "count_trainable")
        if problem:
            return problem
        if len(got) != 2:
            return f"count_trainable returned a tuple of {len(got)} values, expected (trainable, total)."
        trainable, total = count_trainable(model)
        tensors = sum(1 for _ in model.parameters())
        if got[1] == tensors or got[0] == sum(1 for p in model.parameters() if p.requires_grad) != trainable:
            return "the counts look like numbers of parameter tensors; count their elements with .numel()."
        if got[1] != total:
            return f"the total is {got[1]}, but the model has {total} parameters: count every one, frozen or not."
        if got[0] == total and trainable != total:
            return "the trainable count includes frozen parameters: keep only those with requires_grad."
        if got[0] != trainable:
            return f"the trainable count is {got[0]}, expected {trainable} for this model."
    return None


def _counts_tensors(model: nn.Module) -> tuple[int, int]:
    params = list(model.parameters())
    return sum(1 for p in params if p.requires_grad), len(params)


def _ignores_requires_grad(model: nn.Module) -> tuple[int, int]:
    total = sum(p.numel() for p in model.parameters())
    return total, total


def _swapped(model: nn.Module) -> tuple[int, int]:
    return count_trainable(model)[::-1]


checks.register(checks.Exercise(
    id="05.1", title="count trainable and total parameters",
    checker=check_count_trainable,
    hint="loop over model.parameters(); p.numel() is the number of numbers in a tensor and "
         "p.requires_grad says whether the optimizer will change it.",
    solution=count_trainable,
    wrong_answers=(_counts_tensors, _ignores_requires_grad, _swapped),
))


# --- 05.2 freeze the embeddings and the bottom k layers ------------------------------------

def freeze_bottom_layers(model: nn.Module, k: int) -> nn.Module:
    """Freeze model.bert.embeddings and model.bert.encoder.layer[:k]; everything else trains."""
    for param in model.parameters():
        param.requires_grad = True  # start from a fully trainable model
    for module in (model.bert.embeddings, *model.bert.encoder.layer[:k]):
        for param in module.parameters():
            param.requires_grad = False
    return model


def _trainable_names(model: nn.Module) -> set[str]:
    return {name for name, param in model.named_parameters() if param.requires_grad}


def check_freeze_bottom(fn: Callable[[nn.Module, int], nn.Module]) -> str | None:
    for layers, k in ((4, 2), (3, 0), (3, 3), (4, 1)):
        model = _tiny_bert(layers, seed=10 + layers)
        if k == 1:  # start from a model that is already partly frozen: the function must reset it
            for param in model.classifier.parameters():
                param.requires_grad = False
        fn(model, k)
        expected = freeze_bottom_layers(_tiny_bert(layers, seed=10 + layers), k)
        got, want = _trainable_names(model), _trainable_names(expected)
        if got == want:
            continue
        if any(n.startswith("bert.embeddings.") for n in got):
            return f"with k={k} the embeddings still train: freeze them too, they sit below layer 0."
        if not any(n.startswith("classifier.") for n in got):
            return f"with k={k} the classifier head is frozen: it must always train (set requires_grad " \
                   f"back to True for what should train, in case the model came partly frozen)."
        for i in range(layers):
            prefix = f"bert.encoder.layer.{i}."
            frozen_here = not any(n.startswith(prefix) for n in got)
            if frozen_here != (i < k):
                which = "frozen" if frozen_here else "trainable"
                return f"with k={k} of {layers} layers, layer {i} is {which}: freeze the BOTTOM k layers " \
                       f"(indices 0 to k-1), keep the ones above trainable."
        return f"with k={k} the trainable parameters differ from the expected ones, e.g. " \
               f"{sorted(got ^ want)[0]}."
    return None


def _forgets_embeddings(model: nn.Module, k: int) -> nn.Module:
    for param in model.parameters():
        param.requires_grad = True
    for layer in model.bert.encoder.layer[:k]:
        for param in layer.parameters():
            param.requires_grad = False
    return model


def _freezes_top(model: nn.Module, k: int) -> nn.Module:
    for param in model.parameters():
        param.requires_grad = True
    layers = model.bert.encoder.layer
    for module in (model.bert.embeddings, *layers[len(layers) - k:]):
        for param in module.parameters():
            param.requires_grad = False
    return model


def _off_by_one(model: nn.Module, k: int) -> nn.Module:
    for param in model.parameters():
        param.requires_grad = True
    for module in (model.bert.embeddings, *model.bert.encoder.layer[:k + 1]):
        for param in module.parameters():
            param.requires_grad = False
    return model


def _no_reset(model: nn.Module, k: int) -> nn.Module:
    for module in (model.bert.embeddings, *model.bert.encoder.layer[:k]):
        for param in module.parameters():
            param.requires_grad = False
    return model


checks.register(checks.Exercise(
    id="05.2", title="freeze the embeddings and the bottom k encoder layers",
    checker=check_freeze_bottom,
    hint="first make every parameter trainable, then set requires_grad = False for the parameters of "
         "model.bert.embeddings and of model.bert.encoder.layer[:k].",
    solution=freeze_bottom_layers,
    wrong_answers=(_forgets_embeddings, _freezes_top, _off_by_one, _no_reset),
))
