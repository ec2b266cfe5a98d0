"""helpers.distillation: the loss against hand-computed KL and cross-entropy, its gradient, and a student that learns."""
import math

import pytest
import torch
import torch.nn.functional as F

import tiny_models

from helpers.distillation import distillation_loss, teacher_logits, train_student


def test_alpha_zero_is_cross_entropy_and_alpha_one_is_scaled_kl():
    torch.manual_seed(0)
    s, t, y = torch.randn(5, 3), torch.randn(5, 3), torch.tensor([0, 2, 1, 1, 0])
    assert torch.allclose(distillation_loss(s, t, y, temperature=3.0, alpha=0.0), F.cross_entropy(s, y))
    q, log_p = (t / 3).softmax(-1), (s / 3).log_softmax(-1)
    kl = (q * (q.log() - log_p)).sum(-1).mean()  # KL(q || p) by hand, mean over the batch
    assert torch.allclose(distillation_loss(s, t, y, temperature=3.0, alpha=1.0), 9 * kl, atol=1e-6)
    mixed = distillation_loss(s, t, y, temperature=3.0, alpha=0.25)
    assert torch.allclose(mixed, 0.25 * 9 * kl + 0.75 * F.cross_entropy(s, y), atol=1e-6)


def test_two_class_numbers_by_hand():
    s, t, y = torch.tensor([[0.0, 0.0]]), torch.tensor([[2.0, 0.0]]), torch.tensor([0])
    q1 = 1 / (1 + math.exp(-1.0))  # softmax of [2, 0] / 2
    kl = q1 * math.log(q1 / 0.5) + (1 - q1) * math.log((1 - q1) / 0.5)
    want = 0.5 * 4 * kl + 0.5 * math.log(2)
    assert distillation_loss(s, t, y, temperature=2.0, alpha=0.5).item() == pytest.approx(want, rel=1e-6)


def test_matching_the_teacher_zeroes_the_soft_term_and_its_gradient_is_t_times_the_gap():
    torch.manual_seed(1)
    t, y = torch.randn(4, 2), torch.tensor([0, 1, 1, 0])
    assert distillation_loss(t, t, y, temperature=4.0, alpha=1.0).abs().item() < 1e-6
    s = torch.randn(4, 2, requires_grad=True)
    distillation_loss(s, t, y, temperature=4.0, alpha=1.0).backward()
    # d/dz_s of T^2 KL(q || softmax(z_s / T)), averaged over B rows: T * (p_s - q) / B
    want = 4.0 * ((s.detach() / 4).softmax(-1) - (t / 4).softmax(-1)) / 4
    assert torch.allclose(s.grad, want, atol=1e-6)


def _dataset(n=64, seed=0):
    """Token 5 or 6 at position 1 gives the label; the rest is noise."""
    g = torch.Generator().manual_seed(seed)
    rows = []
    for _ in range(n):
        label = int(torch.randint(0, 2, (1,), generator=g))
        ids = [2, 5 + label] + torch.randint(7, 30, (4,), generator=g).tolist() + [3]
        rows.append({"input_ids": torch.tensor(ids), "attention_mask": torch.ones(7, dtype=torch.long),
                     "labels": torch.tensor(label)})
    return rows


def collate(rows):
    return {k: torch.stack([r[k] for r in rows]) for k in rows[0]}


def _accuracy(model, rows):
    logits = teacher_logits(model, rows, collate)
    return (logits.argmax(-1) == torch.stack([r["labels"] for r in rows])).float().mean().item()


def test_teacher_logits_are_the_models_logits_in_order():
    model, rows = tiny_models.tiny_bert(num_labels=2).eval(), _dataset(10)
    got = teacher_logits(model, rows, collate, batch_size=3)
    with torch.no_grad():
        want = model(**{k: v for k, v in collate(rows).items() if k != "labels"}).logits
    assert got.shape == (10, 2) and torch.allclose(got, want, atol=1e-5)


@pytest.mark.parametrize("soft", [False, True])
def test_a_student_learns_from_hard_labels_and_from_a_teacher(soft):
    train_rows, test_rows = _dataset(96, seed=0), _dataset(64, seed=1)
    labels = torch.stack([r["labels"] for r in train_rows])
    teacher = 4.0 * F.one_hot(labels, 2).float() - 2.0  # (N, 2) a confident, correct teacher
    student = tiny_models.tiny_bert(num_labels=2, hidden_size=32, heads=2, seed=3)
    before = _accuracy(student, test_rows)
    losses = train_student(student, train_rows, collate, teacher if soft else None, temperature=2.0, alpha=0.5,
                           epochs=6, learning_rate=3e-3, batch_size=16, seed=0)
    assert len(losses) == 6 * 6 and not student.training
    assert _accuracy(student, test_rows) > 0.9 > before + 0.2
    assert sum(losses[-6:]) < 0.85 * sum(losses[:6])  # the loss fell too


def test_same_seed_same_batches_so_alpha_zero_equals_hard_labels():
    rows = _dataset(32)
    a, b = (tiny_models.tiny_bert(num_labels=2, seed=4) for _ in range(2))
    zero = torch.zeros(32, 2)
    la = train_student(a, rows, collate, None, epochs=1, learning_rate=1e-3, seed=7)
    lb = train_student(b, rows, collate, zero, alpha=0.0, epochs=1, learning_rate=1e-3, seed=7)
    assert la == pytest.approx(lb)


def test_bag_of_embeddings_means_the_words_and_freezes_the_table():
    from helpers.distillation import BagOfEmbeddings

    table = torch.nn.Embedding(10, 4)
    bag = BagOfEmbeddings(table, num_labels=2, special_ids=(2, 3))
    ids = torch.tensor([[2, 5, 7, 3, 0], [2, 6, 3, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 0], [1, 1, 1, 0, 0]])
    want = torch.stack([table.weight[[5, 7]].mean(0), table.weight[6]]).detach()  # [CLS], [SEP], padding left out
    assert torch.allclose(bag(input_ids=ids, attention_mask=mask).logits, bag.head(want), atol=1e-6)
    assert [n for n, p in bag.named_parameters() if p.requires_grad] == ["head.weight", "head.bias"]
    table.weight.data.zero_()
    assert bag.embeddings.weight.abs().sum() > 0  # a copy: the teacher's table is not shared
