"""Training with sensible defaults: run modes, seeds, a one-line-per-epoch log, timing, accuracy.

The chapters call `configure` (the run's size and precision), `compile_classifier`, then `fit`,
then `evaluate`; `report` prints the final metrics as JSON, where the notebook tests read them.
"""

import json
import math
import os
import sys
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


def _epoch_line(epoch, epochs, logs, seconds):
    """The one line an epoch leaves behind: its loss and accuracies, and how long it took."""
    parts = [f"epoch {epoch + 1}/{epochs}"]
    # training metrics before validation ones, each loss before its accuracy
    order = sorted(logs, key=lambda key: (key.startswith("val_"), not key.endswith("loss"), key))
    for key in order:
        value = logs[key]
        if key.endswith(("loss", "accuracy")) and isinstance(value, (int, float)):
            parts.append(f"{key} {value:.2%}" if key.endswith("accuracy") else f"{key} {value:.4f}")
    parts.append(f"({seconds:.1f} s)")
    return "  ".join(parts)


def _duration(seconds):
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


def _display_kind():
    """Where progress goes: "notebook" in a Jupyter kernel (a line updated in place, leaving one
    line per epoch in the saved notebook), "terminal" on a TTY (a line redrawn with \r), else
    "lines" (one line per epoch, for logs and CI)."""
    try:
        from IPython import get_ipython

        if getattr(get_ipython(), "kernel", None) is not None:
            return "notebook"
    except ImportError:
        pass
    return "terminal" if sys.stdout.isatty() else "lines"


class Progress(keras.callbacks.Callback):
    """Progress a person can watch: within each epoch, the batch count and the time left (of the
    epoch and of the run), refreshed at most every `every` seconds; at the end of each epoch, one
    line with its losses, accuracies and time. In a notebook the live line is a display updated
    in place, so the saved notebook keeps only the epoch lines.

    It hooks the start of each batch, which carries no metrics: reading the loss every batch
    would make the backend wait for each step to finish."""

    def __init__(self, every=0.5, kind=None):
        super().__init__()
        self.every, self.kind = every, kind or _display_kind()

    def on_train_begin(self, logs=None):
        self.run_started = time.perf_counter()
        self.steps = self.params.get("steps") or 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.started, self.shown = epoch, time.perf_counter(), 0.0
        self.handle = None
        self._show(f"epoch {epoch + 1}/{self.params['epochs']}  starting", final=False)

    def on_train_batch_begin(self, batch, logs=None):
        now = time.perf_counter()
        if batch == 1:  # the first batch also traces or compiles the step: time from here
            self.first = now
        if batch < 2 or now - self.shown < self.every or not self.steps:
            return
        per_batch = (now - self.first) / (batch - 1)
        epochs = self.params["epochs"]
        left = per_batch * (self.steps - batch)
        total_left = left + per_batch * self.steps * (epochs - self.epoch - 1)
        width = 20
        done = round(width * batch / self.steps)
        self._show(
            f"epoch {self.epoch + 1}/{epochs}  [{'=' * done}{'.' * (width - done)}] "
            f"batch {batch}/{self.steps}  {_duration(left)} left in the epoch, "
            f"{_duration(total_left)} in all",
            final=False,
        )

    def on_epoch_end(self, epoch, logs=None):
        line = _epoch_line(
            epoch, self.params["epochs"], logs or {}, time.perf_counter() - self.started
        )
        self._show(line, final=True)

    def _show(self, text, final):
        self.shown = time.perf_counter()
        if self.kind == "notebook":
            from IPython.display import display

            if self.handle is None:
                self.handle = display({"text/plain": text}, raw=True, display_id=True)
            else:
                self.handle.update({"text/plain": text}, raw=True)
        elif self.kind == "terminal":
            end = "\n" if final else ""
            print(f"\r{text:<{getattr(self, '_width', 0)}}", end=end, flush=True)
            self._width = 0 if final else len(text)
        elif final:
            print(text, flush=True)


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
    log = [Progress()] if verbose else []
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
