"""Training: run modes and precision, the one trainer, evaluation, the final report.

A chapter calls `configure` (the run's mode and precision), then `train(model, data, recipe)` with
its recipe from `course.CHAPTERS`, then `evaluate` on the test set, once; `report` shows the final
metrics as JSON, where the notebook tests read them. `cnn-lessons train` and the benchmarks run
the same `train`.
"""

import contextlib
import json
import logging
import math
import os
import time
from dataclasses import dataclass
from functools import partial

import numpy as np

from ._keras import keras
from .augment import flip_and_shift
from .layers import EuclideanRBF, rbf_accuracy, rbf_loss
from .precision import PRECISIONS, cpu_precision, gpu_precision
from .precision import why as precision_reason
from .progress import Progress


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


@dataclass(frozen=True)
class Mode:
    """How big a run is: `"quick"` (the workshop setting), `"gpu"` (a GPU is present: larger
    runs in mixed precision) or `"cpu"` (the default on a laptop). `pick` chooses a setting."""

    name: str
    device: str
    precision: str
    reason: str = ""

    def pick(self, quick, cpu, gpu):
        """The setting for this mode, e.g. `mode.pick(quick=2, cpu=4, gpu=15)` epochs."""
        return {"quick": quick, "cpu": cpu, "gpu": gpu}[self.name]

    def __str__(self):
        return f"{self.name} mode on {self.device}, {self.precision}"


def configure(quick=False, precision=None):
    """Choose the run mode and set Keras's precision policy for it.

    Quick (the workshop setting) wins; otherwise a GPU gives the "gpu" mode, else "cpu". The
    precision is chosen per machine (`precision` module): mixed precision on a GPU; on a CPU,
    bfloat16 only where a measurement showed it faster, else float32. `precision`, or the
    environment variable `CNN_LESSONS_PRECISION`, overrides the choice.
    """
    device = accelerator()
    if precision is not None:
        reason = f"{precision}, as asked"
    elif os.environ.get("CNN_LESSONS_PRECISION"):
        precision = os.environ["CNN_LESSONS_PRECISION"]
        reason = f"{precision}, from CNN_LESSONS_PRECISION"
    elif device == "CPU":
        precision = cpu_precision()
        reason = precision_reason(precision)
    else:
        precision = gpu_precision()
        reason = f"{precision}: mixed precision on this GPU"
    if precision not in PRECISIONS:
        raise ValueError(
            f"`precision` (or CNN_LESSONS_PRECISION) must be one of {', '.join(PRECISIONS)}. "
            f"Received: {precision!r}"
        )
    keras.mixed_precision.set_global_policy(precision)
    name = "quick" if quick else "cpu" if device == "CPU" else "gpu"
    return Mode(name, device, precision, reason)


def clear_session():
    """Free Keras's global state, as `keras.backend.clear_session`, but keep the precision policy
    that `configure` set: clearing the session alone resets it to float32."""
    policy = keras.mixed_precision.global_policy()
    keras.backend.clear_session()
    keras.mixed_precision.set_global_policy(policy)


def free_memory():
    """Let go of the models an earlier cell deleted (`del model` first): clear Keras's session,
    keeping the precision policy, and collect Python's reference cycles (Keras models hold some),
    so the next model reuses their memory, and hand the freed heap back to the system (glibc
    keeps it otherwise, and the process's memory only grows). Binder gives 2 GB."""
    import ctypes
    import gc

    clear_session()
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): nothing to hand back
        pass


def split(n_images, batch_size, validation_split=0.1):
    """How `train` uses `n_images`: (trained, held out). The last `validation_split` share is held
    out; the rest is cut to whole batches: a short last batch makes TensorFlow trace, or JAX
    compile, the training step again (AlexNet's CIFAR epochs ran 1.6x faster with whole batches,
    benchmarks/RESULTS.md). When there is less than one batch, all of it trains."""
    held = n_images - math.ceil(n_images * (1 - validation_split))
    trained = n_images - held
    return (trained - trained % batch_size or trained), held


def steps_per_epoch(n_images, batch_size, validation_split=0.1):
    """Optimizer steps in one epoch of `train` on `n_images`."""
    return math.ceil(split(n_images, batch_size, validation_split)[0] / batch_size)


class _NotRetracing(logging.Filter):
    """Drops TensorFlow's warning that functions were "retraced" too often. It counts traces
    across models, and a chapter builds many: each new model's steps must be traced once, as
    they are, which is not the mistake the warning is about."""

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


