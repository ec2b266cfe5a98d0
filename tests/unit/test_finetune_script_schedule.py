"""The learning-rate schedule of scripts/finetune_classification.py does not depend on the number of processes.

Accelerate's prepared scheduler steps the wrapped scheduler once per process at each optimizer step, so a
schedule counted in optimizer steps must be built ``num_processes`` times longer. The launch test runs the
script on one process (batch 2b) and on two gloo CPU processes (batch b each, the same global batch) and
compares the learning rate after every optimizer step.
"""
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from tiny_models import tiny_bert

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "finetune_classification.py"


def _script_module():
    spec = importlib.util.spec_from_file_location("finetune_classification", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("batches, accumulation, epochs, max_steps, expected", [
    (24, 1, 1, 0, 24),
    (24, 2, 2, 0, 24),
    (25, 2, 1, 0, 13),   # the shorter last group of an epoch is a step too
    (25, 2, 3, 0, 39),
    (24, 2, 2, 5, 5),    # --max-steps caps the run
    (24, 2, 2, 100, 24),
])
def test_optimizer_steps_counts_accumulated_groups_per_epoch(batches, accumulation, epochs, max_steps, expected):
    assert _script_module().optimizer_steps(batches, accumulation, epochs, max_steps) == expected


@pytest.mark.parametrize("args, error", [
    ((0, 1, 1), ValueError), ((4, 0, 1), ValueError), ((4, 1, 0), ValueError), ((4, 1, 1, -1), ValueError),
    ((4.0, 1, 1), TypeError),
])
def test_optimizer_steps_rejects_bad_counts(args, error):
    with pytest.raises(error):
        _script_module().optimizer_steps(*args)


def test_scheduler_ticks_per_step_rejects_bad_arguments():
    script = _script_module()
    with pytest.raises(ValueError, match="num_processes"):
        script.scheduler_ticks_per_step(0)
    with pytest.raises(TypeError, match="split_batches"):
        script.scheduler_ticks_per_step(2, split_batches="yes")


@pytest.mark.parametrize("processes", [1, 2, 8])
@pytest.mark.parametrize("split_batches", [False, True])
def test_accelerate_scheduler_with_the_scripts_lengths_ends_warmup_and_decay_on_time(
        monkeypatch, processes, split_batches):
    """Accelerate's own AcceleratedScheduler, told it runs on ``processes`` processes, stepped as the script
    steps it (accumulation micro-batches included): warm-up peaks at optimizer step ``warmup`` and the rate
    reaches zero at step ``total``, not after ``total / processes`` steps."""
    accelerate_scheduler = pytest.importorskip("accelerate.scheduler")
    from transformers import get_linear_schedule_with_warmup

    script = _script_module()
    state = SimpleNamespace(sync_gradients=True, adjust_scheduler=False)
    monkeypatch.setattr(accelerate_scheduler, "AcceleratorState", lambda: SimpleNamespace(num_processes=processes))
    monkeypatch.setattr(accelerate_scheduler, "GradientState", lambda: state)
    accumulation, peak = 2, 1e-3
    total = script.optimizer_steps(24, accumulation, epochs=2)
    warmup = round(0.25 * total)
    ticks = script.scheduler_ticks_per_step(processes, split_batches)
    assert ticks == (1 if split_batches else processes)
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=peak)
    optimizer.step_was_skipped = False  # what AcceleratedOptimizer reports after a real step
    scheduler = accelerate_scheduler.AcceleratedScheduler(
        get_linear_schedule_with_warmup(optimizer, warmup * ticks, total * ticks), optimizer,
        split_batches=split_batches)
    trace = []
    for _ in range(total):
        for micro_batch in range(accumulation):
            state.sync_gradients = micro_batch == accumulation - 1
            if state.sync_gradients:
                optimizer.step()  # AcceleratedOptimizer steps on the last micro-batch of a group only
            scheduler.step()  # the script calls it on every batch; only the last of a group steps it
        trace.append(scheduler.get_last_lr()[0])
    assert len(trace) == total == 24
    assert trace.index(max(trace)) + 1 == warmup == 6 and max(trace) == pytest.approx(peak)
    assert [step for step, lr in enumerate(trace, start=1) if lr == 0.0] == [total]  # zero at the end only
    assert all(a < b for a, b in zip(trace[:warmup], trace[1:warmup]))
    assert all(a > b for a, b in zip(trace[warmup - 1:], trace[warmup:]))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    """A 1-layer BERT (hidden 16) with the course encoder's tokenizer: the schedule does not depend on the
    model, and a tiny one keeps two launches within seconds of compute."""
    from helpers.course import assets
    from helpers.course.errors import AssetError
    from transformers import AutoTokenizer

    try:
        encoder, _ = assets.path("encoder"), assets.path("spam-assassin")
    except AssetError as error:
        pytest.skip(str(error))
    tokenizer = AutoTokenizer.from_pretrained(encoder)
    folder = tmp_path_factory.mktemp("tiny-classifier")
    tiny_bert(vocab_size=len(tokenizer), positions=32).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _run(command: list[str], env: dict[str, str], cwd: Path) -> None:
    run = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=400)
    assert run.returncode == 0, run.stderr[-3000:]


