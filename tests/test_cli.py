import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import keras
import pytest

import cnn_lessons
from cnn_lessons import MODELS, data
from cnn_lessons.cli import main, parser


def test_list_names_every_registered_model(capsys):
    assert main(["list"]) == 0
    assert capsys.readouterr().out.split() == list(MODELS)


def test_summary_prints_the_table_and_totals(capsys):
    assert main(["summary", "lenet5"]) == 0
    out = capsys.readouterr().out
    assert "(5*5*1 + 1)*6 = 156" in out
    assert "total 60,840 parameters (60,000 trainable, 840 non-trainable)" in out


def test_summary_takes_an_input_shape_and_classes(capsys):
    assert main(["summary", "lenet5_modern", "--input-shape", "36,36,3", "--classes", "5"]) == 0
    assert "(84 + 1)*5 = 425" in capsys.readouterr().out


def test_unknown_model_lists_the_valid_ones_on_stderr(capsys):
    assert main(["summary", "lenet6"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cnn-lessons: error: unknown model 'lenet6'") and "lenet5_modern" in err
    assert err.count("\n") == 1


def test_a_bad_shape_string_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["summary", "lenet5", "--input-shape", "32x32"])
    assert exit_.value.code == 2
    assert "expected H,W,C" in capsys.readouterr().err


def test_data_status_and_fetch_use_the_configured_folder(mnist_dir, capsys):
    assert main(["data", "status", "--dir", str(mnist_dir)]) == 0
    out = capsys.readouterr().out
    assert "mnist: " in out and "60,000 train, 10,000 test, complete" in out
    # CIFAR-10 is the shared 10,000/5,000 subset, or the full set where `data fetch` ran
    assert re.search(
        r"cifar10: .*(10,000 train, 5,000 test, subset|50,000 train, 10,000 test, complete)", out
    )
    assert main(["data", "fetch", "--dataset", "mnist", "--dir", str(mnist_dir)]) == 0
    assert str(mnist_dir / "mnist.npz") in capsys.readouterr().out


def test_fetch_offline_fails_with_one_line_on_stderr(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setattr(data, "cache_dir", lambda: tmp_path / "cache")
    monkeypatch.setattr(
        data, "_download_arrays", lambda name: (_ for _ in ()).throw(OSError("offline"))
    )
    assert main(["data", "fetch", "--dataset", "mnist"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cnn-lessons data fetch" in err


def test_the_installed_command_exits_non_zero_on_failure():
    command = shutil.which("cnn-lessons", path=os.path.dirname(sys.executable))
    assert command, "the cnn-lessons command is not installed next to this Python"
    ok = subprocess.run([command, "list"], capture_output=True, text=True)
    assert ok.returncode == 0 and "lenet5" in ok.stdout
    bad = subprocess.run([command, "summary", "nope"], capture_output=True, text=True)
    assert bad.returncode == 1 and "unknown model 'nope'" in bad.stderr


@pytest.mark.parametrize(
    "command",
    [[], ["list"], ["summary"], ["train"], ["data"], ["data", "fetch"], ["data", "status"],
     ["notebooks"], ["notebooks", "run"], ["badges"], ["doctor"]],
)  # fmt: skip
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    assert "usage: cnn-lessons" in capsys.readouterr().out


def test_train_saves_the_model_and_a_json_record(mnist_dir, tmp_path, capsys):
    assert main(["train", "lenet5_modern", "--dataset", "mnist", "--n-train", "2000", "--n-test",
                 "500", "--epochs", "1", "--precision", "float32", "--output-dir", str(tmp_path)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "epoch 1/1" in out and "test accuracy" in out and "training took" in out
    assert "with chapter 01_lenet5's cpu recipe: Adam; peak learning rate 0.002" in out
    record = json.loads((tmp_path / "lenet5_modern_mnist.json").read_text())
    assert record["n_train"] == 2000 and record["n_test"] == 500 and record["recipe"]["epochs"] == 1
    assert record["chapter"] == "01_lenet5" and record["recipe"]["optimizer"] == "adam"
    assert record["device"] == "CPU" and record["precision"] == "float32"
    assert record["test_accuracy"] >= 0.5  # measured here: 0.754
    assert record["load_with"].startswith("import cnn_lessons; model = cnn_lessons.load_model(")
    model = cnn_lessons.load_model(tmp_path / "lenet5_modern_mnist.json")
    assert model.count_params() == 61_706
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "lenet5_modern_mnist.json",
        "lenet5_modern_mnist.keras",
    ]


def test_train_names_a_bad_precision_in_one_line(tmp_path, capsys):
    assert main(["train", "lenet5", "--dataset", "mnist", "--precision", "float8",
                 "--output-dir", str(tmp_path)]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'float8'" in err and "mixed_bfloat16" in err
    assert keras.mixed_precision.global_policy().name == "float32"
    assert list(tmp_path.iterdir()) == []


def test_train_refuses_an_unwritable_output_directory_before_training(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert (
        main(["train", "lenet5", "--dataset", "mnist", "--output-dir", str(blocker / "runs")]) == 1
    )
    err = capsys.readouterr().err
    assert (
        err.startswith("cnn-lessons: error: cannot write to the output directory")
        and err.count("\n") == 1
    )


def test_train_without_data_while_offline_fails_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setattr(data, "cache_dir", lambda: tmp_path / "cache")
    monkeypatch.setattr(
        data, "_download_arrays", lambda name: (_ for _ in ()).throw(OSError("offline"))
    )
    assert (
        main(["train", "lenet5", "--dataset", "cifar10", "--output-dir", str(tmp_path / "o")]) == 1
    )
    err = capsys.readouterr().err
    assert "cifar10.npz was not found" in err and err.count("\n") == 1


def test_doctor_reports_the_installation(capsys):
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    for field in ("python ", "keras ", "backend ", "device ", "data ", "kernel    python3 starts"):
        assert field in out


def _tiny_notebook(path, body):
    import nbformat

    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell(
        "import os\nQUICK = os.environ.get('CNN_LESSONS_QUICK', '0') == '1'"
    )
    parameters.metadata["tags"] = ["parameters"]
    report = nbformat.v4.new_code_cell(
        "from IPython.display import display\n"
        "display({'application/json': {'test_accuracy': 0.5, 'quick': QUICK}}, raw=True)"
    )
    report.metadata["tags"] = ["metrics"]
    notebook.cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}"), parameters,
                      nbformat.v4.new_code_cell(body), report]  # fmt: skip
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(notebook, path)


def test_notebooks_run_reports_each_chapter_and_fails_for_a_failing_one(
    tmp_path, monkeypatch, capsys
):
    from cnn_lessons import course

    folder = tmp_path / "notebooks"
    folder.mkdir()
    _tiny_notebook(folder / "01_works.ipynb", "x = 1 + 1")
    _tiny_notebook(folder / "02_breaks.ipynb", "raise ValueError('chapter two is broken')")
    committed = {p.name: p.read_text() for p in folder.iterdir()}
    monkeypatch.setattr(course, "NOTEBOOK_DIR", folder)
    assert main(["notebooks", "run", "--quick", "--output-dir", str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    rows = captured.out.splitlines()
    assert rows[0].split()[:3] == ["chapter", "status", "wall"]
    assert rows[1].split()[:2] == ["01_works", "ok"] and rows[1].endswith("test 50.0%")
    assert rows[2].split()[:2] == ["02_breaks", "FAILED"]
    assert "chapter two is broken" in captured.err
    assert {p.name: p.read_text() for p in folder.iterdir()} == committed  # never overwritten
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        ".02_breaks.failed.ipynb",
        "01_works.ipynb",
    ]
    assert main(["notebooks", "run", "--chapter", "2", "--in-place"]) == 1
    assert (folder / "02_breaks.ipynb").read_text() == committed[
        "02_breaks.ipynb"
    ]  # kept as it was
    assert (folder / ".02_breaks.failed.ipynb").is_file()
    assert main(["notebooks", "run", "--chapter", "1", "--in-place"]) == 0
    executed = json.loads((folder / "01_works.ipynb").read_text())
    assert executed["cells"][-1]["outputs"] and executed["cells"][-1]["execution_count"] == 3
    # written back as a learner's run leaves it: no injected cell, no run metadata or timings
    assert len(executed["cells"]) == 4 and "papermill" not in json.dumps(executed)
    assert not [c for c in executed["cells"] if "execution" in c["metadata"]]
    assert course.reported_metrics(folder / "01_works.ipynb")["quick"] is False
    assert main(["notebooks", "run", "--quick", "--output-dir", str(tmp_path / "quick")]) == 1
    assert course.reported_metrics(tmp_path / "quick" / "01_works.ipynb")["quick"] is True
    assert not [p for p in folder.iterdir() if p.name.startswith(".") and "failed" not in p.name]
    assert main(["notebooks", "run", "--chapter", "7", "--output-dir", str(tmp_path / "out")]) == 1
    assert "no chapter 7" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["--help"], ["train", "--help"], ["summary", "lenet6"]])
def test_help_and_usage_errors_answer_without_importing_keras(command):
    """`cnn-lessons --help` must not wait several seconds for TensorFlow to import."""
    probe = (
        "import sys\nfrom cnn_lessons.cli import main\n"
        f"try:\n    main({command!r})\nexcept SystemExit:\n    pass\n"
        "print(sorted({'keras', 'tensorflow', 'jax'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout + result.stderr


def _documented_command_lines():
    """Every `cnn-lessons ...` command line the READMEs show, in code blocks or inline code."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    found = []
    for name in ("README.md", os.path.join("data", "README.md")):
        with open(os.path.join(root, name)) as handle:
            text = handle.read()
        for line in re.findall(r"^\s*(cnn-lessons [^#\n]*)", text, re.M):
            found.append(line.strip())
        found += [m.strip() for m in re.findall(r"`(cnn-lessons [^`]*)`", text)]
    return sorted(set(found))


# Executing these would take minutes (every chapter) or rewrite the repository's own files; the
# parser still has to accept them, and other tests run what they do.
# (`cnn-lessons experiment` runs for minutes to hours; test_experiments.py runs a quick one.)
PARSED_ONLY = ("cnn-lessons notebooks run", "cnn-lessons badges --write", "cnn-lessons experiment")
# A `train` line runs with these appended, after parsing the line as written: argparse keeps the
# last value of a repeated option, so it trains in seconds instead of the chapter's minutes.
TRAIN_SMALL = ["--n-train", "512", "--n-test", "256", "--epochs", "1"]


def test_the_readmes_show_the_commands_that_matter():
    lines = _documented_command_lines()
    for command in ("list", "summary", "train", "data fetch", "data status", "notebooks run",
                    "experiment", "doctor", "badges --check"):  # fmt: skip
        assert any(line.startswith(f"cnn-lessons {command}") for line in lines), command


@pytest.mark.parametrize("line", _documented_command_lines())
def test_every_command_line_the_readme_shows_works(line, tmp_path, monkeypatch, capsys):
    argv = shlex.split(line)[1:]
    if argv == ["train"]:  # prose naming the command ("`cnn-lessons train` does the same")
        return
    args = parser().parse_args(argv)  # a usage error exits 2 here
    assert args.run
    if line.startswith(PARSED_ONLY):
        return
    monkeypatch.chdir(tmp_path)  # `train` writes its runs/ folder here
    if argv[0] == "train":
        argv += TRAIN_SMALL
    assert main(argv) == 0, capsys.readouterr().err