@contextlib.contextmanager
def _new_models_trace_once():
    quiet = _NotRetracing()
    logging.getLogger("tensorflow").addFilter(quiet)
    try:
        yield
    finally:
        logging.getLogger("tensorflow").removeFilter(quiet)


def predict_classes(model, x, batch_size=512):
    """Predicted class per image: argmax of probabilities or logits, argmin of RBF penalties.
    For a model with several outputs (GoogLeNet's auxiliary heads), the first: the main one.

    Every batch has the same size (the last one is padded, and its padding dropped), so the
    backend traces or compiles the prediction step once per model, not twice."""
    x = np.asarray(x)
    if not len(x):
        raise ValueError("There are no images to predict. Received: 0 images")
    size = min(batch_size, len(x))
    padded = np.concatenate([x, np.zeros((-len(x) % size, *x.shape[1:]), x.dtype)])
    with _new_models_trace_once():
        outputs = [
            keras.tree.flatten(model.predict_on_batch(padded[start : start + size]))[0]
            for start in range(0, len(padded), size)
        ]
    outputs = np.concatenate([np.asarray(o) for o in outputs])[: len(x)]
    smallest = output_kind(model) == "penalties"
    return np.argmin(outputs, axis=-1) if smallest else np.argmax(outputs, axis=-1)


def evaluate(model, x, y, batch_size=512):
    """Test accuracy (a fraction) and the predicted classes. One label per image: a single label
    for many images is an error, not a comparison broadcast over all of them."""
    labels = np.asarray(y).reshape(-1)
    if len(labels) != len(x):
        raise ValueError(
            f"`evaluate` needs one label per image. Received: {len(x):,} images and "
            f"{len(labels):,} labels"
        )
    predicted = predict_classes(model, x, batch_size)
    return float(np.mean(predicted == labels)), predicted


def report(**metrics):
    """Show the run's final metrics as JSON: the notebook tests read this output."""
    from IPython.display import display

    text = json.dumps(metrics, indent=1, sort_keys=True)
    display({"application/json": metrics, "text/plain": text}, raw=True)


# --- The trainer: any model, any dataset, any recipe ---------------------------------------------


class TrainingError(RuntimeError):
    """A run that cannot go on (its loss became NaN); the message says what to change."""


OUTPUT_KINDS = ("probabilities", "logits", "penalties")


def output_kind(model, index=0):
    """What output `index` of `model` holds: "probabilities" (a softmax), "logits" (no
    activation: the loss applies the softmax itself) or "penalties" (LeNet-5's RBF units,
    smallest wins). Anything else is an error: the trainer would pick the wrong loss."""
    layer = model.outputs[index]._keras_history[0]
    if isinstance(layer, EuclideanRBF):
        return "penalties"
    activation = getattr(layer, "activation", None)
    if isinstance(layer, keras.layers.Softmax) or activation is keras.activations.softmax:
        return "probabilities"
    if activation is keras.activations.linear:
        return "logits"
    raise ValueError(
        f"The trainer takes classifiers whose output is a softmax, logits (no activation) or "
        f"LeNet-5's RBF penalties. Received: output layer '{layer.name}' "
        f"({type(layer).__name__}) with activation {getattr(activation, '__name__', activation)!r}"
    )


@keras.saving.register_keras_serializable(package="cnn_lessons")
class RecipeSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """A recipe's learning rate per step: linear warm-up, then cosine decay to 0, steps of /10,
    or constant. `Recipe.learning_rate_at` is the same arithmetic in plain Python."""

    def __init__(self, peak, steps, warmup_steps=0, kind="cosine", milestones=()):
        self.peak, self.steps, self.warmup_steps = float(peak), int(steps), int(warmup_steps)
        self.kind, self.milestones = kind, tuple(int(m) for m in milestones)

    def __call__(self, step):
        ops = keras.ops
        step = ops.cast(step, "float32")
        if self.kind == "cosine":
            progress = (step - self.warmup_steps) / max(1, self.steps - self.warmup_steps)
            rate = 0.5 * self.peak * (1 + ops.cos(math.pi * ops.clip(progress, 0.0, 1.0)))
        elif self.kind == "steps":
            drops = sum(ops.cast(step >= m, "float32") for m in self.milestones)
            rate = self.peak * ops.power(0.1, drops)
        else:
            rate = self.peak * ops.ones_like(step)
        if self.warmup_steps:
            warm = self.peak * (step + 1) / self.warmup_steps
            rate = ops.where(step < self.warmup_steps, warm, rate)
        return rate

    def get_config(self):
        return {
            "peak": self.peak, "steps": self.steps, "warmup_steps": self.warmup_steps,
            "kind": self.kind, "milestones": list(self.milestones),
        }  # fmt: skip


