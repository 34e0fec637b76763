"""Saving a trained model with its JSON record, so that the two always belong together, and
loading it back in a fresh process.

`save` writes both under unique hidden temporary names, then renames them into place one after
the other while holding a lock on the folder, with SIGINT and SIGTERM held back: a second run
into the same folder waits for the first, and an interrupt can neither split the pair nor leave
a temporary file behind. The record carries the model file's SHA-256, so `load` can tell a
model that does not belong to its record.
"""

import contextlib
import hashlib
import json
import os
import signal
import threading
from pathlib import Path

from .files import temporary_file

LOAD_HINT = "import cnn_lessons; model = cnn_lessons.load_model({path!r})"


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def _signals_held():
    """Hold SIGINT and SIGTERM back (delivered when the block ends), in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextlib.contextmanager
def _locked(folder):
    """An exclusive lock on the folder itself (no lock file is left behind)."""
    import fcntl

    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def save(model, record, folder, stem):
    """Save `model` as `<folder>/<stem>.keras` and `record` (a dict, made JSON-safe by the
    caller) as `<folder>/<stem>.json`, together. Returns the two paths."""
    folder = Path(folder)
    model_path, record_path = folder / f"{stem}.keras", folder / f"{stem}.json"
    temporary = []
    try:
        with _signals_held():  # an interrupt now would leave the temporary files unnamed
            model_tmp = temporary_file(folder, stem, ".keras")
            temporary.append(model_tmp)
            record_tmp = temporary_file(folder, stem, ".json")
            temporary.append(record_tmp)
        model.save(model_tmp)
        record = {
            **record,
            "model_file": model_path.name,
            "model_sha256": sha256(model_tmp),
            "load_with": LOAD_HINT.format(path=str(model_path)),
        }
        record_tmp.write_text(json.dumps(record, indent=1, allow_nan=False) + "\n")
        with _locked(folder), _signals_held():
            os.replace(model_tmp, model_path)
            os.replace(record_tmp, record_path)
    finally:
        for path in temporary:
            path.unlink(missing_ok=True)
    return model_path, record_path


def load_model(path):
    """Load a model the course saved (`cnn-lessons train`, a notebook's `model.save`), in any
    process: the course's own layers, losses and schedules are registered first.

    `path` is the `.keras` file, or the `.json` record `cnn-lessons train` wrote beside it, in
    which case the model file is checked against the record's SHA-256.
    """
    from . import layers, training  # noqa: F401  (registers the custom objects)
    from ._keras import keras

    path = Path(path)
    if path.suffix == ".json":
        record = json.loads(path.read_text())
        model_path = path.with_name(record["model_file"])
        if "model_sha256" in record and sha256(model_path) != record["model_sha256"]:
            raise ValueError(
                f"{model_path} is not the model that {path} describes (its SHA-256 differs): "
                f"it was replaced after the record was written. Train again, or load the "
                f".keras file itself. Received: {path}"
            )
        path = model_path
    return keras.saving.load_model(path)
