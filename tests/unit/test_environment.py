"""environment.yml (conda) and pyproject.toml (pip) describe the same dependencies."""
import re
import sys
from pathlib import Path

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]


def normalise(requirement: str) -> str:
    requirement = requirement.split(";")[0].replace(" ", "")
    name, rest = re.match(r"([A-Za-z0-9_.\-\[\]]+)(.*)", requirement).groups()
    return re.sub(r"[-_.]+", "-", name).lower() + rest


def pyproject_requirements() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted += extra
    return {normalise(r) for r in wanted if "python_version" not in r}  # backports only for old Pythons


def conda_pip_requirements() -> set[str]:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lists = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict)]
    assert len(pip_lists) == 1, "environment.yml has one pip: section"
    return {normalise(r) for r in pip_lists[0] if not r.startswith("-e")}


def test_same_requirements_in_both_files():
    in_pyproject, in_conda = pyproject_requirements(), conda_pip_requirements()
    assert in_pyproject - in_conda == set(), "in pyproject.toml but not in environment.yml"
    assert in_conda - in_pyproject == set(), "in environment.yml but not in pyproject.toml"


def test_conda_installs_the_helpers_and_the_same_python():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_list = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_list
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert f"python{project['requires-python']}" in environment["dependencies"]


def test_torch_stays_loose_for_learners():
    assert any(r.startswith("torch>=") for r in pyproject_requirements())
