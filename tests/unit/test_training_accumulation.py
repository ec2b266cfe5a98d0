"""Gradient accumulation and the out-of-memory retry of helpers.training: same examples, same update."""
import pytest
import torch
from datasets import Dataset

import tiny_models

from helpers.device import OutOfMemory, pick_precision
from helpers.training import (TrainConfig, accumulate_gradients, accumulation_groups, _split_rows,
                              stack_collate, train)
from test_training import TRAIN, parity_data

CPU = torch.device("cpu")


def still_bert(seed: int = 0):
    """A tiny BERT without dropout: two runs that see the same examples compute the same function."""
    return tiny_models.tiny_bert(seed=seed, vocab_size=20, hidden_size=32, layers=2, heads=4, num_labels=2,
                                 hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


def run(data: Dataset, model=None, **overrides):
    model = model if model is not None else still_bert()
    config = TrainConfig(**{"epochs": 1, "learning_rate": 3e-3, "progress": False, "seed": 7, **overrides})
    return model, train(model, data, None, config, device="cpu")


def assert_same_weights(a: torch.nn.Module, b: torch.nn.Module, atol: float = 1e-6) -> None:
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.allclose(x, y, atol=atol, rtol=1e-5), name


def gradient(model, group) -> torch.Tensor:
    model.zero_grad(set_to_none=True)
    loss = accumulate_gradients(model, group, None, CPU, pick_precision(CPU))
    return loss, torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])


@pytest.mark.parametrize("sizes", [(8, 8), (10, 6), (4, 4, 4, 4)])
def test_accumulated_gradient_is_the_big_batch_gradient(sizes):
    model = still_bert()
    big = stack_collate([TRAIN[i] for i in range(sum(sizes))])
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    micro = [{k: v[s:s + n] for k, v in big.items()} for s, n in zip(starts, sizes)]
    big_loss, big_grad = gradient(model, [big])
    loss, grad = gradient(model, micro)
    assert loss == pytest.approx(big_loss, rel=1e-6)
    assert torch.allclose(grad, big_grad, atol=1e-7, rtol=1e-5)
    # guard: summing the micro-batches' mean losses without weighting them would not be the big batch
    model.zero_grad(set_to_none=True)
    for batch in micro:
        model(**batch).loss.backward()
    unweighted = torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])
    assert not torch.allclose(unweighted, big_grad, atol=1e-6, rtol=1e-3)


def test_accumulation_of_two_equals_the_double_batch_after_one_update():
    data = TRAIN.select(range(32))
    accumulated, history = run(data, batch_size=16, gradient_accumulation_steps=2)
    big, big_history = run(data, batch_size=32)
    assert len(history.losses) == len(big_history.losses) == 1
    assert history.losses[0] == pytest.approx(big_history.losses[0], rel=1e-6)
    assert_same_weights(accumulated, big)
    assert not torch.allclose(accumulated.classifier.weight, still_bert().classifier.weight)  # it did move


def test_a_whole_run_with_a_short_last_group_matches_the_big_batch():
    """96 examples: micro-batches 10 x 9 + 6, in groups of two; the big batch is 20 x 4 + 16."""
    accumulated, history = run(TRAIN, epochs=2, batch_size=10, gradient_accumulation_steps=2)
    big, big_history = run(TRAIN, epochs=2, batch_size=20)
    assert history.losses == pytest.approx(big_history.losses, rel=1e-5)
    assert history.learning_rates == pytest.approx(big_history.learning_rates, rel=1e-9)
    assert_same_weights(accumulated, big, atol=1e-5)


def test_the_schedule_and_the_history_count_optimizer_steps():
    _, history = run(TRAIN, epochs=2, batch_size=10, gradient_accumulation_steps=4, warmup_ratio=0.0)
    steps = 2 * 3  # ceil(ceil(96 / 10) / 4) = 3 optimizer steps per epoch
    assert len(history.losses) == len(history.learning_rates) == len(history.step_seconds) == steps
    # linear decay to 0 over 6 steps: the rate after step s is lr * (6 - s) / 6 (over 20 micro-batches: 14/20)
    assert history.learning_rates == pytest.approx([3e-3 * (steps - s) / steps for s in range(1, steps + 1)])


