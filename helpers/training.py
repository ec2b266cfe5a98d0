"""A plain PyTorch training loop for sequence classification, short enough to read in one screen.

    from transformers import DataCollatorWithPadding
    from helpers.training import TrainConfig, train, evaluate, plot_history
    history = train(model, tokenized["train"], tokenized["validation"],
                    TrainConfig(epochs=1, learning_rate=5e-5, batch_size=16, gradient_accumulation_steps=2),
                    collate_fn=DataCollatorWithPadding(tokenizer), names=["ham", "spam"])
    history.evals[-1]["accuracy"], history.seconds_per_step, history.peak_memory_bytes
    plot_history(history)

What ``train`` does, in order (notebook 06, section 3, writes the same loop out as
``fine_tune``, and a test proves both give the same losses): move the model to the
device; build AdamW (over ``param_groups`` when given, e.g. ``freezing.layerwise_lr_groups``;
parameters with ``requires_grad=False`` get no gradient and are skipped); a linear warm-up
then linear decay of the learning rate, counted in optimizer steps; per optimizer step, a
group of ``gradient_accumulation_steps`` micro-batches of ``batch_size`` examples
(``accumulation_groups``), each forward under autocast in the precision of
``helpers.device.pick_precision`` (bf16, or fp16 with a grad scaler, on CUDA; fp32 on CPU)
and backward with its loss weighted by its share of the group's examples
(``accumulate_gradients``: 1/k for k equal micro-batches, so the summed gradient is the
big batch's mean-loss gradient); then gradient clipping, optimizer and scheduler steps
(``training_step``); at each epoch's end, ``evaluate`` on the validation set and (with
``checkpoint_dir``) a checkpoint (``helpers.checkpoints``). ``resume=True`` continues from
the latest checkpoint. ``History`` holds one loss (the mean over the group's examples) and
one learning rate per optimizer step. The last group of an epoch may be smaller (fewer
micro-batches, or a short last batch): weighting by examples makes its step the mean-loss
step over the examples it holds, as a last, smaller batch would be without accumulation.

The model is any Hugging Face ``...ForSequenceClassification`` (or a ``peft`` wrapper):
called with the batch's tensors and ``labels`` it returns ``.loss`` and ``.logits``.
Data sets yield dicts of token ids and a ``label``; ``collate_fn`` turns a list of them
into padded tensors (``DataCollatorWithPadding``, or ``stack_collate`` for equal lengths).
Shuffling uses a generator seeded with ``seed + epoch``, so a resumed run sees the
same order.

Out of memory: when a forward or backward pass raises ``torch.cuda.OutOfMemoryError``,
``train`` empties the CUDA cache, zeroes the gradients and redoes the same optimizer step
with every micro-batch cut in two (twice the accumulation, the same examples and update),
and keeps the smaller micro-batches from then on (``History.oom_halvings``,
``History.micro_batch_size``). Only when a single example does not fit, or memory runs out
in the optimizer step or in evaluation, does it raise ``OutOfMemory``: one sentence saying
what to shrink (``explain_oom``).
"""
from __future__ import annotations

import itertools
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import torch
from torch.utils.data import DataLoader

from . import checkpoints
from .device import (OutOfMemory, Precision, autocast, explain_oom, pick_device, pick_precision, seed_everything,
                     to_device)
from .inference import forward_batches
from .metrics import classification_metrics
from .course.validation import (require_bool, require_callable, require_dataset, require_instance, require_int,
                         require_module, require_number, require_str, require_strings)


@dataclass(frozen=True)
class TrainConfig:
    """How helpers.training.train trains: epochs, learning rate, batch sizes, warm-up, clipping, checkpoints.

    Taught in: notebook 05, section 5.
    """
    epochs: int = 1
    learning_rate: float = 5e-5
    batch_size: int = 16
    eval_batch_size: int = 64
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1          # share of all steps spent warming the learning rate up
    max_grad_norm: float | None = 1.0  # None: no clipping
    seed: int = 0
    progress: bool = True              # a tqdm bar over all steps
    checkpoint_dir: str | None = None  # save one checkpoint per epoch there
    resume: bool = False               # continue from the latest checkpoint in checkpoint_dir
    stop_after_epoch: int | None = None  # stop early (as if interrupted) after this many epochs
    gradient_accumulation_steps: int = 1  # micro-batches of batch_size per optimizer step

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "eval_batch_size"):
            require_int(name, getattr(self, name), minimum=1)
        require_number("learning_rate", self.learning_rate, above=0.0)
        require_number("warmup_ratio", self.warmup_ratio, minimum=0.0, below=1.0)
        require_number("weight_decay", self.weight_decay, minimum=0.0)
        if self.max_grad_norm is not None:
            require_number("max_grad_norm", self.max_grad_norm, above=0.0)
        require_int("seed", self.seed, minimum=0)
        require_int("gradient_accumulation_steps", self.gradient_accumulation_steps, minimum=1)
        require_bool("progress", self.progress)
        require_bool("resume", self.resume)
        if self.checkpoint_dir is not None:
            require_str("checkpoint_dir", self.checkpoint_dir)
        if self.stop_after_epoch is not None:
            require_int("stop_after_epoch", self.stop_after_epoch, minimum=1)
        if self.resume and not self.checkpoint_dir:
            raise ValueError("resume=True needs a checkpoint_dir to resume from")


