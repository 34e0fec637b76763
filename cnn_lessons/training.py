"""Training with sensible defaults: seeds, a one-line-per-epoch log, timing, test accuracy.

The chapters call `compile_classifier`, then `fit`, then `evaluate`; `report` prints the final
metrics as JSON, where the notebook tests read them.
"""

import json
import math
import time
from dataclasses import dataclass, field

import keras
import numpy as np

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


def steps_per_epoch(n_images, batch_size, validation_split=0.1):
    """Optimizer steps in one epoch of `n_images`, after the validation share is held out."""
    return math.ceil(int(n_images * (1 - validation_split)) / batch_size)


def fit(model, x, y, epochs, batch_size=128, validation_split=0.1, verbose=True, callbacks=()):
    """Train `model` on (x, y), holding out the last `validation_split` share for validation.

    The data should already be shuffled (`data.load` returns it shuffled). Returns a `Run`.
    """
    log = [EpochLog()] if verbose else []
    started = time.perf_counter()
    history = model.fit(
        x, y, epochs=epochs, batch_size=batch_size, validation_split=validation_split,
        verbose=0, callbacks=[*log, *callbacks],
    )  # fmt: skip
    seconds = time.perf_counter() - started
    trained = int(len(x) * (1 - validation_split)) * epochs
    return Run(history.history, seconds, trained / seconds, epochs, batch_size)


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
