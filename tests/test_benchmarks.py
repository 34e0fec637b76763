import importlib.util
import json
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "speed.py"


def test_speed_script_measures_and_writes_json(tmp_path, mnist_dir, monkeypatch):
    monkeypatch.setenv("CNN_LESSONS_DATA", str(mnist_dir))
    spec = importlib.util.spec_from_file_location("speed", SCRIPT)
    speed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(speed)
    output = tmp_path / "bench.json"
    speed.main(["--models", "lenet5_modern", "--steps", "3", "--warmup", "1", "--output", str(output)])
    record = json.loads(output.read_text())
    assert record["speed"]["lenet5_modern"] > 100  # images/s; measured here: ~5,900
    assert record["precision"] == "float32" and record["batch_size"] == 128
    assert record["peak_host_mib"] > 100
