"""Keras, imported once with TensorFlow's start-up lines silenced.

Every module of the package that needs Keras takes it from here (`from ._keras import keras`), so
that importing `cnn_lessons` itself stays free of Keras and TensorFlow: `cnn-lessons --help`
answers at once instead of after several seconds of imports.

TensorFlow 2.21 writes start-up notes (oneDNN, CUDA probing) to file descriptor 2 before its
logging is configured, so TF_CPP_MIN_LOG_LEVEL cannot hide them, and Jupyter would store them in
every notebook's first output. Python errors still surface: they are raised after stderr is back.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _import_quietly():
    if "keras" in sys.modules or os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        return
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (some embedded interpreters): nothing to silence
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import keras  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_import_quietly()

import keras  # noqa: E402
from keras import layers, ops  # noqa: E402

__all__ = ["keras", "layers", "ops"]
