"""scripts/finetune_classification.py runs end to end on a CPU: a few steps, a finite loss, a checkpoint."""
import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "finetune_classification.py"


def test_script_trains_a_few_steps_and_saves_a_checkpoint(tmp_path):
    pytest.importorskip("accelerate")
    from helpers.course import assets
    from helpers.course.errors import AssetError

    try:
        assets.path("encoder"), assets.path("spam-assassin")
    except AssetError as error:
        pytest.skip(str(error))
    env = {**os.environ, "TUTORIAL_SCALE": "tiny", "TUTORIAL_SOURCE": "offline", "HF_HUB_OFFLINE": "1",
           "CUDA_VISIBLE_DEVICES": "", "TOKENIZERS_PARALLELISM": "false"}
    out = tmp_path / "model"
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--max-steps", "3", "--train-examples", "48", "--eval-examples", "16",
         "--max-length", "32", "--batch-size", "8", "--lr", "1e-4", "--output-dir", str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    records = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    losses = [r["loss"] for r in records if "loss" in r]
    assert [r["step"] for r in records if "loss" in r] == [1, 2, 3]  # --max-steps is honoured
    assert all(math.isfinite(loss) and loss > 0 for loss in losses)
    accuracy = next(r["eval_accuracy"] for r in records if "eval_accuracy" in r)
    assert 0.0 <= accuracy <= 1.0
    assert (out / "model.safetensors").exists() and (out / "config.json").exists()
    config = json.loads((out / "config.json").read_text())
    assert config["id2label"] == {"0": "ham", "1": "spam"}
    assert (out / "tokenizer.json").exists() or (out / "vocab.txt").exists()


def test_script_rejects_bad_arguments():
    run = subprocess.run([sys.executable, str(SCRIPT), "--batch-size", "0"], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2
    assert "--batch-size must be at least 1" in run.stderr


@pytest.mark.parametrize("argv, message", [
    (["--warmup-ratio", "1.5"], "--warmup-ratio must be between 0 and 1"),
    (["--max-steps", "-1"], "--max-steps must be 0 (no limit) or more"),
    (["--gradient-accumulation-steps", "0"], "--gradient-accumulation-steps must be at least 1"),
])
def test_script_rejects_bad_schedule_arguments(argv, message, capsys):
    spec = importlib.util.spec_from_file_location("finetune_classification", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    with pytest.raises(SystemExit) as exit_info:
        script.parse_args(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
