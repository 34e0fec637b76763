"""Training with sensible defaults: run modes, seeds, a one-line-per-epoch log, timing, accuracy.

The chapters call `configure` (the run's size and precision), `compile_classifier`, then `fit`,
then `evaluate`; `report` prints the final metrics as JSON, where the notebook tests read them.
"""

import json
import math
import os
import time
from dataclasses import dataclass, field

import numpy as np

from ._keras import keras
from .layers import EuclideanRBF, rbf_accuracy, rbf_loss


def set_seed(seed):
    """Seed Python, NumPy and the backend: the same seed repeats a CPU run bit for bit."""
    keras.utils.set_random_seed(seed)


def accelerator():
    """'GPU (<name>)' when the backend sees a GPU, else 'CPU'."""
    backend = keras.backend.backend()
    names = []
    if backend == "tensorflow":
        import tensorflow as tf

        names = [d.name for d in tf.config.list_physical_devices("GPU")]
    elif backend == "jax":
        import jax

        names = [d.device_kind for d in jax.devices() if d.platform == "gpu"]
    elif backend == "torch":
        import torch

        names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return f"GPU ({', '.join(names)})" if names else "CPU"


def gpu_precision():
    """The mixed-precision policy for this GPU: bfloat16 where the card computes in it natively
    (compute capability 8.0 and up: A100, H100...), float16 on older cards (T4, V100)."""
    backend = keras.backend.backend()
    major = 8
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        major = tf.config.experimental.get_device_details(gpus[0]).get("compute_capability", (8,))[
            0
        ]
    elif backend == "jax":
        import jax

        major = int(str(getattr(jax.devices()[0], "compute_capability", "8.0")).split(".")[0])
    elif backend == "torch":
        import torch

        major = torch.cuda.get_device_capability()[0]
    return "mixed_bfloat16" if major >= 8 else "mixed_float16"


PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


@dataclass(frozen=True)
class Mode:
    """How big a run is: `"quick"` (the workshop setting), `"gpu"` (a GPU is present: larger
    runs in mixed precision) or `"cpu"` (the default on a laptop). `pick` chooses a setting."""

    name: str
    device: str
    precision: str

    def pick(self, quick, cpu, gpu):
        """The setting for this mode, e.g. `mode.pick(quick=2, cpu=4, gpu=15)` epochs."""
        return {"quick": quick, "cpu": cpu, "gpu": gpu}[self.name]

    def __str__(self):
        return f"{self.name} mode on {self.device}, {self.precision}"


def configure(quick=False, precision=None):
    """Choose the run mode and set Keras's precision policy for it.

    Quick (the workshop setting) wins; otherwise a GPU gives the "gpu" mode, else "cpu". On a
    GPU the policy is mixed precision (`gpu_precision`), on a CPU float32, where mixed precision
    is slower. `precision`, or the environment variable `CNN_LESSONS_PRECISION`, overrides it.
    """
    device = accelerator()
    precision = (
        precision
        or os.environ.get("CNN_LESSONS_PRECISION")
        or ("float32" if device == "CPU" else gpu_precision())
    )
    if precision not in PRECISIONS:
        raise ValueError(
            f"`precision` (or CNN_LESSONS_PRECISION) must be one of {', '.join(PRECISIONS)}. "
            f"Received: {precision!r}"
        )
    keras.mixed_precision.set_global_policy(precision)
    name = "quick" if quick else "cpu" if device == "CPU" else "gpu"
    return Mode(name, device, precision)


def clear_session():
    """Free Keras's global state, as `keras.backend.clear_session`, but keep the precision policy
    that `configure` set: clearing the session alone resets it to float32."""
    policy = keras.mixed_precision.global_policy()
    keras.backend.clear_session()
    keras.mixed_precision.set_global_policy(policy)


def outputs_penalties(model):
    """True for models whose output is a penalty (LeNet-5's RBF units: smallest wins)."""
    return isinstance(model.layers[-1], EuclideanRBF)


