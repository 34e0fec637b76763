"""A trained model and its record: saved together, never mixed up, never half-written, loadable in
a fresh process; and `cnn-lessons train` under Ctrl-C, SIGTERM and bad numbers."""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from cnn_lessons import runs
from cnn_lessons._keras import keras
from cnn_lessons.lenet import lenet5

COMMAND = shutil.which("cnn-lessons", path=os.path.dirname(sys.executable))


def _digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _tiny(seed):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((4,))
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(inputs))


def test_save_writes_the_pair_and_load_checks_that_they_belong_together(tmp_path):
    model = lenet5("paper")
    model_path, record_path = runs.save(model, {"model": "lenet5"}, tmp_path, "lenet5_mnist")
    record = json.loads(record_path.read_text())
    assert record["model_sha256"] == _digest(model_path) and record["model_file"] == model_path.name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lenet5_mnist.json", "lenet5_mnist.keras"]
    assert oct(model_path.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    images = np.random.default_rng(0).uniform(size=(4, 32, 32, 1)).astype("float32")
    loaded = runs.load_model(record_path)
    np.testing.assert_array_equal(np.asarray(model(images)), np.asarray(loaded(images)))
    runs.save(_tiny(0), {}, tmp_path, "other")
    shutil.copy(tmp_path / "other.keras", model_path)  # the model replaced behind the record's back
    with pytest.raises(ValueError, match=r"is not the model that .*lenet5_mnist.json describes"):
        runs.load_model(record_path)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_fresh_process_loads_a_saved_model_through_the_package(tmp_path):
    model_path, _ = runs.save(lenet5("paper"), {}, tmp_path, "paper")
    plain = f"import keras; keras.models.load_model({str(model_path)!r})"
    ours = f"import cnn_lessons; print(cnn_lessons.load_model({str(model_path)!r}).count_params())"
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    failed = subprocess.run(
        [sys.executable, "-c", plain], capture_output=True, text=True, env=environment
    )
    assert failed.returncode != 0  # why the record says how to load it
    loaded = subprocess.run(
        [sys.executable, "-c", ours], capture_output=True, text=True, env=environment
    )
    assert loaded.returncode == 0 and loaded.stdout.split()[-1] == "60840", loaded.stderr


def test_concurrent_saves_into_one_folder_never_mix_a_model_with_another_record(tmp_path):
    models = [_tiny(seed) for seed in range(2)]

    def save_many(index):
        for _ in range(6):
            runs.save(models[index], {"writer": index}, tmp_path, "shared")

    writers = [threading.Thread(target=save_many, args=(i,)) for i in range(2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    record = json.loads((tmp_path / "shared.json").read_text())
    assert record["model_sha256"] == _digest(tmp_path / "shared.keras")
    kernel = runs.load_model(tmp_path / "shared.json").layers[-1].get_weights()[0]
    np.testing.assert_array_equal(kernel, models[record["writer"]].layers[-1].get_weights()[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared.json", "shared.keras"]


def test_an_unsaveable_record_leaves_nothing_behind(tmp_path):
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        runs.save(_tiny(0), {"loss": float("nan")}, tmp_path, "bad")
    assert list(tmp_path.iterdir()) == []


# --- cnn-lessons train under signals ------------------------------------------------------------


def _earlier_run(folder):
    """An earlier run's files, which an interrupted run must leave as they were."""
    folder.mkdir()
    (folder / "lenet5_modern_mnist.keras").write_bytes(b"earlier model")
    (folder / "lenet5_modern_mnist.json").write_text('{"earlier": true}\n')
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _train_until_epoch(folder, mnist_dir, epochs=40):
    """Start `cnn-lessons train` and return it once its first epoch is under way."""
    environment = {**os.environ, "CNN_LESSONS_DATA": str(mnist_dir), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [COMMAND, "train", "lenet5_modern", "--n-train", "6000", "--n-test", "500",
         "--epochs", str(epochs), "--batch-size", "32", "--output-dir", str(folder)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment,
    )  # fmt: skip
    for line in process.stdout:
        if line.startswith("epoch 1/"):
            return process
        if line.startswith("training "):
            continue
    raise AssertionError(f"training never started: {process.stderr.read()}")


@pytest.mark.parametrize("delay", [0.0, 0.7, 1.9])
def test_ctrl_c_always_stops_train_with_exit_130_and_keeps_the_earlier_run(
    tmp_path, mnist_dir, delay
):
    """With JAX installed beside TensorFlow (as `make` installs it), a Ctrl-C raised inside JAX's
    garbage-collection callback used to be lost: training went on, exited 0, and overwrote the
    earlier run. Interrupts at several moments must all stop it."""
    folder = tmp_path / "runs"
    earlier = _earlier_run(folder)
    process = _train_until_epoch(folder, mnist_dir)
    time.sleep(delay)
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert time.monotonic() - started < 30  # within a batch or two, not at the end of training
    assert "cnn-lessons: interrupted" in err and "Exception ignored" not in err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == earlier  # no temporary files


def test_sigterm_stops_train_with_exit_143_and_leaves_no_temporary_file(tmp_path, mnist_dir):
    folder = tmp_path / "runs"
    earlier = _earlier_run(folder)
    process = _train_until_epoch(folder, mnist_dir)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == earlier


@pytest.mark.parametrize("value", ["nan", "-1", "inf", "0", "x"])
def test_a_bad_learning_rate_is_refused_before_any_work(value, tmp_path):
    result = subprocess.run(
        [COMMAND, "train", "lenet5_modern", "--learning-rate", value, "--output-dir", str(tmp_path / "o")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 2
    assert re.search(
        rf"--learning-rate: expected a positive number such as 0.002, got '{value}'", result.stderr
    )
    assert not (tmp_path / "o").exists()


def test_a_run_whose_loss_becomes_nan_exits_1_and_saves_nothing(tmp_path, cifar10_dir, capsys):
    from cnn_lessons.cli import main

    folder = tmp_path / "runs"
    earlier = _earlier_run(folder)
    # resnet20's chapter trains with SGD, which a learning rate of a million sends to NaN
    argv = "train resnet20 --n-train 640 --n-test 100 --epochs 2 --learning-rate 1e6"
    code = main([*argv.split(), "--output-dir", str(folder)])
    err = capsys.readouterr().err
    assert code == 1 and "The training loss became nan" in err and err.count("\n") == 1
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == earlier
