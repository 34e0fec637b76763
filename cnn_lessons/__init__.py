"""cnn-lessons: the five convolutional networks that built modern computer vision, faithful to
their papers and explained by arithmetic.

`MODELS` maps a registered name to its builder; every builder takes keras.applications-style
arguments (`input_shape`, `classes`, ...) and returns a `keras.Model`.

Importing the package imports neither Keras nor TensorFlow (so `cnn-lessons --help` answers at
once); the modules that need Keras import it through `cnn_lessons._keras`, which silences
TensorFlow's start-up lines. In a Jupyter kernel it is imported at once, quietly, so that a
notebook's own `import keras` after `import cnn_lessons` stores no start-up noise either.
"""

import sys

from .registry import MODELS

if "ipykernel" in sys.modules:
    from . import _keras  # noqa: F401

__version__ = "0.1.0"
__all__ = ["MODELS", "load_model"]


def load_model(path):
    """Load a model the course saved, in a fresh process (see `cnn_lessons.runs.load_model`):
    `keras.models.load_model` alone cannot, since it does not know the course's own layers."""
    from .runs import load_model as load

    return load(path)