def test_two_processes_follow_the_one_process_learning_rate_trace(tiny_checkpoint, tmp_path):
    pytest.importorskip("accelerate")
    if not (torch.distributed.is_available() and torch.distributed.is_gloo_available()):
        pytest.skip("torch.distributed's gloo backend is unavailable, so two CPU processes cannot train together")
    env = {**os.environ, "TUTORIAL_SCALE": "tiny", "TUTORIAL_SOURCE": "offline", "HF_HUB_OFFLINE": "1",
           "CUDA_VISIBLE_DEVICES": "", "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1"}
    # 96 examples, 2 epochs, accumulation 2, global batch 4: 12 optimizer steps an epoch, 24 in all, 6 of warm-up
    common = ["--model", str(tiny_checkpoint), "--train-examples", "96", "--eval-examples", "8",
              "--max-length", "16", "--epochs", "2", "--gradient-accumulation-steps", "2",
              "--warmup-ratio", "0.25", "--lr", "1e-3", "--seed", "0"]
    start = time.perf_counter()
    _run([sys.executable, str(SCRIPT), *common, "--batch-size", "4", "--lr-trace", str(tmp_path / "one.json"),
          "--output-dir", str(tmp_path / "one")], env, tmp_path)
    # `accelerate launch --cpu --num_processes 2` would start one process (several CPU processes need an MPI
    # hostfile); the multi-GPU launcher (torchrun) with ACCELERATE_USE_CPU starts two that talk over gloo.
    _run([sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
          "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
          "--main_process_port", str(_free_port()), str(SCRIPT), *common, "--batch-size", "2",
          "--lr-trace", str(tmp_path / "two.json"), "--output-dir", str(tmp_path / "two")],
         {**env, "ACCELERATE_USE_CPU": "true"}, tmp_path)
    print(f"two launches: {time.perf_counter() - start:.1f} s")
    one, two = (json.loads((tmp_path / f"{name}.json").read_text()) for name in ("one", "two"))
    assert (one["num_processes"], two["num_processes"]) == (1, 2)
    for trace in (one, two):
        lr = trace["lr"]
        assert trace["optimizer_steps"] == len(lr) == 24  # one value per optimizer step, not per micro-batch
        peak_step = lr.index(max(lr)) + 1
        assert peak_step == trace["warmup_steps"] == 6, f"{trace['num_processes']} process(es): peak at {peak_step}"
        zero_steps = [step for step, value in enumerate(lr, start=1) if value <= 1e-12]
        assert zero_steps == [24], (f"{trace['num_processes']} process(es): the learning rate is zero after "
                                    f"optimizer steps {zero_steps}, expected only after the last (24)")
    assert two["lr"] == pytest.approx(one["lr"], rel=1e-9, abs=1e-15)
