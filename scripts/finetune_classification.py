"""Fine-tune an encoder for text classification on one CPU, one GPU, or many GPUs and nodes.

The same steps as notebook 06 (tokenize, pad per batch, AdamW with warm-up, evaluate), written
with ``accelerate`` so that one file runs everywhere::

    python scripts/finetune_classification.py --max-steps 3                  # one process
    accelerate launch --multi_gpu --num_processes 8 scripts/finetune_classification.py
    accelerate launch --num_machines 2 --machine_rank 0 --main_process_ip 10.0.0.1 \\
        --main_process_port 29500 --multi_gpu --num_processes 16 scripts/finetune_classification.py

Mixed precision comes from the accelerate config (``accelerate config``) or from
``--mixed_precision bf16`` on the launch line. Model and data default to the course
settings (``helpers.settings()``: ``cfg.models.encoder``, ``cfg.data.classification``).

The learning-rate schedule with several processes. ``--batch-size`` is per process, so N
processes take N batches per optimizer step and an epoch has N times fewer optimizer steps;
the script counts the run's steps from its own share of the batches (``len(train_loader)``
after ``prepare``). Accelerate's prepared scheduler steps the wrapped scheduler N times per
optimizer step (it expects a schedule counted in one-process batches, as the transformers
``*_no_trainer`` examples count it), so the script builds the schedule N times longer: warm-up
ends and the rate reaches zero at the same optimizer step on 1 or 8 processes, and runs with
the same global batch follow the same curve. ``--lr-trace PATH`` writes the rate after each
optimizer step (what Trainer logs as ``learning_rate``) to a JSON file. Several CPU processes
talking over gloo, e.g. to test the script::

    CUDA_VISIBLE_DEVICES= ACCELERATE_USE_CPU=true accelerate launch --multi_gpu --num_processes 2 \\
        --num_machines 1 --mixed_precision no --dynamo_backend no scripts/finetune_classification.py

(``accelerate launch --cpu --num_processes 2`` starts a single process unless given an MPI
hostfile: the trace's ``num_processes`` says how many ran.)
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere: find helpers/


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="model id or folder (default: cfg.models.encoder)")
    parser.add_argument("--data", default=None, help="data id or folder (default: cfg.data.classification)")
    parser.add_argument("--max-length", type=int, default=128, help="tokens kept per text")
    parser.add_argument("--train-examples", type=int, default=0, help="stratified subset of train (0: all)")
    parser.add_argument("--eval-examples", type=int, default=0, help="subset of validation (0: all)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=5e-5, help="peak learning rate of AdamW")
    parser.add_argument("--batch-size", type=int, default=16,
                        help="per process; global = this x processes x accumulation steps")
    parser.add_argument("--gradient-accumulation-steps", type=int, default=1)
    parser.add_argument("--warmup-ratio", type=float, default=0.1)
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--max-steps", type=int, default=0, help="stop after this many optimizer steps (0: no limit)")
    parser.add_argument("--output-dir", default="build/checkpoints/06-script", help="where the model is saved")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr-trace", default=None, metavar="PATH",
                        help="write the learning rate after each optimizer step to this JSON file")
    args = parser.parse_args(argv)
    for name in ("max_length", "epochs", "batch_size", "gradient_accumulation_steps"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if args.lr <= 0:
        parser.error(f"--lr must be positive, got {args.lr}")
    if not 0 <= args.warmup_ratio <= 1:
        parser.error(f"--warmup-ratio must be between 0 and 1, got {args.warmup_ratio}")
    if args.max_steps < 0:
        parser.error(f"--max-steps must be 0 (no limit) or more, got {args.max_steps}")
    return args


def optimizer_steps(batches_per_epoch: int, accumulation: int, epochs: int, max_steps: int = 0) -> int:
    """Optimizer steps in a run: one per ``accumulation`` batches of this process, the shorter last group
    of an epoch included (Accelerate syncs gradients at the end of the dataloader), at most ``max_steps``
    (0: no limit). ``batches_per_epoch`` is this process's share, ``len(train_loader)`` after prepare."""
    from helpers.course.validation import require_int

    require_int("batches_per_epoch", batches_per_epoch, minimum=1)
    require_int("accumulation", accumulation, minimum=1)
    require_int("epochs", epochs, minimum=1)
    require_int("max_steps", max_steps, minimum=0)
    steps = math.ceil(batches_per_epoch / accumulation) * epochs
    return min(steps, max_steps) if max_steps else steps


