"""cnn-lessons: the five convolutional networks that built modern computer vision, faithful to
their papers and explained by arithmetic.

`MODELS` maps a registered name to its builder; every builder takes keras.applications-style
arguments (`input_shape`, `classes`, ...) and returns a `keras.Model`. Importing the package
imports neither Keras nor TensorFlow: the modules that need them do (`cnn_lessons._keras`).
"""

from .registry import MODELS

__version__ = "0.1.0"
__all__ = ["MODELS"]
