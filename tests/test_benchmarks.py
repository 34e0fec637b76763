import importlib.util
import json
from pathlib import Path

import keras
import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "speed.py"


@pytest.fixture(scope="module")
def speed():
    spec = importlib.util.spec_from_file_location("speed", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_speed_script_measures_trains_to_the_floor_and_writes_json(
    speed, tmp_path, mnist_dir, monkeypatch
):
    monkeypatch.setenv("CNN_LESSONS_DATA", str(mnist_dir))
    output = tmp_path / "bench.json"
    speed.main(
        ["--models", "lenet5_modern", "--steps", "3", "--warmup", "1", "--output", str(output)]
    )
    record = json.loads(output.read_text())
    assert record["speed"]["lenet5_modern"] > 100  # images/s; measured here: ~12,500
    assert record["precision"] == "float32" and record["batch_size"] == 128
    assert record["device"] == "CPU" and record["accuracy_mode"] == "reduced"
    run = record["accuracy"]["lenet5_modern"]
    # 2,000 real MNIST images, seed 0: 89.5 % after 4 epochs (1.6 s) here.
    assert run["final_accuracy"] >= run["target"] == 0.88
    assert 0 < run["seconds_to_target"] <= run["budget_s"]
    assert record["peak_host_mib"] > 100


def test_random_shift_crops_each_image_at_its_own_offset(speed):
    images = np.arange(8 * 6 * 6, dtype="float32").reshape(8, 6, 6, 1) + 1
    shifted = keras.ops.convert_to_numpy(speed.RandomShift(2)(images, training=True))
    padded = np.pad(images, ((0, 0), (2, 2), (2, 2), (0, 0)))
    offsets = []
    for image, source in zip(shifted, padded):
        (match,) = [(i, j) for i in range(5) for j in range(5)
                    if np.array_equal(source[i:i + 6, j:j + 6], image)]  # fmt: skip
        offsets.append(match)
    assert len(set(offsets)) > 1, "every image got the same shift"
    unchanged = speed.RandomShift(2)(images, training=False)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(unchanged), images)


def test_budget_schedule_warms_up_then_follows_a_cosine_over_the_budget(speed):
    assert speed.budget_schedule(0.1, 0.0, 0.0, 60, epoch=1) == pytest.approx(0.02)
    rates = [speed.budget_schedule(0.1, t, 2.0, 60, epoch=2) for t in (0, 20, 40, 58)]
    assert rates == sorted(rates, reverse=True) and rates[0] < 0.1
    assert speed.budget_schedule(0.1, 59, 2.0, 60, epoch=5) == 0.0


def test_warm_up_compiles_and_leaves_every_variable_as_it_was(speed):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 1))
    x = speed.RandomShift(1)(inputs)
    x = keras.layers.Conv2D(2, 3)(x)
    x = keras.layers.BatchNormalization()(x)
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(x))
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).random((4, 8, 8, 1), dtype="float32")
    before = [keras.ops.convert_to_numpy(v) for v in model.variables]
    assert speed.warm_up(model, x, np.array([0, 1, 2, 0]), 4) > 0
    for variable, value in zip(model.variables, before):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(variable), value)
    assert all(not np.any(keras.ops.convert_to_numpy(v)) for v in model.optimizer.variables
               if "learning_rate" not in v.path)  # fmt: skip