def test_accumulation_groups_keep_a_short_last_group():
    assert [len(g) for g in accumulation_groups(range(10), 4)] == [4, 4, 2]
    with pytest.raises(ValueError, match="k must be a positive int"):
        accumulation_groups(range(10), 0)


def test_split_rows_keeps_every_example_once():
    batch = stack_collate([TRAIN[i] for i in range(15)])
    pieces = _split_rows(batch, 4)
    assert [len(p["labels"]) for p in pieces] == [4, 4, 4, 3]
    assert torch.equal(torch.cat([p["input_ids"] for p in pieces]), batch["input_ids"])
    assert _split_rows(batch, 1) == [batch]


@pytest.mark.parametrize("value,error", [(0, ValueError), (1.5, TypeError), (True, TypeError)])
def test_gradient_accumulation_steps_is_validated(value, error):
    with pytest.raises(error, match="gradient_accumulation_steps"):
        TrainConfig(gradient_accumulation_steps=value)


class Cramped(torch.nn.Module):
    """A model whose forward raises CUDA's own out-of-memory error for batches of more than ``fits`` rows."""

    def __init__(self, model: torch.nn.Module, fits: int, fail_on_calls: tuple[int, ...] = ()):
        super().__init__()
        self.model, self.fits, self.fail_on_calls, self.calls, self.rows = model, fits, fail_on_calls, 0, []

    def forward(self, **batch):
        self.calls += 1
        rows = batch["input_ids"].shape[0]
        if rows > self.fits or self.calls in self.fail_on_calls:
            raise torch.cuda.OutOfMemoryError(f"CUDA out of memory. Tried to allocate {rows} GiB")
        self.rows.append(rows)
        return self.model(**batch)


@pytest.mark.parametrize("batch_size,fits,halvings", [(16, 8, 1), (16, 5, 2), (16, 4, 2)])
def test_out_of_memory_halves_the_micro_batches_and_keeps_the_update(batch_size, fits, halvings):
    cramped = Cramped(still_bert(), fits=fits)
    _, history = run(TRAIN, model=cramped, epochs=2, batch_size=batch_size)
    assert history.oom_halvings == halvings and history.micro_batch_size == batch_size // 2 ** halvings
    assert max(cramped.rows) <= fits and len(history.losses) == 2 * 6  # the same optimizer steps
    # the same as micro-batches of that size from the start, accumulated to the same effective batch
    roomy, expected = run(TRAIN, epochs=2, batch_size=batch_size // 2 ** halvings,
                          gradient_accumulation_steps=2 ** halvings)
    assert history.losses == pytest.approx(expected.losses, rel=1e-5)
    assert_same_weights(cramped.model, roomy, atol=1e-5)


def test_out_of_memory_in_the_middle_of_a_group_discards_its_half_summed_gradients():
    cramped = Cramped(still_bert(), fits=16, fail_on_calls=(2,))  # the second micro-batch of the first group
    _, history = run(TRAIN, model=cramped, batch_size=8, gradient_accumulation_steps=2)
    assert history.oom_halvings == 1 and history.micro_batch_size == 4
    roomy, _ = run(TRAIN, batch_size=4, gradient_accumulation_steps=4)
    assert_same_weights(cramped.model, roomy, atol=1e-5)


def test_no_out_of_memory_leaves_the_history_untouched():
    _, history = run(TRAIN, batch_size=16)
    assert history.oom_halvings == 0 and history.micro_batch_size == 16


def test_a_single_example_that_does_not_fit_is_explained_in_one_sentence():
    with pytest.raises(OutOfMemory, match=r"single example \(batch_size=4 .*shorten max_length") as caught:
        run(TRAIN, model=Cramped(still_bert(), fits=0), batch_size=4)
    assert isinstance(caught.value.__cause__, torch.cuda.OutOfMemoryError)
    assert str(caught.value).count(". ") == 0 and str(caught.value).endswith(".")  # one sentence
