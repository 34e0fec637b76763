"""Which precision to train in, per machine: chosen by the hardware on a GPU, measured on a CPU.

On a GPU, mixed precision always pays: bfloat16 where the card computes in it natively (compute
capability 8.0 and up: A100, H100...), float16 on older cards (Colab's T4, V100).

On a CPU it depends on the chip. Training steps in `mixed_bfloat16` ran 1.2-1.6x faster than
float32 on a 2-core Intel Xeon with AMX-BF16, and slower on a 2-core AMD EPYC, although both
report AVX-512 BF16. So `cpu_precision` measures: a few training steps of a small convolutional
network in each precision, once per machine and software versions, the answer cached in
`~/.cache/cnn-lessons/precision.json`. bfloat16 is chosen only when it is clearly faster (by
`MARGIN`), so the choice is never slower than float32.
"""

import contextlib
import json
import os
import platform
import statistics
import time
from pathlib import Path

from ._keras import keras

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
MARGIN = 1.10  # bfloat16 must do at least 10 % more steps per second


@contextlib.contextmanager
def policy(name):
    """Build and run under the mixed-precision policy `name` ("float32", ...); the previous
    global policy is put back afterwards, even on an error or Ctrl-C."""
    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def gpu_precision():
    """The mixed-precision policy for this GPU."""
    backend = keras.backend.backend()
    major = 8
    if backend == "tensorflow":
        import tensorflow as tf

        details = tf.config.experimental.get_device_details(
            tf.config.list_physical_devices("GPU")[0]
        )
        major = details.get("compute_capability", (8,))[0]
    elif backend == "jax":
        import jax

        major = int(str(getattr(jax.devices()[0], "compute_capability", "8.0")).split(".")[0])
    elif backend == "torch":
        import torch

        major = torch.cuda.get_device_capability()[0]
    return "mixed_bfloat16" if major >= 8 else "mixed_float16"


def cpu_name():
    """The CPU's model name, from /proc/cpuinfo where there is one."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def onednn():
    """Whether TensorFlow runs its oneDNN kernels in this process (None on another backend, or
    where this TensorFlow cannot say): `cnn_lessons` asks for them before TensorFlow starts."""
    if keras.backend.backend() != "tensorflow":
        return None
    try:
        from tensorflow.python.util import _pywrap_util_port  # TensorFlow's own switch
    except ImportError:
        return None
    return bool(_pywrap_util_port.IsMklEnabled())


def machine_key():
    """What the measurement depends on: the CPU, its core count, the backend (and whether
    TensorFlow's oneDNN kernels are on) and Keras."""
    backend = keras.backend.backend()
    module = __import__({"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[backend])
    kernels = {True: "; oneDNN", False: "; no oneDNN", None: ""}[onednn()]
    return (
        f"{cpu_name()}; {os.cpu_count()} cores; {backend} {getattr(module, '__version__', '?')}"
        f"{kernels}; keras {keras.__version__}"
    )


def cache_file():
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "cnn-lessons" / "precision.json"


def steps_per_second(precision, steps=8, warmup=3, batch=64):
    """Training steps per second of a small convolutional network (three 3x3 convolutions on
    32x32 maps, as in the CIFAR chapters) in `precision`."""
    import numpy as np

    with policy(precision):
        inputs = keras.Input((32, 32, 16))
        x = inputs
        for _ in range(3):
            x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(x)
        x = keras.layers.GlobalAveragePooling2D()(x)
        model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))
        model.compile(keras.optimizers.SGD(1e-3), loss="sparse_categorical_crossentropy")
        rng = np.random.default_rng(0)
        images = rng.random((batch, 32, 32, 16), dtype="float32")
        labels = rng.integers(0, 10, batch)
        times = []
        for step in range(warmup + steps):
            started = time.perf_counter()
            float(model.train_on_batch(images, labels))  # waits for the step to finish
            if step >= warmup:
                times.append(time.perf_counter() - started)
    return 1 / statistics.median(times)


def measure():
    """{precision: steps/s} for float32 and mixed_bfloat16, measured alternately."""
    speeds = {"float32": [], "mixed_bfloat16": []}
    for order in (("float32", "mixed_bfloat16"), ("mixed_bfloat16", "float32")):
        for precision in order:
            speeds[precision].append(steps_per_second(precision))
    return {precision: max(values) for precision, values in speeds.items()}


def cpu_precision(measure=measure):
    """ "mixed_bfloat16" where it trains clearly faster than float32 on this CPU, else "float32";
    measured once per `machine_key`, then read from `cache_file`."""
    path, key = cache_file(), machine_key()
    try:
        cached = json.loads(path.read_text())
    except (OSError, ValueError):
        cached = {}
    if not isinstance(cached.get(key), dict) or cached[key].get("choice") not in PRECISIONS:
        speeds = measure()
        faster = speeds["mixed_bfloat16"] >= MARGIN * speeds["float32"]
        cached[key] = {
            "choice": "mixed_bfloat16" if faster else "float32",
            "steps_per_second": {p: round(s, 2) for p, s in speeds.items()},
            "date": time.strftime("%Y-%m-%d"),
        }
        try:
            from .files import replacing

            path.parent.mkdir(parents=True, exist_ok=True)
            with replacing(path) as tmp:
                tmp.write_text(json.dumps(cached, indent=1) + "\n")
        except OSError:
            pass  # an unwritable cache only means measuring again next time
    return cached[key]["choice"]


def why(precision):
    """A sentence on why `precision` was chosen, from the cache where it was measured."""
    try:
        entry = json.loads(cache_file().read_text()).get(machine_key(), {})
    except (OSError, ValueError):
        entry = {}
    speeds = entry.get("steps_per_second")
    if not speeds:
        return f"{precision} was set"
    ratio = speeds["mixed_bfloat16"] / speeds["float32"]
    return (
        f"{precision}: on this CPU, mixed_bfloat16 trained a small network at {ratio:.2f}x the "
        f"speed of float32 (measured {entry.get('date', '')}; bfloat16 is used from {MARGIN:.2f}x)"
    )
