"""What both benchmarks share: the chapters' models and data from the course table, and a record
of the machine a number was measured on."""

import platform
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cnn_lessons import MODELS, course, data, training  # noqa: E402
from cnn_lessons._keras import keras  # noqa: E402
from cnn_lessons.precision import cpu_name, onednn  # noqa: E402


def chapter_names(text):
    """'01_lenet5,05_resnet' or '1,5' (or 'all') -> the course table's chapter keys: the chapters
    that train one main model with their own recipe, on a validation share (chapter 6's contest
    trains five networks on all their images, and is measured by its own notebook)."""
    keys = [key for key, plan in course.CHAPTERS.items() if plan.recipe("cpu").validation_split]
    if text == "all":
        return keys
    chosen = []
    for part in text.split(","):
        found = [k for k in keys if k == part or k.split("_")[0].lstrip("0") == part.lstrip("0")]
        if not found:
            raise SystemExit(f"unknown chapter {part!r}; choose from {', '.join(keys)} or 'all'")
        chosen += found
    return chosen


def chapter_data(key, n_train, n_test=None, seed=0):
    """A chapter's dataset: `n_train` training images (and `n_test` test images), prepared as
    the chapter's notebook prepares them."""
    plan = course.CHAPTERS[key]
    pad = 32 if plan.dataset == "mnist" else None
    dataset = data.load(plan.dataset, n_train, n_test or 100, seed=seed, pad_to=pad)
    if key == "04_googlenet":
        # Chapter 4 standardizes each colour channel with the training set's statistics (its
        # section 7): without it, its recipe does not start learning in a short run.
        mean, std = dataset.x_train.mean(axis=(0, 1, 2)), dataset.x_train.std(axis=(0, 1, 2))
        for images in (dataset.x_train, dataset.x_test):
            images -= mean
            images /= std
    return dataset


def chapter_model(key, seed=0):
    """The chapter's main model (the first of its plan's models), freshly built."""
    training.set_seed(seed)
    return MODELS[course.CHAPTERS[key].models[0]]()


def machine(mode):
    """Where and with what a number was measured."""
    return {
        "backend": keras.backend.backend(), "keras": keras.__version__, "device": mode.device,
        "cpu": cpu_name(), "precision": mode.precision, "python": platform.python_version(),
        "platform": platform.platform(), "date": time.strftime("%Y-%m-%d"), "onednn": onednn(),
    }  # fmt: skip


def peak_memory_mib():
    """Peak resident memory of this process, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class EpochClock(keras.callbacks.Callback):
    """Per epoch of a `training.train` run: the seconds of its training steps (validation, if
    any, not counted) and its logs."""

    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.started, self.stopped = time.perf_counter(), None

    def on_test_begin(self, logs=None):
        self.stopped = self.stopped or time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = (self.stopped or time.perf_counter()) - self.started
        self.epochs.append((seconds, dict(logs or {})))
