"""Notebook 08 writes the windowing call and the per-window labelling inline (section 2); they must agree
with helpers.qa, which the rest of the notebook uses. The code is read from the notebook's own cells."""
import ast
import json
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from helpers import qa
from helpers.course import assets
from helpers.data.qa import load_news_qa

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "08_question_answering.ipynb"
MAX_LENGTH, STRIDE = 64, 16  # the notebook's DEMO_MAX_LENGTH, DEMO_STRIDE


def notebook_statements(marker: str, targets: set[str]) -> str:
    """The assignments to ``targets`` in the one code cell whose source contains ``marker``."""
    cells = ["".join(c["source"]) for c in json.loads(NOTEBOOK.read_text())["cells"] if c["cell_type"] == "code"]
    found = [source for source in cells if marker in source]
    assert len(found) == 1, f"expected one code cell holding {marker!r}, found {len(found)}"
    tree = ast.parse(found[0])
    kept = [node for node in tree.body if isinstance(node, ast.Assign)
            and {t.id for t in node.targets if isinstance(t, ast.Name)} & targets]
    assert {t.id for node in kept for t in node.targets} == targets, f"the cell no longer assigns {targets}"
    return "\n".join(ast.get_source_segment(found[0], node) for node in kept)


WINDOWS = notebook_statements("return_overflowing_tokens=True", {"demo_questions", "encoded"})
LABELS = notebook_statements("qa.char_to_token_span(encoded", {"gold", "a_start", "a_end", "labels"})


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(str(assets.path("encoder")))


def examples() -> list[dict]:
    rows = load_news_qa()["validation"].select(range(40))[:]
    split = [{key: rows[key][i] for key in rows} for i in range(40)]
    long_context = " ".join(["The storm hit the coast of New South Wales on Monday night."] * 12
                            + ["About 500 residents left their homes in Hill Top."])
    leading_spaces = {"id": "x", "title": "t", "question": "   How many residents left their homes?",
                      "context": long_context,
                      "answers": {"text": ["500"], "answer_start": [long_context.index("500")]}}
    return [*split, leading_spaces]


def run_notebook_code(tokenizer, example: dict) -> dict:
    demo = {key: [value] for key, value in example.items()}
    scope = {"tokenizer": tokenizer, "demo": demo, "DEMO_MAX_LENGTH": MAX_LENGTH, "DEMO_STRIDE": STRIDE, "qa": qa}
    exec(WINDOWS, scope)
    scope["n_windows"] = len(scope["encoded"]["input_ids"])
    exec(LABELS, scope)
    return scope


def test_notebook_windows_and_labels_agree_with_the_helpers(tokenizer):
    split = 0
    for example in examples():
        scope = run_notebook_code(tokenizer, example)
        demo = scope["demo"]
        helper = qa._tokenize(demo, tokenizer, MAX_LENGTH, STRIDE, ("question", "context"))
        for key in ("input_ids", "token_type_ids", "offset_mapping", "overflow_to_sample_mapping"):
            assert scope["encoded"][key] == helper[key], (example["id"], key)
        features = qa.prepare_train_features(demo, tokenizer, MAX_LENGTH, STRIDE)
        assert scope["labels"] == list(zip(features["start_positions"], features["end_positions"])), example["id"]
        split += scope["n_windows"] > 1
    assert split >= 5  # many of these contexts really are cut into windows


def test_the_comparison_can_fail(tokenizer):
    """Guard: without the notebook's strip(), a question with leading spaces gives other offsets."""
    example = examples()[-1]
    scope = run_notebook_code(tokenizer, example)
    unstripped = tokenizer([example["question"]], [example["context"]], truncation="only_second",
                           max_length=MAX_LENGTH, stride=STRIDE, return_overflowing_tokens=True,
                           return_offsets_mapping=True)
    assert scope["encoded"]["offset_mapping"] != unstripped["offset_mapping"]
