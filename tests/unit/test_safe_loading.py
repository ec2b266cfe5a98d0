"""Safe loading: no remote code, no pickled weights, no unpickling of downloads, no secrets shown.

A scanner reads every text file git knows about (tracked, and new files not ignored):
Python, notebooks, Markdown, TOML, YAML, cfg and the Makefile. Rules:

* ``trust_remote_code=True`` nowhere in code. Prose may warn against it: a Markdown line
  (or a notebook's markdown cell line) that also says "never", "do not", "don't" or "avoid".
* every ``torch.load(`` call passes ``weights_only=True`` (no arbitrary unpickling);
* weights are saved with safetensors: no ``torch.save(`` of a model's ``state_dict()``, no
  ``safe_serialization=False``. (``helpers/checkpoints.py`` saves weights with
  ``safetensors.torch.save_model`` and only the optimizer, scheduler and random states with
  ``torch.save``, as plain tensors, read back with ``weights_only=True``.)
* no ``pickle.load``/``pickle.loads``/``joblib.load``/``allow_pickle=True`` (downloaded data is never unpickled);
* no hub token: no literal ``hf_...`` token, no ``login(`` with a literal token, nothing that
  prints or displays ``HF_TOKEN``/``HUGGING_FACE_HUB_TOKEN``/``get_token()``.

Each rule is shown to fire on a small bad snippet, so the clean result means something.
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUFFIXES = {".py", ".ipynb", ".md", ".toml", ".yml", ".yaml", ".cfg"}
THIS_FILE = Path(__file__).resolve().relative_to(ROOT).as_posix()
WARNING_WORDS = re.compile(r"\b(never|do not|don't|avoid|unsafe|dangerous)\b", re.I)
TOKEN_NAMES = r"(HF_TOKEN|HUGGING_FACE_HUB_TOKEN|get_token\(\))"

# (rule name, pattern over one line of code)
LINE_RULES = [
    ("trust_remote_code", re.compile(r"trust_remote_code\s*=\s*True")),
    ("safetensors", re.compile(r"safe_serialization\s*=\s*False")),
    ("pickle", re.compile(r"\b(pickle\.loads?|joblib\.load|cloudpickle\.loads?|dill\.loads?)\s*\(|allow_pickle\s*=\s*True")),
    ("token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b")),
    ("token", re.compile(r"\blogin\(\s*(token\s*=\s*)?[\"'f]")),
    ("token", re.compile(rf"\b(print|display|echo|logging\.\w+|logger\.\w+)\b.*{TOKEN_NAMES}")),
]


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    return [ROOT / name for name in listed
            if (Path(name).suffix in SUFFIXES or Path(name).name == "Makefile") and (ROOT / name).is_file()]


def _call_text(code: str, start: int) -> str:
    """The text of a call from its opening parenthesis to the matching closing one."""
    depth = 0
    for index in range(start, len(code)):
        depth += {"(": 1, ")": -1}.get(code[index], 0)
        if depth == 0:
            return code[start:index + 1]
    return code[start:]


def scan_code(code: str) -> list[str]:
    """The rules a piece of code breaks, as 'rule: line'."""
    found = []
    for line in code.splitlines():
        found += [f"{rule}: {line.strip()}" for rule, pattern in LINE_RULES if pattern.search(line)]
    for match in re.finditer(r"\btorch\.load\s*\(", code):
        call = _call_text(code, match.end() - 1)
        if not re.search(r"weights_only\s*=\s*True", call):
            found.append(f"torch.load without weights_only=True: torch.load{call[:80]}")
    for match in re.finditer(r"\btorch\.save\s*\(", code):
        call = _call_text(code, match.end() - 1)
        if re.search(r"\b\w*model\w*(\.\w+)*\.state_dict\(\)", call):
            found.append(f"safetensors: model weights saved with torch.save{call[:80]}")
    return found


def scan_prose(text: str) -> list[str]:
    """Prose may name trust_remote_code=True only to warn against it; other rules apply as in code."""
    found = []
    for line in text.splitlines():
        for rule, pattern in LINE_RULES:
            if pattern.search(line) and not (rule == "trust_remote_code" and WARNING_WORDS.search(line)):
                found.append(f"{rule}: {line.strip()}")
    return found


def scan_file(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        found = []
        for cell in json.loads(text).get("cells", []):
            source = "".join(cell.get("source", []))
            found += scan_code(source) if cell.get("cell_type") == "code" else scan_prose(source)
        return found
    if path.suffix == ".md":
        return scan_prose(text)
    return scan_code(text)


FILES = [p for p in tracked_text_files() if p.relative_to(ROOT).as_posix() != THIS_FILE]


def test_the_scan_reads_the_repository():
    names = {p.relative_to(ROOT).as_posix() for p in FILES}
    assert {"helpers/checkpoints.py", "Makefile"} <= names and any(n.endswith(".ipynb") for n in names)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_file_loads_and_saves_safely(path):
    assert [found for found in scan_file(path) if found not in ALLOWED.get(path.relative_to(ROOT).as_posix(), ())] == []


# Findings that are safe on purpose, each with its reason. Dynamic int8 quantization packs each
# Linear's weights into an object safetensors cannot write; notebook 10 measures the model's size by
# saving its state_dict into an in-memory buffer that is never written to disk nor loaded.
ALLOWED = {
    "helpers/quantization.py": ("safetensors: model weights saved with torch.save(model.state_dict(), buffer)",),
}


def test_every_allowed_finding_still_occurs():
    for name, findings in ALLOWED.items():
        assert set(findings) <= set(scan_file(ROOT / name)), f"{name}: an allowed finding is gone; remove it from ALLOWED"


def test_checkpoints_save_weights_as_safetensors_and_load_state_with_weights_only():
    source = (ROOT / "helpers" / "checkpoints.py").read_text()
    assert "save_model(model" in source and 'WEIGHTS, STATE, HISTORY = "model.safetensors"' in source
    assert re.search(r"torch\.load\([^)]*weights_only=True", source)


BAD_SNIPPETS = [
    ("model = AutoModel.from_pretrained(name, trust_remote_code=True)", "trust_remote_code"),
    ("state = torch.load('state.pt')", "torch.load without weights_only"),
    ("state = torch.load(\n    path,\n    map_location='cpu',\n)", "torch.load without weights_only"),
    ("state = torch.load(path, weights_only=False)", "torch.load without weights_only"),
    ("torch.save(model.state_dict(), 'weights.pt')", "safetensors"),
    ("torch.save({'model': self.model.state_dict()}, path)", "safetensors"),
    ("model.save_pretrained(folder, safe_serialization=False)", "safetensors"),
    ("rows = pickle.load(open(downloaded, 'rb'))", "pickle"),
    ("array = np.load(file, allow_pickle=True)", "pickle"),
    ("login('hf_" + "a" * 34 + "')", "token"),
    ("login(token=f'{secret}')", "token"),
    ("print(os.environ['HF_TOKEN'])", "token"),
    ("display(huggingface_hub.get_token())", "token"),
]


@pytest.mark.parametrize("snippet, rule", BAD_SNIPPETS)
def test_each_rule_fires_on_a_bad_snippet(snippet, rule):
    assert any(problem.startswith(rule) for problem in scan_code(snippet)), scan_code(snippet)


def test_safe_code_and_warning_prose_pass():
    good = ("state = torch.load(path / STATE, map_location='cpu',\n                   weights_only=True)\n"
            "torch.save({'optimizer': optimizer.state_dict(), 'rng': rng_state()}, path)\n"
            "login()  # reads HF_TOKEN from the environment, prints nothing\n"
            "tokenizer = AutoTokenizer.from_pretrained(cfg.models.encoder)\n")
    assert scan_code(good) == []
    assert scan_prose("Never pass `trust_remote_code=True` to a checkpoint you have not read.") == []
    assert scan_prose("Pass `trust_remote_code=True` to load it.") != []


def test_notebook_code_cells_are_code_and_markdown_is_prose(tmp_path):
    notebook = {"cells": [{"cell_type": "markdown", "source": ["Do not use trust_remote_code=True here."]},
                          {"cell_type": "code", "source": ["# never: trust_remote_code=True\n", "x = 1"]}]}
    path = tmp_path / "demo.ipynb"
    path.write_text(json.dumps(notebook))
    assert [p.split(":")[0] for p in scan_file(path)] == ["trust_remote_code"]  # the code cell only
