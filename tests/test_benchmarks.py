"""The two benchmarks run the chapters' own training path (the course table through the shared
trainer), on real data, and write what they measured."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _script(name, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # the scripts import their `common`
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_throughput_compares_the_variants_side_by_side_and_writes_json(
    tmp_path, cifar10_dir, monkeypatch
):
    monkeypatch.setenv("CNN_LESSONS_DATA", str(cifar10_dir))
    throughput = _script("throughput", monkeypatch)
    output = tmp_path / "throughput.json"
    throughput.main(
        ["--chapters", "5", "--images", "256", "--rounds", "1", "--output", str(output)]
    )
    record = json.loads(output.read_text())
    assert (
        record["device"] == "CPU" and record["cpu"] and record["convolution_gflops"]["float32"] > 1
    )
    result = record["chapters"]["05_resnet"]
    assert result["model"] == "resnet20" and result["forward_macs"] == 40_551_040
    speeds = result["images_per_second"]
    assert {"recipe", "no augmentation"} <= set(speeds)
    # The fraction is a ratio of two timings: on a loaded machine it can pass 1 (the convolution
    # reference measured in a busier moment), so only its arithmetic is checked here.
    for s in speeds.values():
        flops = 3 * result["forward_macs"] * 2 * s["median"]
        reference = record["convolution_gflops"][s["precision"]] * 1e9
        assert s["median"] > 0 and s["arithmetic_fraction"] == pytest.approx(
            flops / reference, rel=0.01
        )
    assert result["augmentation_ratio"] == pytest.approx(
        speeds["recipe"]["median"] / speeds["no augmentation"]["median"], abs=1e-3
    )


def test_time_to_accuracy_times_the_chapters_quick_run_to_its_floor(
    tmp_path, mnist_dir, monkeypatch
):
    monkeypatch.setenv("CNN_LESSONS_DATA", str(mnist_dir))
    timing = _script("time_to_accuracy", monkeypatch)
    output = tmp_path / "time.json"
    timing.main(["--chapters", "1", "--mode", "quick", "--output", str(output)])
    result = json.loads(output.read_text())["chapters"]["01_lenet5"]
    assert (result["model"], result["mode"], result["target"]) == ("lenet5_modern", "quick", 0.88)
    # 9,000 real MNIST images, seed 0, 2 epochs: the floor is met after the first epoch
    assert result["seconds_to_target"] is not None
    assert 0 < result["seconds_to_target"] <= result["training_seconds"]
    assert result["test_accuracy"] >= 0.88 and len(result["curve"]) == 2
    assert "benchmarks" not in sys.modules  # the scripts stay scripts


def test_onednn_compares_the_kernels_on_and_off_in_fresh_processes(
    tmp_path, mnist_dir, monkeypatch
):
    monkeypatch.setenv("CNN_LESSONS_DATA", str(mnist_dir))
    onednn = _script("onednn", monkeypatch)
    output = tmp_path / "onednn.json"
    onednn.main(["--chapters", "1", "--images", "512", "--rounds", "1", "--output", str(output)])
    result = json.loads(output.read_text())
    row = result["chapters"]["01_lenet5"]
    assert row["model"] == "lenet5_modern"
    for setting in ("on", "off"):  # the script checked that TensorFlow took each setting
        assert row[setting]["images_per_second"] > 0 and len(row[setting]["rounds"]) == 1
        assert result[f"convolution_gflops_{setting}"] > 0
    ratio = row["on"]["images_per_second"] / row["off"]["images_per_second"]
    assert row["speedup"] == pytest.approx(ratio, abs=1e-3)
