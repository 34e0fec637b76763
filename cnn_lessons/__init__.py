"""cnn-lessons: the five convolutional networks that built modern computer vision, faithful to
their papers and explained by arithmetic.

`MODELS` maps a registered name to its builder; every builder takes keras.applications-style
arguments (`input_shape`, `classes`, ...) and returns a `keras.Model`.
"""

import os

# TensorFlow's C++ start-up chatter would otherwise land in every notebook's first output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from functools import partial  # noqa: E402

from . import lenet  # noqa: E402

__version__ = "0.1.0"

MODELS = {
    "lenet5": partial(lenet.lenet5, "paper"),
    "lenet5_softmax": partial(lenet.lenet5, "paper", output="softmax"),
    "lenet5_modern": partial(lenet.lenet5, "modern"),
}

# Chapter 4: GoogLeNet (Szegedy et al. 2014) and its CIFAR-10 adaptation, with and without the
# auxiliary classifiers.
from . import googlenet  # noqa: E402

MODELS.update(
    {
        "googlenet": googlenet.googlenet,
        "googlenet_aux": partial(googlenet.googlenet, aux_heads=True),
        "googlenet_cifar": googlenet.googlenet_cifar,
        "googlenet_cifar_aux": partial(googlenet.googlenet_cifar, aux_heads=True),
    }
)
