"""cnn-lessons: the five convolutional networks that built modern computer vision, faithful to
their papers and explained by arithmetic.

`MODELS` maps a registered name to its builder; every builder takes keras.applications-style
arguments (`input_shape`, `classes`, ...) and returns a `keras.Model`.
"""

import os
import sys
from functools import partial

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _import_keras_quietly():
    """Import Keras (and so TensorFlow) with the process's stderr silenced.

    TensorFlow 2.21 writes start-up notes (oneDNN, CUDA probing) to file descriptor 2 before its
    logging is configured, so TF_CPP_MIN_LOG_LEVEL cannot hide them, and Jupyter would store them
    in every notebook's first output. Python errors still surface: they are raised after stderr
    is restored.
    """
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


_import_keras_quietly()

from . import alexnet, googlenet, lenet, resnet, vgg  # noqa: E402

__version__ = "0.1.0"

MODELS = {
    # Chapter 1: LeNet-5 (LeCun et al. 1998), the paper network with either output, and modern.
    "lenet5": partial(lenet.lenet5, "paper"),
    "lenet5_softmax": partial(lenet.lenet5, "paper", output="softmax"),
    "lenet5_modern": partial(lenet.lenet5, "modern"),
    # Chapter 2: AlexNet (Krizhevsky et al. 2012), two towers as published, one tower, CIFAR-10.
    "alexnet": partial(alexnet.alexnet, groups=2),
    "alexnet_one_tower": partial(alexnet.alexnet, groups=1),
    "alexnet_cifar": alexnet.alexnet_cifar,
    # Chapter 3: VGG (Simonyan and Zisserman 2014), configurations A, B, D, E at 224x224.
    "vgg11": vgg.vgg11,
    "vgg13": vgg.vgg13,
    "vgg16": vgg.vgg16,
    "vgg19": vgg.vgg19,
    "vgg_cifar": vgg.vgg_cifar,
    # Chapter 4: GoogLeNet (Szegedy et al. 2014) and its CIFAR-10 adaptation, with and without
    # the auxiliary classifiers.
    "googlenet": googlenet.googlenet,
    "googlenet_aux": partial(googlenet.googlenet, aux_heads=True),
    "googlenet_cifar": googlenet.googlenet_cifar,
    "googlenet_cifar_aux": partial(googlenet.googlenet_cifar, aux_heads=True),
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