@dataclass
class History:
    """What a training run recorded: the loss, learning rate and time of each step, and each epoch's evaluation.

    Taught in: notebook 06, section 3.
    """
    losses: list[float] = field(default_factory=list)          # training loss per optimizer step
    learning_rates: list[float] = field(default_factory=list)  # first group's lr per optimizer step
    step_seconds: list[float] = field(default_factory=list)    # wall time per optimizer step
    evals: list[dict[str, Any]] = field(default_factory=list)  # per epoch: loss and metrics
    peak_memory_bytes: int | None = None                       # CUDA only; None elsewhere
    oom_halvings: int = 0                    # times an out-of-memory cut the micro-batches in two
    micro_batch_size: int | None = None      # examples per forward pass at the end (batch_size if none)

    @property
    def seconds_per_step(self) -> float:
        """Median wall time of a step (the median ignores the slow first steps)."""
        times = sorted(self.step_seconds)
        return times[len(times) // 2] if times else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def stack_collate(features: Sequence[dict[str, Any]]) -> dict[str, torch.Tensor]:
    """Stack equal-length examples into tensors; ``label`` becomes ``labels``.

    Not taught: a building block of this module's taught helpers.
    """
    if isinstance(features, (str, bytes, dict)) or not isinstance(features, Sequence):
        raise TypeError(f"features must be a list of examples (dicts), got {type(features).__name__}")
    if not features:
        raise ValueError("features must hold at least one example, got an empty list")
    if not all(isinstance(f, dict) for f in features):
        raise TypeError(f"features must hold dicts of token ids, got {type(features[0]).__name__} items")
    batch = {}
    for key in features[0]:
        lengths = sorted({len(f[key]) if isinstance(f[key], (list, tuple)) else 0 for f in features})
        if len(lengths) > 1:
            raise ValueError(f"features must all have the same length for {key!r} to be stacked, got lengths "
                             f"{lengths}: pad them (collate_fn=DataCollatorWithPadding(tokenizer))")
        batch[key] = torch.tensor([f[key] for f in features])
    if "label" in batch:
        batch["labels"] = batch.pop("label")
    return batch


def make_loader(dataset, batch_size: int, collate_fn: Callable, shuffle: bool = False,
                seed: int = 0) -> DataLoader:
    """A DataLoader whose shuffling depends only on ``seed`` (use seed + epoch per epoch).

    Taught in: notebook 06, section 3.
    """
    require_dataset("dataset", dataset)
    require_int("batch_size", batch_size, minimum=1)
    require_callable("collate_fn", collate_fn)
    require_bool("shuffle", shuffle)
    require_int("seed", seed, minimum=0)
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, collate_fn=collate_fn,
                      generator=generator)


