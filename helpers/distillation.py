"""Knowledge distillation: a small student learns from a fine-tuned teacher's softened predictions.

    from helpers.distillation import BagOfEmbeddings, distillation_loss, teacher_logits, train_student
    z_teacher = teacher_logits(teacher, train_set, collate)            # (N, C), computed once
    student = BagOfEmbeddings(encoder.embeddings.word_embeddings, num_labels=2)
    train_student(student, train_set, collate, z_teacher, temperature=2.0, alpha=0.5, ...)
    train_student(other, train_set, collate, None, ...)                # the same loop on hard labels only

**The loss** (Hinton et al., 2015). With temperature T, the teacher's softened probabilities
q = softmax(z_t / T) say how much *each* class is plausible, not only which one wins. The
student matches them with the KL divergence between the two softened distributions, multiplied
by T^2 (the softened gradients shrink as 1/T^2; the factor keeps their scale when T changes),
and still learns the true labels with cross-entropy:

    L = alpha * T^2 * KL(softmax(z_t / T) || softmax(z_s / T)) + (1 - alpha) * CE(z_s, y)

alpha = 0 is plain training on hard labels: the same loop, the same steps, the same start, so
the two students differ only in what they learn from.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from transformers.modeling_outputs import SequenceClassifierOutput

from .inference import forward_batches
from .training import make_loader
from .course.validation import (require_callable, require_dataset, require_int, require_module, require_number,
                                require_tensor)


class BagOfEmbeddings(torch.nn.Module):
    """A student without attention: the mean of a (frozen) word-embedding table over the tokens, then a linear head.

    ``embeddings`` (an ``nn.Embedding``, e.g. the teacher's ``word_embeddings``) is copied and frozen;
    only the head (D * C + C weights) trains. ``[CLS]`` and ``[SEP]`` (``special_ids``) and the
    padding are left out of the mean. Returns an output with ``.logits`` (B, C), like a transformers
    classifier, so the course's training and prediction helpers accept it.

    Taught in: notebook 10, section 8.
    """

    def __init__(self, embeddings: torch.nn.Embedding, num_labels: int = 2, special_ids: tuple[int, ...] = (101, 102)):
        super().__init__()
        require_module("embeddings", embeddings)
        if not isinstance(embeddings, torch.nn.Embedding):
            raise TypeError(f"embeddings must be a torch.nn.Embedding (a word-embedding table), "
                            f"got {type(embeddings).__name__}")
        require_int("num_labels", num_labels, minimum=2)
        self.embeddings = torch.nn.Embedding.from_pretrained(embeddings.weight.detach().clone(), freeze=True)
        self.head = torch.nn.Linear(embeddings.embedding_dim, num_labels)
        self.register_buffer("special_ids", torch.tensor(special_ids, dtype=torch.long), persistent=False)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                **ignored) -> SequenceClassifierOutput:
        keep = torch.ones_like(input_ids, dtype=torch.bool) if attention_mask is None else attention_mask.bool()
        keep = keep & ~torch.isin(input_ids, self.special_ids)                      # (B, T) the words only
        vectors = self.embeddings(input_ids) * keep.unsqueeze(-1)                   # (B, T, D)
        mean = vectors.sum(dim=1) / keep.sum(dim=1, keepdim=True).clamp(min=1)      # (B, D)
        return SequenceClassifierOutput(logits=self.head(mean))                     # (B, C)


def distillation_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor,
                      temperature: float = 2.0, alpha: float = 0.5) -> torch.Tensor:
    """alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T)) + (1 - alpha) * cross-entropy(student, labels).

    The KL term is averaged over the batch (``reduction="batchmean"``, the true KL per example).

    Taught in: notebook 10, section 8.
    """
    require_tensor("student_logits", student_logits, shape="(B, C)")
    require_tensor("teacher_logits", teacher_logits, shape="(B, C)")
    require_tensor("labels", labels, shape="(B,)")
    if student_logits.ndim != 2 or teacher_logits.shape != student_logits.shape:
        raise ValueError(f"student_logits and teacher_logits must both be (B, C), got {tuple(student_logits.shape)} "
                         f"and {tuple(teacher_logits.shape)}")
    if labels.shape != student_logits.shape[:1]:
        raise ValueError(f"labels must be (B,) = {tuple(student_logits.shape[:1])}, got {tuple(labels.shape)}")
    require_number("temperature", temperature, above=0.0)
    require_number("alpha", alpha, minimum=0.0, maximum=1.0)
    soft_targets = (teacher_logits / temperature).softmax(dim=-1)           # (B, C) the teacher's q
    log_student = (student_logits / temperature).log_softmax(dim=-1)        # (B, C) log p_s at temperature T
    soft = F.kl_div(log_student, soft_targets, reduction="batchmean")       # KL(q || p_s), mean over the batch
    hard = F.cross_entropy(student_logits, labels)                          # the true labels, T = 1
    return alpha * temperature**2 * soft + (1 - alpha) * hard


@torch.no_grad()
def teacher_logits(teacher: torch.nn.Module, dataset, collate_fn: Callable, batch_size: int = 64) -> torch.Tensor:
    """The teacher's logits (N, C) over ``dataset``, in eval mode and in the dataset's order.

    Taught in: notebook 10, section 8.
    """
    require_module("teacher", teacher)
    require_dataset("dataset", dataset)
    require_callable("collate_fn", collate_fn)
    require_int("batch_size", batch_size, minimum=1)
    if len(dataset) == 0:
        raise ValueError("dataset must hold at least one example, got an empty dataset")
    kept = forward_batches(teacher, make_loader(dataset, batch_size, collate_fn), lambda batch, out: out.logits.float().cpu(),
                           leave_out=("labels",))
    return torch.cat(list(kept))


def train_student(student: torch.nn.Module, dataset, collate_fn: Callable, soft_logits: torch.Tensor | None,
                  temperature: float = 2.0, alpha: float = 0.5, epochs: int = 1, learning_rate: float = 2e-4,
                  batch_size: int = 16, seed: int = 0) -> list[float]:
    """Train ``student`` (a sequence classifier) on ``dataset`` with ``distillation_loss``; the loss of each step.

    ``soft_logits`` (N, C) are the teacher's logits in ``dataset``'s order (``teacher_logits``);
    ``None`` trains on the hard labels only (alpha = 0). AdamW at a constant rate; the batch
    order and the dropout masks come from ``seed`` (the caller's random state is left alone), so two
    students given the same seed see the same batches.

    Taught in: notebook 10, section 8.
    """
    require_module("student", student)
    require_dataset("dataset", dataset)
    require_callable("collate_fn", collate_fn)
    if soft_logits is not None:
        require_tensor("soft_logits", soft_logits, shape="(N, C)")
        if soft_logits.ndim != 2 or len(soft_logits) != len(dataset):
            raise ValueError(f"soft_logits must be (N, C) with N = {len(dataset)} examples, "
                             f"got {tuple(soft_logits.shape)}")
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        require_int(name, value, minimum=1)
    require_int("seed", seed, minimum=0)
    require_number("learning_rate", learning_rate, above=0.0)
    alpha = 0.0 if soft_logits is None else alpha
    device = next(student.parameters()).device
    optimizer = torch.optim.AdamW(student.parameters(), lr=learning_rate)
    losses = []
    student.train()
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):  # the caller's random state is left alone
        torch.manual_seed(seed)                                                       # batch order and dropout masks
        for _ in range(epochs):
            order = torch.randperm(len(dataset)).tolist()
            for start in range(0, len(order), batch_size):
                chosen = order[start:start + batch_size]                               # B example indices
                batch = collate_fn([dataset[i] for i in chosen])
                labels = batch.pop("labels").to(device)                                # (B,)
                logits = student(**{k: v.to(device) for k, v in batch.items()}).logits  # (B, C)
                teacher = logits.detach() if soft_logits is None else soft_logits[chosen].to(device)  # (B, C)
                loss = distillation_loss(logits, teacher, labels, temperature, alpha)  # alpha = 0: hard labels only
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
    student.eval()
    return losses
