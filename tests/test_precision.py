"""The precision a run trains in: chosen per machine, measured on a CPU, never slower than float32."""

import json
import os
import subprocess
import sys

import pytest

from cnn_lessons import precision, training
from cnn_lessons._keras import keras


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "cnn-lessons" / "precision.json"


def _timed(float32, bfloat16, calls):
    def measure():
        calls.append(1)
        return {"float32": float32, "mixed_bfloat16": bfloat16}

    return measure


@pytest.mark.parametrize(
    ("bfloat16", "choice"), [(11.5, "mixed_bfloat16"), (10.5, "float32"), (6.0, "float32")]
)
def test_bfloat16_is_chosen_only_where_it_is_clearly_faster(cache, bfloat16, choice):
    calls = []
    assert precision.cpu_precision(_timed(10.0, bfloat16, calls)) == choice
    assert precision.cpu_precision(_timed(1.0, 99.0, calls)) == choice  # cached: not measured again
    assert len(calls) == 1
    entry = json.loads(cache.read_text())[precision.machine_key()]
    assert entry["steps_per_second"] == {"float32": 10.0, "mixed_bfloat16": bfloat16}
    assert precision.why(choice).startswith(f"{choice}: on this CPU, mixed_bfloat16 trained")


def test_a_damaged_or_unwritable_cache_means_measuring_again(cache):
    cache.parent.mkdir(parents=True)
    cache.write_text("{not json")
    calls = []
    assert precision.cpu_precision(_timed(10.0, 12.0, calls)) == "mixed_bfloat16"
    cache.write_text(json.dumps({precision.machine_key(): {"choice": "float64"}}))
    assert precision.cpu_precision(_timed(10.0, 9.0, calls)) == "float32" and len(calls) == 2
    cache.chmod(0o444)
    cache.parent.chmod(0o555)
    try:
        assert precision.cpu_precision(_timed(10.0, 9.0, calls)) == "float32"
    finally:
        cache.parent.chmod(0o755)


def test_the_probe_measures_both_precisions_and_leaves_the_policy_as_it_was(cache):
    keras.mixed_precision.set_global_policy("float32")
    speeds = precision.measure()
    assert set(speeds) == {"float32", "mixed_bfloat16"} and min(speeds.values()) > 0
    assert keras.mixed_precision.global_policy().name == "float32"


def test_configure_uses_the_machines_choice_on_a_cpu(cache, monkeypatch):
    monkeypatch.delenv("CNN_LESSONS_PRECISION", raising=False)
    for choice in ("mixed_bfloat16", "float32"):
        monkeypatch.setattr(training, "cpu_precision", lambda choice=choice: choice)
        try:
            mode = training.configure()
            assert (mode.name, mode.device, mode.precision) == ("cpu", "CPU", choice)
            assert keras.mixed_precision.global_policy().name == choice
        finally:
            keras.mixed_precision.set_global_policy("float32")


def test_the_policy_context_puts_the_previous_policy_back_even_on_an_error():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        with pytest.raises(RuntimeError):
            with precision.policy("float32"):
                assert keras.mixed_precision.global_policy().name == "float32"
                raise RuntimeError("stop")
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
    finally:
        keras.mixed_precision.set_global_policy("float32")


def _fresh_process(**environment):
    """(oneDNN on?, the cache key) as a new TensorFlow process sees them after `import cnn_lessons`."""
    unset = ("TF_ENABLE_ONEDNN_OPTS", "KERAS_BACKEND")
    env = {key: value for key, value in os.environ.items() if key not in unset}
    code = "import cnn_lessons\nfrom cnn_lessons import precision\n"
    code += "print(precision.onednn())\nprint(precision.machine_key())"
    done = subprocess.run([sys.executable, "-c", code], env={**env, **environment},
                          capture_output=True, text=True, timeout=300, check=True)  # fmt: skip
    return done.stdout.splitlines()[-2:]


def test_the_package_turns_tensorflows_onednn_kernels_on_unless_told_not_to():
    # TensorFlow leaves them off on CPUs without AVX-512 VNNI/BF16 or AMX, where they trained the
    # chapters 1.4-1.8x faster; a user's explicit 0 wins, and the probe's cache keeps them apart.
    on, key_on = _fresh_process()
    off, key_off = _fresh_process(TF_ENABLE_ONEDNN_OPTS="0")
    assert (on, off) == ("True", "False")
    assert "; oneDNN;" in key_on and "; no oneDNN;" in key_off