def linear_schedule(optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int):
    """Learning rate x (step / warmup) while warming up, then linearly down to 0 at the end.

    Taught in: notebook 06, section 3.
    """
    require_instance("optimizer", optimizer, torch.optim.Optimizer, "a torch.optim.Optimizer")
    require_int("total_steps", total_steps, minimum=1)
    require_int("warmup_steps", warmup_steps, minimum=0, maximum=total_steps)
    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / (warmup_steps + 1)
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))
    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def default_param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Trainable parameters in two groups: with weight decay, and without (biases, LayerNorm).

    Taught in: notebook 06, section 3.
    """
    require_module("model", model)
    require_number("weight_decay", weight_decay, minimum=0.0)
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if param.requires_grad:
            (no_decay if param.ndim < 2 else decay).append(param)  # 1-d: biases and norm weights
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def predict(model: torch.nn.Module, dataset, collate_fn: Callable = stack_collate, batch_size: int = 64,
            device: torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor, float]:
    """(predicted ids (N,), true labels (N,), mean loss) over ``dataset`` in eval mode (``inference.forward_batches``).

    Taught in: notebook 05, section 5.
    """
    require_module("model", model)
    require_dataset("dataset", dataset)
    require_int("batch_size", batch_size, minimum=1)
    if len(dataset) == 0:
        raise ValueError("dataset must hold at least one example, got an empty dataset")
    kept = forward_batches(model, make_loader(dataset, batch_size, collate_fn), _class_and_loss, device=device)
    predictions, labels, losses = zip(*kept)
    truth = torch.cat(labels)
    return torch.cat(predictions), truth, sum(losses) / len(truth)


def _class_and_loss(batch: dict[str, torch.Tensor], out) -> tuple[torch.Tensor, torch.Tensor, float]:
    """(predicted ids (B,), true labels (B,), summed loss of the batch) on the CPU."""
    return out.logits.argmax(dim=-1).cpu(), batch["labels"].cpu(), out.loss.float().item() * len(batch["labels"])


def evaluate(model: torch.nn.Module, dataset, names: Sequence[str], collate_fn: Callable = stack_collate,
             batch_size: int = 64) -> dict[str, Any]:
    """Mean loss and ``metrics.classification_metrics`` of the model on ``dataset``.

    Taught in: notebook 06, section 3.
    """
    require_strings("names", names, min_length=2)
    predicted, truth, loss = predict(model, dataset, collate_fn, batch_size)
    return {"loss": loss, **classification_metrics(truth, predicted, names)}


def accumulation_groups(loader: Iterable, k: int) -> Iterator[list]:
    """Consecutive groups of ``k`` micro-batches from ``loader`` (the last may hold fewer): one optimizer step each.

    Gradient accumulation's grouping, in ``train`` and in notebook 06's ``fine_tune`` (section 3).

    Taught in: notebook 06, section 3.
    """
    if not isinstance(loader, Iterable) or isinstance(loader, (str, bytes, Mapping)):
        raise TypeError(f"loader must be an iterable of batches (a DataLoader), got {type(loader).__name__}")
    require_int("k", k, minimum=1)
    return _groups(iter(loader), k)


def _groups(iterator: Iterator, k: int) -> Iterator[list]:
    while group := list(itertools.islice(iterator, k)):
        yield group


def _rows(batch: Mapping[str, torch.Tensor]) -> int:
    """Examples in a collated batch: the first dimension of its first tensor."""
    return next(iter(batch.values())).shape[0]


def _split_rows(batch: Mapping[str, torch.Tensor], pieces: int) -> list[Mapping[str, torch.Tensor]]:
    """``batch`` cut into at most ``pieces`` consecutive slices of rows: the same examples, smaller passes."""
    if pieces == 1:
        return [batch]
    rows = _rows(batch)
    size = -(-rows // pieces)
    return [{key: value[i:i + size] for key, value in batch.items()} for i in range(0, rows, size)]


def accumulate_gradients(model: torch.nn.Module, group: Sequence[Mapping[str, torch.Tensor]],
                         scaler: "torch.amp.GradScaler | None", device: torch.device, precision: Precision,
                         pieces: int = 1) -> float:
    """Forward and backward over a group of micro-batches, adding their gradients up; returns the mean loss.

    Each micro-batch's mean loss is weighted by its share of the group's examples (1/k for k equal
    micro-batches), so the summed gradient is the gradient of the mean loss over the whole group: the
    update of one batch holding all of it. ``pieces`` cuts every micro-batch into that many slices
    first (``train``'s retry after an out-of-memory). Notebook 06, section 3, writes it out.

    Taught in: notebook 06, section 7.
    """
    require_module("model", model)
    _check_group(group)
    require_instance("precision", precision, Precision, "the Precision that pick_precision(device) returns")
    require_int("pieces", pieces, minimum=1)
    slices = [piece for batch in group for piece in _split_rows(batch, pieces)]
    rows = sum(_rows(piece) for piece in slices)
    total = 0.0
    for piece in slices:
        with autocast(device, precision):
            loss = model(**to_device(piece, device)).loss * (_rows(piece) / rows)  # its share of the mean
        (scaler.scale(loss) if scaler else loss).backward()  # fp16: scaled up so small gradients survive
        total += loss.item()
    return total


def _optimizer_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler,
                   scaler: "torch.amp.GradScaler | None", max_grad_norm: float | None) -> None:
    """Clip the summed gradients, step the optimizer and the learning-rate schedule, zero the gradients."""
    if scaler:
        scaler.unscale_(optimizer)  # clip the true gradients, not the scaled ones
    if max_grad_norm is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    scaler.step(optimizer) if scaler else optimizer.step()  # fp16: skipped when a gradient overflowed
    if scaler:
        scaler.update()
    optimizer.zero_grad(set_to_none=True)
    scheduler.step()


def _check_group(group: Any, name: str = "group") -> None:
    """A non-empty list of batches, each a dict (or BatchEncoding) of tensors with a batch dimension."""
    if isinstance(group, (str, bytes, Mapping)) or not isinstance(group, Sequence):
        raise TypeError(f"{name} must be a list of batches (dicts of tensors), got {type(group).__name__}")
    if not group:
        raise ValueError(f"{name} must be a dict of tensors or a non-empty list of them, got an empty list")
    for batch in group:
        if not isinstance(batch, Mapping):  # a dict, or a tokenizer's BatchEncoding
            raise TypeError(f"{name} must hold dicts of tensors (the model's keyword arguments), got "
                            f"{type(batch).__name__}")
        flat = [key for key, value in batch.items() if not isinstance(value, torch.Tensor) or value.ndim == 0]
        if not batch or flat:
            raise ValueError(f"{name} must map names to tensors with a batch dimension (B, ...), got "
                             f"{'an empty dict' if not batch else repr(flat[0]) + ' without one'}")


def training_step(model: torch.nn.Module, batch: Mapping[str, torch.Tensor] | Sequence[Mapping[str, torch.Tensor]],
                  optimizer: torch.optim.Optimizer, scheduler, scaler: "torch.amp.GradScaler | None",
                  config: TrainConfig, device: torch.device, precision: Precision, pieces: int = 1) -> float:
    """One optimizer step on one batch, or on a list of micro-batches whose gradients add up; returns the loss.

    The step of ``train``, public for a loop of your own: the model computes its own loss, and the
    loss returned is the mean over the step's examples. A CUDA out-of-memory error in a forward or
    backward pass propagates as ``torch.cuda.OutOfMemoryError`` with the gradients zeroed, so the
    caller can retry with more ``pieces`` (``train`` does); one in the optimizer step becomes ``OutOfMemory``.

    Not taught: a building block of this module's taught helpers.
    """
    require_module("model", model)
    group = [batch] if isinstance(batch, Mapping) or not isinstance(batch, Sequence) else list(batch)
    _check_group(group, "batch")
    require_instance("config", config, TrainConfig, "a TrainConfig(...)")
    try:
        loss = accumulate_gradients(model, group, scaler, device, precision, pieces)
    except torch.cuda.OutOfMemoryError:
        optimizer.zero_grad(set_to_none=True)  # drop the half-summed gradients: the step is redone whole
        raise
    with explain_oom(config.batch_size):
        _optimizer_step(model, optimizer, scheduler, scaler, config.max_grad_norm)
    if device.type == "cuda":
        torch.cuda.synchronize(device)  # so that step times measure the step
    return loss


def _fitting_step(model: torch.nn.Module, group: list, optimizer: torch.optim.Optimizer, scheduler,
                  scaler: "torch.amp.GradScaler | None", config: TrainConfig, device: torch.device,
                  precision: Precision, history: History) -> float:
    """``training_step``, cutting the micro-batches in two after each CUDA out-of-memory until they fit."""
    while True:
        pieces = 2 ** history.oom_halvings
        try:
            return training_step(model, group, optimizer, scheduler, scaler, config, device, precision, pieces)
        except torch.cuda.OutOfMemoryError as error:
            if max(_rows(batch) for batch in group) <= pieces:  # already one example per pass
                torch.cuda.empty_cache()
                raise OutOfMemory(
                    f"the GPU ran out of memory on a single example (batch_size={config.batch_size} was already "
                    f"cut to 1 example per pass): shorten max_length, freeze more layers or call "
                    f"model.gradient_checkpointing_enable(), then restart the kernel.") from error
        torch.cuda.empty_cache()  # here, after the except block has released the failed pass's tensors
        history.oom_halvings += 1
        history.micro_batch_size = -(-config.batch_size // 2 ** history.oom_halvings)


def train(model: torch.nn.Module, train_dataset, eval_dataset, config: TrainConfig, *,
          names: Sequence[str] | None = None, collate_fn: Callable = stack_collate,
          param_groups: list[dict[str, Any]] | None = None,
          on_step: Callable[[int, int], Any] | None = None, device: torch.device | None = None) -> History:
    """Train ``model`` for ``config.epochs`` epochs; evaluate after each; return the History.

    ``eval_dataset`` (with the class ``names``) is evaluated as classification after every epoch;
    ``None`` skips evaluation, for models whose outputs need their own post-processing (QA's
    spans: ``helpers.qa.train_qa``). ``on_step(step, epoch)`` runs before every optimizer step
    (e.g. ``freezing.GradualUnfreezer``). Notebook 06, section 3, writes this loop out.

    Taught in: notebook 06, section 3.
    """
    from tqdm.auto import tqdm

    require_module("model", model)
    require_dataset("train_dataset", train_dataset)
    require_instance("config", config, TrainConfig, "a TrainConfig(...)")
    if eval_dataset is not None:
        require_dataset("eval_dataset", eval_dataset)
        if names is None:
            raise ValueError("names must be the class names (e.g. ['ham', 'spam']) to evaluate eval_dataset, "
                             "got None; pass eval_dataset=None to train without evaluation")
        require_strings("names", names, min_length=2)
    require_callable("collate_fn", collate_fn)
    if on_step is not None:
        require_callable("on_step", on_step)
    if len(train_dataset) == 0:
        raise ValueError("train_dataset must hold at least one example, got an empty dataset")
    device = torch.device(device) if device is not None else pick_device()
    precision = pick_precision(device)
    model.to(device)
    seed_everything(config.seed)
    groups = param_groups if param_groups is not None else default_param_groups(model, config.weight_decay)
    optimizer = torch.optim.AdamW(groups, lr=config.learning_rate)
    k = config.gradient_accumulation_steps
    micro_batches = -(-len(train_dataset) // config.batch_size)
    steps_per_epoch = -(-micro_batches // k)  # optimizer steps: the schedule counts these
    total = steps_per_epoch * config.epochs
    scheduler = linear_schedule(optimizer, round(config.warmup_ratio * total), total)
    scaler = torch.amp.GradScaler(device.type) if precision.use_grad_scaler else None
    history, start = History(), 0
    found = checkpoints.latest_checkpoint(config.checkpoint_dir) if config.resume else None
    if found is not None:
        start, saved = checkpoints.load_checkpoint(found, model, optimizer, scheduler, scaler)
        history = History(**saved)
    history.micro_batch_size = -(-config.batch_size // 2 ** history.oom_halvings)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    last = min(config.epochs, config.stop_after_epoch or config.epochs)
    bar = tqdm(total=(last - start) * steps_per_epoch, disable=not config.progress, desc="training")
    for epoch in range(start, last):
        model.train()
        loader = make_loader(train_dataset, config.batch_size, collate_fn, shuffle=True, seed=config.seed + epoch)
        for index, group in enumerate(accumulation_groups(loader, k)):
            if on_step is not None:
                on_step(epoch * steps_per_epoch + index, epoch)
            began = time.perf_counter()
            loss = _fitting_step(model, group, optimizer, scheduler, scaler, config, device, precision, history)
            history.step_seconds.append(time.perf_counter() - began)
            history.losses.append(loss)
            history.learning_rates.append(scheduler.get_last_lr()[0])
            bar.update()
            bar.set_postfix(loss=f"{loss:.3f}")
        if eval_dataset is not None:
            history.evals.append({"epoch": epoch + 1, **evaluate(model, eval_dataset, names, collate_fn,
                                                                  config.eval_batch_size)})
        if device.type == "cuda":
            history.peak_memory_bytes = max(history.peak_memory_bytes or 0, torch.cuda.max_memory_allocated(device))
        if config.checkpoint_dir:
            checkpoints.save_checkpoint(config.checkpoint_dir, epoch + 1, model, optimizer, scheduler,
                                        history.to_dict(), scaler)
    bar.close()
    return history


def plot_history(history: History, ax=None, title: str = "Training loss"):
    """Training loss per step, and validation loss at each epoch's end.

    Taught in: notebook 05, section 6.
    """
    require_instance("history", history, History, "the History that train() returns")
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(6, 3.4))[1]
    ax.plot(range(1, len(history.losses) + 1), history.losses, label="training loss (per step)")
    if history.evals and history.losses:
        steps_per_epoch = len(history.losses) / len(history.evals)
        ax.plot([steps_per_epoch * e["epoch"] for e in history.evals], [e["loss"] for e in history.evals],
                "o--", label="validation loss (per epoch)")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("cross-entropy loss (nats)")
    ax.set_title(title)
    ax.legend()
    return ax