def schedule_for(recipe, steps):
    """The recipe's learning-rate schedule over `steps` optimizer steps."""
    milestones = [round(m * steps) for m in recipe.milestones] if recipe.schedule == "steps" else []
    warmup_steps = round(recipe.warmup * steps)
    return RecipeSchedule(recipe.learning_rate, steps, warmup_steps, recipe.schedule, milestones)


@keras.saving.register_keras_serializable(package="cnn_lessons")
class SparseCrossEntropy(keras.losses.Loss):
    """Cross-entropy of integer labels against probabilities or logits, with label smoothing
    (Keras's sparse loss has none): the one-hot target becomes (1 - s) on the class + s / K."""

    def __init__(self, from_logits=False, label_smoothing=0.0, name="cross_entropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.from_logits, self.label_smoothing = bool(from_logits), float(label_smoothing)

    def call(self, y_true, y_pred):
        ops = keras.ops
        classes = ops.shape(y_pred)[-1]
        labels = ops.one_hot(ops.cast(ops.reshape(y_true, (-1,)), "int32"), classes)
        return keras.losses.categorical_crossentropy(
            ops.cast(labels, y_pred.dtype), y_pred, from_logits=self.from_logits,
            label_smoothing=self.label_smoothing,
        )  # fmt: skip

    def get_config(self):
        config = super().get_config()
        config.update(from_logits=self.from_logits, label_smoothing=self.label_smoothing)
        return config


def _loss_and_metric(kind, label_smoothing):
    if kind == "penalties":
        if label_smoothing:
            raise ValueError(
                "LeNet-5's RBF output has its own loss (the paper's equation 9), without label "
                f"smoothing. Received: label_smoothing={label_smoothing}"
            )
        return rbf_loss, keras.metrics.MeanMetricWrapper(rbf_accuracy, name="accuracy")
    from_logits = kind == "logits"
    if label_smoothing:
        loss = SparseCrossEntropy(from_logits, label_smoothing)
    else:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    return loss, keras.metrics.SparseCategoricalAccuracy(name="accuracy")


def optimizer_for(recipe, steps):
    """The recipe's optimizer, its learning rate following `schedule_for(recipe, steps)`."""
    schedule = schedule_for(recipe, steps)
    decay = recipe.weight_decay or None
    if recipe.optimizer == "sgd":
        return keras.optimizers.SGD(
            schedule, momentum=recipe.momentum, nesterov=recipe.nesterov, weight_decay=decay
        )
    if recipe.optimizer == "adamw":
        return keras.optimizers.AdamW(schedule, weight_decay=recipe.weight_decay)
    return keras.optimizers.Adam(schedule, weight_decay=decay)


def compile_for(model, recipe, steps):
    """Compile `model` for `recipe` over `steps` optimizer steps: the loss each output needs
    (`output_kind`), weighted by `recipe.output_weights` when there are several, and an accuracy
    metric per output; batch normalization follows `recipe.bn_momentum`. Returns the model."""
    n_outputs = len(model.outputs)
    if recipe.bn_momentum is not None:
        for layer in model.layers:  # top-level layers: the course's models nest none
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.momentum = recipe.bn_momentum
    weights = recipe.output_weights or ((1.0,) if n_outputs == 1 else ())
    if len(weights) != n_outputs:
        names = ", ".join(t._keras_history[0].name for t in model.outputs)
        raise ValueError(
            f"The model has {n_outputs} outputs ({names}): give the recipe one loss weight per "
            f"output, e.g. output_weights=(1.0, 0.3) as GoogLeNet's auxiliary heads. "
            f"Received: output_weights={recipe.output_weights!r}"
        )
    pairs = [
        _loss_and_metric(output_kind(model, i), recipe.label_smoothing) for i in range(n_outputs)
    ]
    losses, metrics = [p[0] for p in pairs], [[p[1]] for p in pairs]
    if n_outputs == 1:
        losses, metrics, weights = losses[0], metrics[0], None
    model.compile(
        optimizer_for(recipe, steps), loss=losses, loss_weights=weights, metrics=metrics,
        steps_per_execution=recipe.steps_per_execution,
    )  # fmt: skip
    return model


class _Interrupted:
    """Ctrl-C (SIGINT) and SIGTERM while training, made reliable: the signal only sets a flag,
    and the next batch raises from the training loop itself (KeyboardInterrupt for Ctrl-C,
    SystemExit(143) for SIGTERM). JAX, installed beside TensorFlow, registers a garbage-collection
    callback, and an exception raised while it runs is printed as "Exception ignored" and lost:
    training went on. A second Ctrl-C raises at once."""

    SIGNALS = ("SIGINT", "SIGTERM")

    def __init__(self):
        self.signum = None

    def __enter__(self):
        import signal
        import threading

        self.previous = {}
        if threading.current_thread() is threading.main_thread():
            for name in self.SIGNALS:
                number = getattr(signal, name)
                self.previous[number] = signal.signal(number, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.signum is not None:
            self.signum = signum
            self.check()
        self.signum = signum

    def check(self):
        import signal

        if self.signum == signal.SIGINT:
            raise KeyboardInterrupt
        if self.signum is not None:
            raise SystemExit(128 + self.signum)

    def __exit__(self, *exc):
        import signal

        for number, handler in self.previous.items():
            signal.signal(number, handler)
        if exc[0] is None:
            self.check()  # a signal during the last batch still stops the caller
        return False


class _Epochs(keras.callbacks.Callback):
    """The trainer's bookkeeping inside `fit`: progress per batch and per epoch, the history,
    a NaN check after every epoch, and the interrupt check before every batch."""

    def __init__(self, progress, interrupted, recipe, steps):
        super().__init__()
        self.progress, self.interrupted, self.recipe, self.steps = (
            progress,
            interrupted,
            recipe,
            steps,
        )
        self.history = {}

    def on_epoch_begin(self, epoch, logs=None):
        self.progress.start_epoch(epoch, self.steps)

    def on_train_batch_begin(self, batch, logs=None):
        self.interrupted.check()
        self.progress.on_train_batch_begin(batch, logs)

    def on_test_begin(self, logs=None):
        self.progress.on_test_begin(logs)

    def on_test_batch_begin(self, batch, logs=None):
        self.interrupted.check()

    def on_epoch_end(self, epoch, logs=None):
        logs = {key: float(value) for key, value in (logs or {}).items()}
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        self.progress.end_epoch(logs)
        if not math.isfinite(logs["loss"]):
            raise TrainingError(
                f"The training loss became {logs['loss']} in epoch {epoch + 1}: the learning "
                f"rate is probably too high for this model. Lower it and train again. "
                f"Received: learning_rate={self.recipe.learning_rate:g}"
            )


@dataclass
class TrainingRun:
    """What `train` produced: the history per epoch (training and validation losses and
    accuracies), the recipe, and how long it took."""

    history: dict
    recipe: object
    seconds: float
    images_per_second: float
    trained: int
    held_out: int
    devices: int = 1

    @property
    def epochs(self):
        return self.recipe.epochs

    @property
    def batch_size(self):
        return self.recipe.batch_size

    @property
    def steps(self):
        """Optimizer steps (iterations) in the whole run."""
        return self.recipe.epochs * math.ceil(self.trained / self.recipe.batch_size)


def _arrays(data):
    """(x, y) from a `data.Dataset`'s training split or an (x, y) pair, checked."""
    x, y = (data.x_train, data.y_train) if hasattr(data, "x_train") else data
    x, y = np.asarray(x), np.asarray(y).reshape(-1)
    if len(x) != len(y):
        raise ValueError(
            f"The images and labels differ in number. Received: {len(x):,} images and "
            f"{len(y):,} labels"
        )
    if not len(x):
        raise ValueError("There is nothing to train on. Received: 0 images")
    if np.issubdtype(x.dtype, np.floating):
        bad = int(x.size - np.count_nonzero(np.isfinite(x)))
        if bad:
            raise ValueError(
                f"The images hold {bad:,} pixel values that are NaN or infinite; training on them "
                f"gives a NaN loss. Received: images of shape {x.shape}"
            )
    return x, y


def _epoch_arrays(x, y, rng, recipe, out=None):
    """One epoch's images and labels: shuffled (into `out`, when given, to reuse its memory),
    then flipped and shifted in place."""
    order = rng.permutation(len(x))
    images = np.take(x, order, axis=0, out=out)
    return flip_and_shift(images, rng, recipe.flip, recipe.shift, in_place=True), y[order]


def train(model, data, recipe, seed=0, validation=None, verbose=True, callbacks=(), devices=None):
    """Train `model` on `data` with `recipe`; return a `TrainingRun`.

    - `data` is a `data.Dataset` (its training split is used) or an (x, y) pair of arrays. The
      last `recipe.validation_split` share is held out, to choose recipes on, unless
      `validation` gives the held-out (x, y) itself; the test set is never touched here. What
      trains is cut to whole batches (`split`).
    - The schedule is sized from the images trained on: epochs x whole batches.
    - The loss follows the model's output (probabilities, logits or RBF penalties), one per output
      with `recipe.output_weights` when there are several; an accuracy per output.
    - With augmentation, each epoch's images are shuffled, flipped and shifted
      (`augment.flip_and_shift`; on a background thread while the previous epoch trains, where a
      GPU trains); without it, the images are used as they are (no copy) and `fit` shuffles them. `seed` fixes the
      order and the augmentation (it reseeds Keras, not the model's weights, which exist).
    - Progress shows within each epoch (`progress.Progress`); each epoch leaves one line.
    - A NaN loss stops the run with `TrainingError`; Ctrl-C stops it with KeyboardInterrupt
      within one batch.
    - `devices` ("all" or a number) trains data-parallel over that many devices
      (`distributed.train_data_parallel`): the same run, each batch of `recipe.batch_size` (the
      global batch) split evenly over them. None (the default) is the one-device run, as it was.
    - `data` may also be a `pipeline.ImageFolder` (JPEG files, such as ImageNet's, decoded and
      augmented by tf.data), with `validation` another one (`pipeline.train_on_files`).
    """
    if devices is not None:
        from .distributed import train_data_parallel

        return train_data_parallel(model, data, recipe, devices, seed=seed, validation=validation,
                                   verbose=verbose, callbacks=callbacks)  # fmt: skip
    if hasattr(data, "batches"):
        from .pipeline import train_on_files

        return train_on_files(model, data, recipe, seed, validation, verbose, callbacks)
    x, y = _arrays(data)
    if validation is None:
        trained, held = split(len(x), recipe.batch_size, recipe.validation_split)
    else:
        validation = _arrays(validation)
        trained, held = split(len(x), recipe.batch_size, 0.0)[0], len(validation[0])
    steps = math.ceil(trained / recipe.batch_size)
    compile_for(model, recipe, steps * recipe.epochs)
    n_outputs = len(model.outputs)

    def targets(labels):
        return labels if n_outputs == 1 else tuple(labels for _ in range(n_outputs))

    if validation is None and held:
        validation = (x[trained : trained + held], y[trained : trained + held])
    if validation is not None:
        validation = (validation[0], targets(validation[1]))
    set_seed(seed)
    progress = Progress(recipe.epochs, kind=None if verbose else "silent")
    fit = partial(model.fit, batch_size=recipe.batch_size, validation_data=validation, verbose=0)
    started = time.perf_counter()
    with _Interrupted() as interrupted, _new_models_trace_once():
        epochs = _Epochs(progress, interrupted, recipe, steps)
        if recipe.flip or recipe.shift:
            _augmented_epochs(
                fit, x[:trained], y[:trained], targets, recipe, seed, [epochs, *callbacks]
            )
        else:  # one call: no per-epoch copy of the images
            fit(x[:trained], targets(y[:trained]), epochs=recipe.epochs, shuffle=True,
                callbacks=[epochs, *callbacks])  # fmt: skip
    seconds = time.perf_counter() - started
    return TrainingRun(
        epochs.history, recipe, seconds, trained * recipe.epochs / seconds, trained, held
    )


def _augmented_epochs(fit, x, y, targets, recipe, seed, callbacks):
    """One `fit` call per epoch, each on a freshly shuffled and augmented copy of the images.

    With a GPU, the next epoch's copy is made on a background thread while this one trains (the
    CPU is otherwise idle, and a GPU epoch can take less time than the augmentation). On a CPU
    the same cores would do that work anyway, so one buffer is reused, epoch after epoch: one
    copy of the training images in memory, not two (Binder gives 2 GB)."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(seed)
    if accelerator() == "CPU":
        buffer = np.empty_like(x)
        for epoch in range(recipe.epochs):
            x_epoch, y_epoch = _epoch_arrays(x, y, rng, recipe, out=buffer)
            fit(x_epoch, targets(y_epoch), initial_epoch=epoch, epochs=epoch + 1, shuffle=False,
                callbacks=callbacks)  # fmt: skip
        return
    with ThreadPoolExecutor(1) as pool:
        upcoming = pool.submit(_epoch_arrays, x, y, rng, recipe)
        for epoch in range(recipe.epochs):
            x_epoch, y_epoch = upcoming.result()
            if epoch + 1 < recipe.epochs:
                upcoming = pool.submit(_epoch_arrays, x, y, rng, recipe)
            fit(x_epoch, targets(y_epoch), initial_epoch=epoch, epochs=epoch + 1, shuffle=False,
                callbacks=callbacks)  # fmt: skip
            del x_epoch, y_epoch
