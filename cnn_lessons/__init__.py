"""cnn-lessons: the five convolutional networks that built modern computer vision, faithful to
their papers and explained by arithmetic.

`MODELS` maps a registered name to its builder; every builder takes keras.applications-style
arguments (`input_shape`, `classes`, ...) and returns a `keras.Model`.

Importing the package imports neither Keras nor TensorFlow (so `cnn-lessons --help` answers at
once); the modules that need Keras import it through `cnn_lessons._keras`, which silences
TensorFlow's start-up lines. In a Jupyter kernel it is imported at once, quietly, so that a
notebook's own `import keras` after `import cnn_lessons` stores no start-up noise either.
"""

import os
import sys

# TensorFlow turns its oneDNN kernels on by itself only on CPUs with AVX-512 VNNI/BF16 or AMX. On
# a 2-core AMD EPYC with AVX2 alone they trained the CIFAR chapters' networks 1.4-1.8x faster than
# its default kernels (benchmarks/RESULTS.md, "oneDNN"); where TensorFlow already uses them this
# changes nothing. Read once, when TensorFlow is imported, so it is set here, before any import of
# Keras; an explicit TF_ENABLE_ONEDNN_OPTS=0 in the environment is respected.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

from .registry import MODELS  # noqa: E402

if "ipykernel" in sys.modules:
    from . import _keras  # noqa: F401

__version__ = "0.1.0"
__all__ = ["MODELS", "load_model"]


def load_model(path):
    """Load a model the course saved, in a fresh process (see `cnn_lessons.runs.load_model`):
    `keras.models.load_model` alone cannot, since it does not know the course's own layers."""
    from .runs import load_model as load

    return load(path)
