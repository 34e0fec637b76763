"""The chapters as learners get them: committed with clean outputs from a default run, and
runnable by papermill with parameters to a stated accuracy. (`pytest` also runs every notebook
under nbval, in quick mode, comparing each cell tagged `nbval-check-output` with its committed
output.)"""

import json
import re
from pathlib import Path

import pytest

from cnn_lessons import course

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))

# The floors live in the course table, beside each chapter's recipe: the quick ones are asserted
# on a papermill run here, the cpu ones on the committed notebook (a full default run).
CHAPTERS = course.CHAPTERS


def _cells(path):
    return json.loads(path.read_text())["cells"]


def _tagged(cells, tag):
    return [c for c in cells if tag in c.get("metadata", {}).get("tags", [])]


def metrics(path):
    """The JSON the notebook's `metrics` cell reported."""
    (cell,) = _tagged(_cells(path), "metrics")
    (output,) = [o for o in cell["outputs"] if "application/json" in o.get("data", {})]
    return output["data"]["application/json"]


def test_there_are_notebooks_and_each_has_a_plan_in_the_course_table():
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOK_DIR}"
    assert sorted(p.stem for p in NOTEBOOKS) == sorted(CHAPTERS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_is_executed_in_order_with_clean_outputs(path):
    cells = _cells(path)
    code = [c for c in cells if c["cell_type"] == "code"]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1))
    outputs = [o for c in code for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert not [o for o in outputs if o.get("name") == "stderr"], "stderr noise in the outputs"
    (parameters,) = _tagged(cells, "parameters")
    for name in ("EPOCHS", "N_TRAIN", "N_TEST", "BATCH_SIZE", "SEED", "QUICK"):
        assert re.search(rf"^{name} = ", "".join(parameters["source"]), re.M), name
    assert "CNN_LESSONS_QUICK" in "".join(parameters["source"])
    assert metrics(path)["quick"] is False, "commit the outputs of a full default run"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_holds_no_run_leftovers(path):
    """No papermill parameters cell (a committed `QUICK = False` would switch the workshop's quick
    mode off), no run metadata or cell timings, and no absolute path anywhere in the file."""
    text = path.read_text()
    notebook = json.loads(text)
    assert not _tagged(notebook["cells"], "injected-parameters"), "papermill's injected cell"
    holders = [notebook, *notebook["cells"]]
    assert not [h for h in holders if {"papermill", "execution"} & set(h["metadata"])]
    assert not re.search(r"/(work|home|root|tmp|Users|private|var/folders)/", text), "absolute path"
    assert not re.search(r"[A-Za-z]:\\\\(Users|Windows)", text), "absolute Windows path"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_nbval_markers_are_cell_tags_not_comments(path):
    code = [c for c in _cells(path) if c["cell_type"] == "code"]
    checked = _tagged(code, "nbval-check-output")
    assert checked, "no cell is compared by nbval"
    assert all(c["outputs"] for c in checked), "a compared cell without a committed output"
    assert not [c for c in code if "NBVAL" in "".join(c["source"])], "a test marker in the code"


def _settings_cells(cells):
    """The cells up to the one that picks the run's mode (`MODE = training.configure(...)`)."""
    code = [c for c in cells if c["cell_type"] == "code"]
    last = next(i for i, c in enumerate(code) if "training.configure(" in "".join(c["source"]))
    return ["".join(c["source"]) for c in code[: last + 1]]


@pytest.mark.parametrize("quick", ["1", "0"])
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_settings_cells_alone_follow_cnn_lessons_quick(path, quick, monkeypatch):
    """Run the committed settings cells as a learner's kernel runs them (no papermill, no
    parameters): CNN_LESSONS_QUICK=1 must give quick mode, and its absence the default."""
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.setenv("CNN_LESSONS_QUICK", quick)
    shell = InteractiveShell()
    for source in _settings_cells(_cells(path)):
        result = shell.run_cell(source, silent=True)
        assert result.success, result.error_in_exec or result.error_before_exec
    assert shell.user_ns["QUICK"] is (quick == "1")
    assert shell.user_ns["MODE"].name == ("quick" if quick == "1" else "cpu")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_committed_run_reaches_the_default_floors(path):
    reported, floors = metrics(path), CHAPTERS[path.stem].floors["cpu"]
    assert set(floors) <= set(reported), "a floor for a metric the notebook does not report"
    for key, floor in floors.items():
        assert reported[key] >= floor, f"{key} = {reported[key]} < {floor}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_papermill_run_reaches_the_stated_accuracy(path, tmp_path):
    """papermill, with parameters, in quick mode: the sizes and recipe are the course table's."""
    import papermill

    plan = CHAPTERS[path.stem]
    executed = tmp_path / path.name
    papermill.execute_notebook(
        str(path), str(executed), parameters={"QUICK": True, "SEED": 0}, kernel_name="python3",
        cwd=str(NOTEBOOK_DIR), progress_bar=False,
    )  # fmt: skip
    reported = metrics(executed)
    n_train, n_test = plan.sizes("quick")
    assert (reported["quick"], reported["n_train"], reported["n_test"]) == (True, n_train, n_test)
    assert reported["epochs"] == plan.recipe("quick").epochs
    for key, floor in plan.floors["quick"].items():
        assert reported[key] >= floor, f"{key} = {reported[key]} < {floor}"
