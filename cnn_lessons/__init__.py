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
from . import alexnet  # noqa: E402

__version__ = "0.1.0"

MODELS = {
    "lenet5": partial(lenet.lenet5, "paper"),
    "lenet5_softmax": partial(lenet.lenet5, "paper", output="softmax"),
    "lenet5_modern": partial(lenet.lenet5, "modern"),
    # Chapter 2: AlexNet
    "alexnet": partial(alexnet.alexnet, groups=2),
    "alexnet_one_tower": partial(alexnet.alexnet, groups=1),
    "alexnet_cifar": alexnet.alexnet_cifar,
}
