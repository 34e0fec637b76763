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
from . import resnet  # noqa: E402

__version__ = "0.1.0"

MODELS = {
    "lenet5": partial(lenet.lenet5, "paper"),
    "lenet5_softmax": partial(lenet.lenet5, "paper", output="softmax"),
    "lenet5_modern": partial(lenet.lenet5, "modern"),
    # Chapter 5: ResNet (He et al. 2015), ImageNet (Table 1) and CIFAR-10 (section 4.2) families.
    "resnet18": resnet.resnet18,
    "resnet34": resnet.resnet34,
    "resnet50": resnet.resnet50,
    "resnet101": resnet.resnet101,
    "resnet152": resnet.resnet152,
    "resnet20": partial(resnet.resnet_cifar, 20),
    "resnet32": partial(resnet.resnet_cifar, 32),
    "resnet44": partial(resnet.resnet_cifar, 44),
    "resnet56": partial(resnet.resnet_cifar, 56),
    "resnet110": partial(resnet.resnet_cifar, 110),
    "plain20": partial(resnet.resnet_cifar, 20, plain=True),
    "plain56": partial(resnet.resnet_cifar, 56, plain=True),
}