def compile_classifier(model, learning_rate=2e-3, decay_steps=None):
    """Compile with Adam and sparse categorical cross-entropy, or the RBF loss for penalty
    outputs. With `decay_steps`, the learning rate follows a cosine from `learning_rate` to 0."""
    if decay_steps:
        learning_rate = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps)
    if outputs_penalties(model):
        loss, metrics = rbf_loss, [keras.metrics.MeanMetricWrapper(rbf_accuracy, name="accuracy")]
    else:
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
    model.compile(keras.optimizers.Adam(learning_rate), loss=loss, metrics=metrics)
    return model


class EpochLog(keras.callbacks.Callback):
    """Print one line per epoch: loss, accuracy and validation accuracy, and the epoch's time."""

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        parts = [f"epoch {epoch + 1}/{self.params['epochs']}"]
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            if key in logs:
                value = logs[key]
                parts.append(f"{key} {value:.2%}" if "accuracy" in key else f"{key} {value:.4f}")
        parts.append(f"({time.perf_counter() - self.started:.1f} s)")
        print("  ".join(parts), flush=True)


@dataclass
class Run:
    """What one `fit` produced: per-epoch history, wall time and throughput."""

    history: dict
    seconds: float
    images_per_second: float
    epochs: int
    batch_size: int
    extra: dict = field(default_factory=dict)


def split(n_images, batch_size, validation_split=0.1):
    """How `fit` uses `n_images`: (trained, held out). The last `validation_split` share is held
    out; the rest is cut to whole batches: a short last batch makes TensorFlow trace, or JAX
    compile, the training step again (AlexNet's CIFAR epochs ran 1.6x faster with whole batches,
    benchmarks/RESULTS.md). When there is less than one batch, all of it trains."""
    held = n_images - math.ceil(n_images * (1 - validation_split))
    trained = n_images - held
    return (trained - trained % batch_size or trained), held


def steps_per_epoch(n_images, batch_size, validation_split=0.1):
    """Optimizer steps in one epoch of `fit` on `n_images`."""
    return math.ceil(split(n_images, batch_size, validation_split)[0] / batch_size)


def fit(model, x, y, epochs, batch_size=128, validation_split=0.1, verbose=True, callbacks=()):
    """Train `model` on (x, y), holding out the last `validation_split` share for validation and
    training on whole batches of the rest (`split`: at most `batch_size - 1` images are left out).

    The data should already be shuffled (`data.load` returns it shuffled). Returns a `Run`.
    """
    log = [EpochLog()] if verbose else []
    n = len(keras.tree.flatten(x)[0])
    trained, held = split(n, batch_size, validation_split)

    def rows(data, start, stop):  # x and y may be arrays, or lists/dicts of them (several outputs)
        return keras.tree.map_structure(lambda array: array[start:stop], data)

    validation = (rows(x, n - held, n), rows(y, n - held, n)) if held else None
    started = time.perf_counter()
    history = model.fit(
        rows(x, 0, trained), rows(y, 0, trained), epochs=epochs, batch_size=batch_size,
        validation_data=validation, verbose=0, callbacks=[*log, *callbacks],
    )  # fmt: skip
    seconds = time.perf_counter() - started
    return Run(history.history, seconds, trained * epochs / seconds, epochs, batch_size)


def predict_classes(model, x, batch_size=512):
    """Predicted class per image: argmax of probabilities, or argmin of RBF penalties."""
    outputs = model.predict(x, batch_size=batch_size, verbose=0)
    return np.argmin(outputs, axis=-1) if outputs_penalties(model) else np.argmax(outputs, axis=-1)


def evaluate(model, x, y, batch_size=512):
    """Test accuracy (a fraction) and the predicted classes."""
    predicted = predict_classes(model, x, batch_size)
    return float(np.mean(predicted == np.asarray(y).reshape(-1))), predicted


def report(**metrics):
    """Show the run's final metrics as JSON: the notebook tests read this output."""
    from IPython.display import display

    text = json.dumps(metrics, indent=1, sort_keys=True)
    display({"application/json": metrics, "text/plain": text}, raw=True)
