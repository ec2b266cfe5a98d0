"""Fine-tune an encoder for text classification on one CPU, one GPU, or many GPUs and nodes.

The same steps as notebook 06 (tokenize, pad per batch, AdamW with warm-up, evaluate), written
with ``accelerate`` so that one file runs everywhere::

    python scripts/finetune_classification.py --max-steps 3                  # one process
    accelerate launch --multi_gpu --num_processes 8 scripts/finetune_classification.py
    accelerate launch --num_machines 2 --machine_rank 0 --main_process_ip 10.0.0.1 \\
        --main_process_port 29500 --multi_gpu --num_processes 16 scripts/finetune_classification.py

Mixed precision comes from the accelerate config (``accelerate config``) or from
``--mixed_precision bf16`` on the launch line. Model and data default to the course
settings (``helpers.settings()``: ``cfg.encoder``, ``cfg.classification_data``).
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
    parser.add_argument("--model", default=None, help="model id or folder (default: cfg.encoder)")
    parser.add_argument("--data", default=None, help="data id or folder (default: cfg.classification_data)")
    parser.add_argument("--max-length", type=int, default=128, help="tokens kept per text")
    parser.add_argument("--train-examples", type=int, default=0, help="stratified subset of train (0: all)")
    parser.add_argument("--eval-examples", type=int, default=0, help="subset of validation (0: all)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=5e-5, help="peak learning rate of AdamW")
    parser.add_argument("--batch-size", type=int, default=16, help="per process; global = this x processes")
    parser.add_argument("--gradient-accumulation-steps", type=int, default=1)
    parser.add_argument("--warmup-ratio", type=float, default=0.1)
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--max-steps", type=int, default=0, help="stop after this many optimizer steps (0: no limit)")
    parser.add_argument("--output-dir", default="build/checkpoints/06-script", help="where the model is saved")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for name in ("max_length", "epochs", "batch_size", "gradient_accumulation_steps"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if args.lr <= 0:
        parser.error(f"--lr must be positive, got {args.lr}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from torch.utils.data import DataLoader
    from transformers import (AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding,
                              get_linear_schedule_with_warmup)

    from helpers import settings
    from helpers.data import load_classification, subsample, tokenize
    from helpers.metrics import classification_metrics

    accelerator = Accelerator(gradient_accumulation_steps=args.gradient_accumulation_steps)
    set_seed(args.seed)
    cfg = settings()
    model_id, data_id = args.model or cfg.encoder, args.data or cfg.classification_data
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
    updates_per_epoch = math.ceil(len(train_loader) / accelerator.num_processes / args.gradient_accumulation_steps)
    total = updates_per_epoch * args.epochs
    if args.max_steps:
        total = min(total, args.max_steps)
    scheduler = get_linear_schedule_with_warmup(optimizer, round(args.warmup_ratio * total), total)
    model, optimizer, train_loader, eval_loader, scheduler = accelerator.prepare(
        model, optimizer, train_loader, eval_loader, scheduler)

    step = 0
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
            if accelerator.sync_gradients:
                step += 1
                mean_loss = accelerator.gather(loss.detach()).float().mean().item()
                accelerator.print(json.dumps({"step": step, "epoch": epoch + 1, "loss": mean_loss}))
                if step >= total:
                    break
        if step >= total and epoch + 1 < args.epochs:
            break

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
