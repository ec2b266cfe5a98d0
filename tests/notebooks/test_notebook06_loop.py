"""Notebook 06 writes the fine-tuning loop out (``fine_tune``); helpers.training.train is the tested, reusable
version. Both must compute the same thing: the same loss and learning rate at every optimizer step."""
import dataclasses
import math
from pathlib import Path

import nbformat
import pytest
import torch

import tiny_models

from helpers import pick_precision
from helpers.training import (History, TrainConfig, accumulation_groups, default_param_groups, evaluate,
                              linear_schedule, make_loader, stack_collate, train)
from test_training import NAMES, TRAIN, VALID

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "06_classification.ipynb"


def notebook_loop():
    """The notebook's ``fine_tune``, executed from its cell's source with the names the set-up cell imports."""
    cells = [c for c in nbformat.read(NOTEBOOK, as_version=4).cells
             if c.cell_type == "code" and "def fine_tune(" in c.source]
    assert len(cells) == 1, "notebook 06 defines fine_tune in exactly one code cell"
    namespace = {"math": math, "torch": torch, "pick_precision": pick_precision,
                 "History": History, "accumulation_groups": accumulation_groups, "default_param_groups":
                 default_param_groups, "evaluate": evaluate, "linear_schedule": linear_schedule,
                 "make_loader": make_loader}
    exec(compile(cells[0].source, str(NOTEBOOK), "exec"), namespace)
    return namespace["fine_tune"]


def tiny_bert():
    return tiny_models.tiny_bert(seed=0, vocab_size=20, hidden_size=32, layers=2, heads=4, num_labels=2)


@pytest.mark.parametrize("batch_size,accumulation", [(16, 1), (10, 3)])  # (10, 3): 10 micro-batches, groups 3,3,3,1
def test_the_notebook_loop_and_the_helper_give_the_same_losses(batch_size, accumulation):
    config = TrainConfig(epochs=2, learning_rate=3e-3, batch_size=batch_size, gradient_accumulation_steps=accumulation,
                         progress=False, seed=7)
    ours, helpers = tiny_bert(), tiny_bert()  # with dropout: the random streams must line up too
    device = torch.device("cpu")
    notebook = notebook_loop()(ours, TRAIN, VALID, config, stack_collate, NAMES, device)
    helper = train(helpers, TRAIN, VALID, config, names=NAMES, collate_fn=stack_collate, device=device)
    assert len(notebook.losses) == 2 * math.ceil(math.ceil(96 / batch_size) / accumulation)
    assert notebook.losses == pytest.approx(helper.losses, abs=1e-6)
    assert notebook.learning_rates == pytest.approx(helper.learning_rates, rel=1e-12)
    assert [e["loss"] for e in notebook.evals] == pytest.approx([e["loss"] for e in helper.evals], abs=1e-6)
    for (name, a), b in zip(ours.state_dict().items(), helpers.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), name
    assert notebook.losses[-1] < notebook.losses[0]  # and it learns


def test_the_comparison_can_fail():
    """Guard: another seed gives other dropout masks and another shuffle, so other losses."""
    config = TrainConfig(epochs=1, learning_rate=3e-3, batch_size=16, progress=False, seed=7)
    notebook = notebook_loop()(tiny_bert(), TRAIN, VALID, config, stack_collate, NAMES, torch.device("cpu"))
    helper = train(tiny_bert(), TRAIN, VALID, dataclasses.replace(config, seed=8), names=NAMES,
                   collate_fn=stack_collate, device="cpu")
    assert notebook.losses != pytest.approx(helper.losses, abs=1e-6)