def scheduler_ticks_per_step(num_processes: int, split_batches: bool = False) -> int:
    """How many times Accelerate's prepared scheduler steps the wrapped scheduler per optimizer step:
    ``num_processes`` (each process brings its own batch, so one step does the work of N one-process
    steps), or 1 with ``split_batches=True`` (one batch is split across the processes). Micro-batches of
    gradient accumulation and steps skipped by the fp16 scaler step it 0 times."""
    from helpers.course.validation import require_bool, require_int

    require_int("num_processes", num_processes, minimum=1)
    require_bool("split_batches", split_batches)
    return 1 if split_batches else num_processes


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from torch.utils.data import DataLoader
    from transformers import (AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding,
                              get_linear_schedule_with_warmup)

    from helpers import settings
    from helpers.data.classification import load_classification, subsample, tokenize
    from helpers.metrics import classification_metrics

    accelerator = Accelerator(gradient_accumulation_steps=args.gradient_accumulation_steps)
    set_seed(args.seed)
    cfg = settings()
    model_id, data_id = args.model or cfg.models.encoder, args.data or cfg.data.classification
    with accelerator.main_process_first():  # one process parses and caches the data, the others reuse it
        data = load_classification(data_id)
    names = data["train"].features["label"].names
    tokenizer = AutoTokenizer.from_pretrained(model_id)
    train_set = tokenize(subsample(data["train"], args.train_examples, seed=args.seed), tokenizer, args.max_length)
    eval_set = tokenize(subsample(data["validation"], args.eval_examples, seed=args.seed), tokenizer, args.max_length)
    collate = DataCollatorWithPadding(tokenizer)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, collate_fn=collate)
    eval_loader = DataLoader(eval_set, batch_size=2 * args.batch_size, collate_fn=collate)

    model = AutoModelForSequenceClassification.from_pretrained(
        model_id, num_labels=len(names), id2label=dict(enumerate(names)),
        label2id={name: i for i, name in enumerate(names)})
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    model, optimizer, train_loader, eval_loader = accelerator.prepare(model, optimizer, train_loader, eval_loader)
    # The schedule is counted in optimizer steps from this process's share of the batches (len after prepare),
    # then stretched by the ticks Accelerate's scheduler makes per step: warm-up and decay end at the same
    # optimizer step whatever the number of processes.
    total = optimizer_steps(len(train_loader), args.gradient_accumulation_steps, args.epochs, args.max_steps)
    warmup = round(args.warmup_ratio * total)
    ticks = scheduler_ticks_per_step(accelerator.num_processes, accelerator.split_batches)
    scheduler = accelerator.prepare(  # optimizer.optimizer: the torch optimizer inside Accelerate's wrapper
        get_linear_schedule_with_warmup(optimizer.optimizer, warmup * ticks, total * ticks))
    accelerator.print(json.dumps({"num_processes": accelerator.num_processes, "optimizer_steps": total,
                                  "warmup_steps": warmup}))

    step, lr_trace = 0, []  # lr_trace: the learning rate after each optimizer step
    for epoch in range(args.epochs):
        model.train()
        for batch in train_loader:
            with accelerator.accumulate(model):
                loss = model(**batch).loss
                accelerator.backward(loss)
                if accelerator.sync_gradients:
                    accelerator.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            if accelerator.sync_gradients:  # an optimizer step ended (not an accumulation micro-batch)
                step += 1
                lr_trace.append(scheduler.get_last_lr()[0])
                mean_loss = accelerator.gather(loss.detach()).float().mean().item()
                accelerator.print(json.dumps({"step": step, "epoch": epoch + 1, "loss": mean_loss}))
                if step >= total:
                    break
        if step >= total and epoch + 1 < args.epochs:
            break

    if args.lr_trace and accelerator.is_main_process:
        Path(args.lr_trace).parent.mkdir(parents=True, exist_ok=True)
        Path(args.lr_trace).write_text(json.dumps({"num_processes": accelerator.num_processes,
                                                   "optimizer_steps": total, "warmup_steps": warmup,
                                                   "lr": lr_trace}))

    model.eval()
    predicted, truth = [], []
    for batch in eval_loader:
        with torch.no_grad():
            logits = model(**batch).logits  # (B, C)
        preds, labels = accelerator.gather_for_metrics((logits.argmax(dim=-1), batch["labels"]))
        predicted.append(preds.cpu())
        truth.append(labels.cpu())
    metrics = classification_metrics(torch.cat(truth), torch.cat(predicted), names)
    accelerator.print(json.dumps({"eval_accuracy": metrics["accuracy"], "eval_f1_macro": metrics["f1_macro"]}))

    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        output = Path(args.output_dir)
        accelerator.unwrap_model(model).save_pretrained(output)  # safetensors
        tokenizer.save_pretrained(output)
        accelerator.print(json.dumps({"saved": str(output)}))
    accelerator.end_training()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
