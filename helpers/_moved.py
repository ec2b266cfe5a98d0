"""The module paths of the course's first release, still importable for one release, with a warning.

``from helpers.qa_data import load_qa`` (a learner's saved notebook) keeps working: this finder
answers the old name with the module at its new place (``helpers.data.qa``) and a FutureWarning
that names the new import. Only the names in ``MOVED`` are answered; the next release drops it.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from types import ModuleType

MOVED = {  # old module -> new module
    "helpers.assets": "helpers.course.assets", "helpers.config": "helpers.course.config",
    "helpers.settings_groups": "helpers.course.settings_groups", "helpers.setup": "helpers.course.setup",
    "helpers.errors": "helpers.course.errors", "helpers.validation": "helpers.course.validation",
    "helpers.results": "helpers.course.results", "helpers.checks": "helpers.exercises.checks",
    "helpers.corpus": "helpers.data.corpus", "helpers.qa_data": "helpers.data.qa",
    "helpers.translation_data": "helpers.data.translation", "helpers.summarization_data": "helpers.data.summarization",
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname: str, path, target=None):
        return importlib.util.spec_from_loader(fullname, self) if fullname in MOVED else None

    def create_module(self, spec) -> ModuleType:
        warnings.warn(f"{spec.name} moved to {MOVED[spec.name]}: import it from there "
                      f"(the old path goes in the next release)", FutureWarning, stacklevel=2)
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module: ModuleType) -> None:
        pass  # the new module is already executed

    def get_code(self, fullname: str):  # `python -m helpers.assets ...`
        raise ImportError(f"{fullname} moved: run `python -m {MOVED[fullname]} ...` instead")


def install() -> None:
    """Answer the old module paths (once per interpreter)."""
    if not any(isinstance(finder, _MovedModules) for finder in sys.meta_path):
        sys.meta_path.append(_MovedModules())
