"""The training loop: it learns, a resumed run ends exactly like an uninterrupted one, checkpoints load safely."""
import json
import random

import numpy as np
import pytest
import torch
from datasets import Dataset
from transformers import BertForSequenceClassification

import tiny_models

from helpers import checkpoints, freezing
from helpers.training import (History, TrainConfig, evaluate, linear_schedule, make_loader, plot_history,
                              stack_collate, train)

NAMES = ["low", "high"]


def tiny_bert(seed: int = 0) -> BertForSequenceClassification:
    return tiny_models.tiny_bert(seed=seed, vocab_size=20, hidden_size=32, layers=2, heads=4, num_labels=2)


def parity_data(n: int, seed: int) -> Dataset:
    """Label 1: tokens drawn from 12..19, label 0: from 4..11; learnable by a tiny model in a few epochs."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (n,), generator=g)
    ids = torch.randint(4, 12, (n, 8), generator=g) + 8 * labels[:, None]  # (n, 8)
    ids[:, 0] = 1  # a [CLS]-like first token
    return Dataset.from_dict({"input_ids": ids.tolist(), "attention_mask": torch.ones_like(ids).tolist(),
                              "label": labels.tolist()})


TRAIN, VALID = parity_data(96, seed=1), parity_data(48, seed=2)


def config(**overrides) -> TrainConfig:
    return TrainConfig(**{"epochs": 2, "learning_rate": 3e-3, "batch_size": 16, "progress": False,
                          "seed": 7, **overrides})


def test_training_learns_and_records_everything():
    model = tiny_bert()
    before = evaluate(model, VALID, NAMES)
    history = train(model, TRAIN, VALID, config(epochs=4), names=NAMES, device="cpu")
    after = history.evals[-1]
    assert len(history.losses) == len(history.step_seconds) == len(history.learning_rates) == 4 * 6
    assert [e["epoch"] for e in history.evals] == [1, 2, 3, 4]
    assert after["loss"] < before["loss"] and after["accuracy"] >= 0.9 > before["accuracy"]
    assert np.mean(history.losses[-6:]) < np.mean(history.losses[:6])
    assert history.seconds_per_step > 0 and history.peak_memory_bytes is None  # no CUDA here
    assert plot_history(history).get_xlabel() == "optimizer step"


def test_training_without_an_eval_dataset_skips_evaluation_and_still_learns():
    model = tiny_bert()
    before = evaluate(model, VALID, NAMES)
    history = train(model, TRAIN, None, config(epochs=4), device="cpu")
    assert history.evals == [] and len(history.losses) == 4 * 6
    assert evaluate(model, VALID, NAMES)["loss"] < before["loss"]
    plot_history(history)  # a loss curve without validation points


def test_an_eval_dataset_needs_class_names():
    with pytest.raises(ValueError, match="names .*eval_dataset=None"):
        train(tiny_bert(), TRAIN, VALID, config(), device="cpu")


def test_resumed_run_matches_an_uninterrupted_one(tmp_path):
    straight = tiny_bert()
    full = train(straight, TRAIN, VALID, config(), names=NAMES, device="cpu")

    interrupted = tiny_bert()
    first = train(interrupted, TRAIN, VALID, config(checkpoint_dir=str(tmp_path), stop_after_epoch=1),
                  names=NAMES, device="cpu")
    assert len(first.evals) == 1 and checkpoints.latest_checkpoint(tmp_path).name == "epoch-1"
    # a fresh process would start from a new model and scrambled random states
    resumed_model = tiny_bert(seed=123)
    torch.manual_seed(999), random.seed(999), np.random.seed(999)
    resumed = train(resumed_model, TRAIN, VALID, config(checkpoint_dir=str(tmp_path), resume=True),
                    names=NAMES, device="cpu")

    assert resumed.losses == pytest.approx(full.losses, abs=1e-6)
    assert resumed.evals[-1]["accuracy"] == full.evals[-1]["accuracy"]
    assert resumed.evals[-1]["loss"] == pytest.approx(full.evals[-1]["loss"], abs=1e-6)
    for (name, a), b in zip(straight.state_dict().items(), resumed_model.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), name
    assert checkpoints.latest_checkpoint(tmp_path).name == "epoch-2"


def test_resume_without_the_random_state_would_differ(tmp_path):
    """Guard: the comparison above can fail (dropout and shuffling really depend on the saved state)."""
    full = train(tiny_bert(), TRAIN, VALID, config(), names=NAMES, device="cpu")
    train(tiny_bert(), TRAIN, VALID, config(checkpoint_dir=str(tmp_path), stop_after_epoch=1),
          names=NAMES, device="cpu")
    state_file = checkpoints.latest_checkpoint(tmp_path) / checkpoints.STATE
    state = torch.load(state_file, weights_only=True)
    state["rng"]["torch"] = torch.manual_seed(12345).get_state()  # a different dropout stream
    torch.save(state, state_file)
    resumed = train(tiny_bert(), TRAIN, VALID, config(checkpoint_dir=str(tmp_path), resume=True),
                    names=NAMES, device="cpu")
    assert resumed.losses[:6] == pytest.approx(full.losses[:6], abs=1e-6)
    assert resumed.losses[6:] != pytest.approx(full.losses[6:], abs=1e-6)


def test_checkpoint_files_load_with_weights_only(tmp_path):
    model = tiny_bert()
    train(model, TRAIN, VALID, config(epochs=1, checkpoint_dir=str(tmp_path)), names=NAMES, device="cpu")
    folder = checkpoints.latest_checkpoint(tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["history.json", "model.safetensors", "state.pt"]
    state = torch.load(folder / "state.pt", weights_only=True)  # raises if anything needs pickle
    assert state["epoch"] == 1 and set(state["rng"]) >= {"python", "numpy", "torch"}
    assert len(json.loads((folder / "history.json").read_text())["losses"]) == 6
    from safetensors.torch import load_file
    weights = load_file(folder / "model.safetensors")
    assert torch.equal(weights["classifier.weight"], model.classifier.weight.detach())


def test_rng_state_round_trip():
    state = checkpoints.rng_state()
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    random.seed(1), np.random.seed(1), torch.manual_seed(1)
    checkpoints.set_rng_state(state)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected


def test_incomplete_checkpoints_are_ignored(tmp_path):
    (tmp_path / "epoch-3.partial").mkdir()
    (tmp_path / "epoch-2").mkdir()  # no files: a run killed while saving
    assert checkpoints.latest_checkpoint(tmp_path) is None
    assert checkpoints.latest_checkpoint(tmp_path / "missing") is None


def test_frozen_parameters_stay_put_and_groups_are_used():
    model = tiny_bert()
    freezing.freeze_bottom(model, 1)
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    groups = freezing.layerwise_lr_groups(model, 3e-3, 0.5)
    history = train(model, TRAIN, VALID, config(epochs=1), names=NAMES, param_groups=groups, device="cpu")
    for name, value in frozen.items():
        assert torch.equal(dict(model.named_parameters())[name], value), name
    assert history.learning_rates[-1] < history.learning_rates[0] or len(history.losses) == 1


def test_gradual_unfreezing_as_a_step_hook():
    model = tiny_bert()
    unfreezer = freezing.GradualUnfreezer(model, steps_per_stage=2)
    train(model, TRAIN, VALID, config(epochs=1), names=NAMES, on_step=unfreezer, device="cpu")
    assert [step for step, _ in unfreezer.reports] == [0, 2, 4]  # 6 steps: top layer, 2 layers, all
    assert unfreezer.reports[1][1].trainable > unfreezer.reports[0][1].trainable


def test_linear_schedule_warms_up_then_decays():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    schedule = linear_schedule(optimizer, warmup_steps=2, total_steps=6)
    rates = []
    for _ in range(6):
        rates.append(schedule.get_last_lr()[0])
        optimizer.step()
        schedule.step()
    assert rates == pytest.approx([1 / 3, 2 / 3, 1.0, 0.75, 0.5, 0.25])


def test_loader_order_depends_only_on_the_seed():
    data = Dataset.from_dict({"input_ids": [[i] for i in range(20)], "label": [0] * 20})
    order = lambda seed: torch.cat([b["input_ids"][:, 0] for b in make_loader(data, 5, stack_collate, True, seed)])
    torch.manual_seed(0)
    first = order(3)
    torch.manual_seed(1)
    assert torch.equal(order(3), first) and not torch.equal(order(4), first)


@pytest.mark.parametrize("field,value,error", [("epochs", 0, ValueError), ("batch_size", 1.5, TypeError),
                                               ("learning_rate", 0.0, ValueError), ("warmup_ratio", 1.0, ValueError)])
def test_config_names_bad_values(field, value, error):
    with pytest.raises(error, match=field):
        TrainConfig(**{field: value})


def test_resume_needs_a_folder():
    with pytest.raises(ValueError, match="checkpoint_dir"):
        TrainConfig(resume=True)


def test_history_round_trips_through_json():
    history = History(losses=[1.0], learning_rates=[0.1], step_seconds=[0.2], evals=[{"epoch": 1}])
    assert History(**json.loads(json.dumps(history.to_dict()))) == history


def test_out_of_memory_is_explained():
    from helpers.device import OutOfMemory, explain_oom
    with pytest.raises(OutOfMemory, match="batch_size=32: halve the batch size"):
        with explain_oom(batch_size=32):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    with pytest.raises(KeyError):  # other errors pass through unchanged
        with explain_oom(batch_size=32):
            raise KeyError("x")


def test_training_step_takes_a_tokenizer_batch_encoding_or_a_list_of_micro_batches():
    """Collators such as DataCollatorWithPadding return a BatchEncoding (a Mapping, not a dict)."""
    from transformers import BatchEncoding

    from helpers.device import pick_precision
    from helpers.training import TrainConfig, linear_schedule, training_step

    class Scorer(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(3, 1)

        def forward(self, features, labels):
            return type("Out", (), {"loss": torch.nn.functional.mse_loss(self.linear(features).squeeze(-1), labels)})()

    def step(model, batch):
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        return training_step(model, batch, optimizer, linear_schedule(optimizer, 0, 10), None, TrainConfig(),
                             device, pick_precision(device))

    torch.manual_seed(0)
    model, device = Scorer(), torch.device("cpu")
    features, labels = torch.randn(4, 3), torch.randn(4)
    start = {k: v.clone() for k, v in model.state_dict().items()}
    expected = model(features, labels).loss.item()
    loss = step(model, BatchEncoding({"features": features, "labels": labels}))
    assert isinstance(loss, float) and loss == pytest.approx(expected, rel=1e-6)
    assert not torch.equal(start["linear.weight"], model.linear.weight) and model.linear.weight.grad is None
    after_whole = {k: v.clone() for k, v in model.state_dict().items()}

    model.load_state_dict(start)  # the same step from two micro-batches: the same loss and update
    halves = [BatchEncoding({"features": features[i:i + 2], "labels": labels[i:i + 2]}) for i in (0, 2)]
    assert step(model, halves) == pytest.approx(expected, rel=1e-6)
    for name, value in model.state_dict().items():
        assert torch.allclose(value, after_whole[name], atol=1e-7), name
    with pytest.raises(ValueError, match="non-empty list"):
        step(model, [])
