import os
import shutil
import subprocess
import sys

import pytest

from cnn_lessons import MODELS, data
from cnn_lessons.cli import main


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
    assert "10,000 train, 5,000 test, subset" in out
    assert main(["data", "fetch", "--dataset", "mnist", "--dir", str(mnist_dir)]) == 0
    assert str(mnist_dir / "mnist.npz") in capsys.readouterr().out


def test_fetch_offline_fails_with_one_line_on_stderr(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setattr(data, "cache_dir", lambda: tmp_path / "cache")
    monkeypatch.setattr(data, "_download_arrays", lambda name: (_ for _ in ()).throw(OSError("offline")))
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
