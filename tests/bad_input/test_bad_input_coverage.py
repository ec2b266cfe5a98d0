"""Every public helper has a wrong-type, a wrong-shape and an out-of-range case, or a stated reason.

The cases live in the ``tests/bad_input/test_bad_input_*.py`` files (``CASES`` and
``NOT_APPLICABLE``, see ``tests/bad_input/bad_input.py``). Public means: a function or class
defined in a ``helpers`` module (not imported into it) whose name has no leading
underscore. Not counted: exception classes (they take a message) and dataclasses
without ``__post_init__`` (records the helpers build; their generated ``__init__``
checks nothing). Methods are not required, but cases for them count.
"""
from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import helpers
from bad_input import KINDS, case_id

TESTS = Path(__file__).resolve().parent
CASE_FILES = sorted(p.stem for p in TESTS.glob("test_bad_input_*.py") if p.stem != "test_bad_input_coverage")


def _modules() -> list[str]:
    found = []
    for info in pkgutil.walk_packages(helpers.__path__, "helpers."):
        if info.name.startswith("helpers.exercises.nb") or info.ispkg or "._" in info.name:
            continue
        found.append(info.name)
    return sorted(found)


def _counted(value) -> bool:
    if inspect.isfunction(value):
        return True
    if not inspect.isclass(value) or issubclass(value, BaseException):
        return False
    return not dataclasses.is_dataclass(value) or "__post_init__" in vars(value)


def public_helpers() -> list[str]:
    names = []
    for module_name in _modules():
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if not name.startswith("_") and getattr(value, "__module__", None) == module_name and _counted(value):
                names.append(f"{module_name.removeprefix('helpers.')}.{name}")
    return sorted(names)


def gathered() -> tuple[dict[str, set[str]], dict[str, dict[str, str]]]:
    covered: dict[str, set[str]] = {}
    reasons: dict[str, dict[str, str]] = {}
    for stem in CASE_FILES:
        module = importlib.import_module(stem)
        for case in getattr(module, "CASES", []):
            covered.setdefault(case_id(case).rsplit("-", 2)[0], set()).add(case.kind)
        for name, kinds in getattr(module, "NOT_APPLICABLE", {}).items():
            reasons.setdefault(name, {}).update(kinds)
    return covered, reasons


HELPERS = public_helpers()


def test_the_enumeration_finds_the_helpers():
    assert {"attention.scaled_dot_product_attention", "training.train", "exercises.checks.Exercise"} <= set(HELPERS)
    assert "training.History" not in HELPERS and "seq2seq.Seq2SeqError" not in HELPERS
    assert "test_bad_input_core" in CASE_FILES


@pytest.mark.parametrize("name", HELPERS)
def test_every_kind_has_a_case_or_a_reason(name):
    covered, reasons = gathered()
    missing = [kind for kind in KINDS if kind not in covered.get(name, set()) and kind not in reasons.get(name, {})]
    assert not missing, (f"helpers.{name} has no bad-input case of kind {missing} and no reason in NOT_APPLICABLE; "
                         f"add them to a tests/bad_input/test_bad_input_<topic>.py file")


def test_reasons_are_sentences_and_name_real_helpers():
    covered, reasons = gathered()
    for name, kinds in reasons.items():
        assert name in HELPERS, f"NOT_APPLICABLE names {name!r}, which is not a public helper"
        for kind, reason in kinds.items():
            assert kind in KINDS and isinstance(reason, str) and len(reason) > 10, (name, kind, reason)
            assert kind not in covered.get(name, set()), f"{name} has a {kind} case and a reason it does not apply"
