"""Delivery: the badges never drift from the notebook list, and the Binder files agree with the
package and the lock file."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import tomllib
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from cnn_lessons import course

ROOT = Path(__file__).resolve().parents[1]


def test_readme_table_and_notebook_badges_match_the_notebooks():
    assert course.chapters(), "no chapter notebooks found"
    assert course.problems() == []


def test_every_badge_uses_the_one_repository_url():
    url = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    slug = url.removeprefix("https://github.com/")
    readme = (ROOT / "README.md").read_text()
    for chapter in course.chapters():
        assert f"colab.research.google.com/github/{slug}/blob/main/{chapter.relative}" in readme
        assert f"mybinder.org/v2/gh/{slug}/main?labpath=notebooks%2F{chapter.path.name}" in readme
    linked = set(re.findall(r"(?:/github/|/gh/)([\w.-]+/[\w.-]+)/", readme))
    assert linked == {slug}


def test_a_drifted_badge_is_found_and_rewritten(tmp_path, monkeypatch):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    first = course.chapters()[0]
    shutil.copy(first.path, notebooks / first.path.name)
    shutil.copy(first.path, notebooks / "99_extra.ipynb")
    readme = tmp_path / "README.md"
    readme.write_text((ROOT / "README.md").read_text())
    monkeypatch.setattr(course, "NOTEBOOK_DIR", notebooks)
    monkeypatch.setattr(course, "README", readme)
    found = course.problems()
    assert any("README.md" in p for p in found) and any("99_extra" in p for p in found)
    course.write()
    assert course.problems() == []
    moved = (
        (notebooks / "99_extra.ipynb")
        .read_text()
        .replace("cnn-lessons/cnn-lessons", "someone/else")
    )
    (notebooks / "99_extra.ipynb").write_text(moved)
    assert any("does not install from" in p for p in course.problems())
    (notebooks / "99_extra.ipynb").write_text(
        moved.replace("someone/else", "cnn-lessons/cnn-lessons")
    )
    assert "notebooks/99_extra.ipynb" in readme.read_text()
    cell = json.loads((notebooks / "99_extra.ipynb").read_text())["cells"][0]
    assert "".join(cell["source"]).count("colab-badge.svg") == 1


def _lock(filename="requirements-lock.txt"):
    pins = {}
    for line in (ROOT / filename).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert line.count("==") == 1, f"{filename}: pin one exact version: {line}"
            name, version = line.split("==")
            pins[_name(name)] = version.strip()
    return pins


def _name(requirement):
    return re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower().replace("_", "-")


def _direct_dependencies():
    """pyproject's runtime and test requirements, keyed by the name the pinned files install
    (tensorflow-cpu, the lock's CPU wheel, stands for tensorflow)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [
        Requirement(r)
        for r in (*project["dependencies"], *project["optional-dependencies"]["test"])
    ]
    return {"tensorflow-cpu" if r.name == "tensorflow" else _name(r.name): r for r in wanted}


def test_the_min_environment_pins_every_declared_floor():
    pins = _lock("requirements-min.txt")
    for name, requirement in _direct_dependencies().items():
        (floor,) = [s.version for s in requirement.specifier if s.operator == ">="]
        assert name in pins, f"requirements-min.txt lacks {name} (its floor is {floor})"
        assert Version(pins[name]) == Version(floor), (
            f"{name}: requirements-min.txt pins {pins[name]}, pyproject.toml's floor is {floor}"
        )


def test_the_colab_environment_pins_every_direct_dependency_within_its_range():
    pins = _lock("requirements-colab.txt")
    for name, requirement in _direct_dependencies().items():
        assert name in pins, f"requirements-colab.txt lacks {name}"
        assert requirement.specifier.contains(pins[name]), (
            f"{name}: requirements-colab.txt pins {pins[name]}, outside pyproject.toml's "
            f"{requirement.specifier}"
        )


def test_binder_environment_parses_and_agrees_with_pyproject_and_the_lock():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    (pip_section,) = [d for d in environment["dependencies"] if isinstance(d, dict)]
    pinned = dict(requirement.split("==") for requirement in pip_section["pip"])
    pinned = {_name(name): version for name, version in pinned.items()}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    lock = _lock()
    for requirement in wanted:
        name = _name(requirement)
        name = "tensorflow-cpu" if name == "tensorflow" else name  # the lock's CPU wheel
        assert name in pinned, f"environment.yml lacks {name}"
        assert pinned[name] == lock[name], (
            f"{name}: environment.yml {pinned[name]}, lock {lock[name]}"
        )
    text = (ROOT / "environment.yml").read_text()
    for line in text.splitlines():
        if line.strip().startswith("- ") and "pip:" not in line:
            assert "#" in line, f"environment.yml: say what it is for: {line.strip()}"


def test_postbuild_is_executable_and_runs_here(tmp_path):
    script = ROOT / "postBuild"
    assert os.access(script, os.X_OK)
    env = {**os.environ, "PATH": f"{Path(os.sys.executable).parent}:{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", str(script)], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "mnist:" in result.stdout and "cifar10:" in result.stdout
