"""The shared argument checks, and the one rule every builder and image layer follows: the course
is channels-last, and Keras's global `channels_first` setting is refused with the way back."""

import math
import re
import subprocess
import sys

import keras
import numpy as np
import pytest

from cnn_lessons import alexnet, googlenet, layers, lenet, resnet, vgg
from cnn_lessons.validation import (
    check_activation,
    check_choice,
    check_classifier,
    check_flag,
    check_input_shape,
    check_name,
    check_rate,
    is_integer,
    positive_int,
)


def exactly(message):
    """A pytest `match` pattern for the whole message, character for character."""
    return f"^{re.escape(message)}$"


def test_validation_imports_no_framework():
    code = "import sys, cnn_lessons.validation; print('keras' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


@pytest.mark.parametrize(
    "value, expected",
    [
        (10, True),
        (np.int64(10), True),
        (np.uint8(3), True),
        (True, False),
        (np.bool_(True), False),
        (2.0, False),
        (np.float64(2.0), False),
        ("2", False),
        (None, False),
    ],
)
def test_is_integer(value, expected):
    assert is_integer(value) is expected


def test_positive_int_returns_a_plain_int():
    value = positive_int("classes", np.int64(10))
    assert value == 10 and type(value) is int
    assert type(positive_int("units", np.uint16(7), maximum=7)) is int


@pytest.mark.parametrize(
    "value, kwargs, message",
    [
        (0, {}, "`width` must be an integer >= 1. Received: width=0"),
        ("16", {}, "`width` must be an integer >= 1. Received: width='16'"),
        (16.0, {}, "`width` must be an integer >= 1. Received: width=16.0"),
        (True, {}, "`width` must be an integer >= 1. Received: width=True"),
        (129, {"maximum": 128}, "`width` must be an integer from 1 to 128. Received: width=129"),
        (None, {"minimum": 0}, "`width` must be an integer >= 0. Received: width=None"),
    ],
)
def test_positive_int_refuses(value, kwargs, message):
    with pytest.raises(ValueError, match=exactly(message)):
        positive_int("width", value, **kwargs)


def test_check_rate_accepts_numbers_in_zero_one_and_returns_floats():
    assert check_rate("dropout", 0) == 0.0 and type(check_rate("dropout", 0)) is float
    assert check_rate("dropout", np.float32(0.25)) == 0.25


@pytest.mark.parametrize("value", ["0.3", None, 1.5, 1, -0.1, math.nan, True])
def test_check_rate_refuses(value):
    message = f"`dropout` must be a number in [0, 1). Received: dropout={value!r}"
    with pytest.raises(ValueError, match=exactly(message)):
        check_rate("dropout", value)


def test_check_flag():
    assert check_flag("lrn", np.bool_(False)) is False
    for value in ("yes", "no", 1, 0, None):
        message = f"`lrn` must be True or False. Received: lrn={value!r}"
        with pytest.raises(ValueError, match=exactly(message)):
            check_flag("lrn", value)


def test_check_choice_is_type_strict_and_returns_the_choice():
    depth = check_choice("depth", np.int64(50), (18, 50))
    assert depth == 50 and type(depth) is int
    for value in (2.0, True, "2"):  # 2.0 == 2 and True == 1 in Python, but they are not choices
        message = f"`groups` must be one of 1, 2. Received: groups={value!r}"
        with pytest.raises(ValueError, match=exactly(message)):
            check_choice("groups", value, (1, 2))
    with pytest.raises(ValueError, match=re.escape("Received: aux_heads=1")):
        check_choice("aux_heads", 1, (True, False))


def test_check_activation():
    assert check_activation("activation", "tanh") == "tanh"
    assert check_activation("activation", None) is None
    assert check_activation("activation", keras.activations.relu) is keras.activations.relu
    start = "`classifier_activation` must be an activation Keras knows: a name such as 'relu' or "
    start += "'softmax', a callable, or None (linear)."
    with pytest.raises(
        ValueError,
        match=exactly(
            f"{start} Did you mean 'softmax' or 'log_softmax'? Received: classifier_activation='softmx'"
        ),
    ):
        check_activation("classifier_activation", "softmx")
    with pytest.raises(ValueError, match=exactly(f"{start} Received: classifier_activation=3")):
        check_activation("classifier_activation", 3)


def test_check_classifier_refuses_a_one_unit_softmax():
    classes, activation = check_classifier(np.int64(1), "sigmoid")
    assert (classes, activation) == (1, "sigmoid") and type(classes) is int
    assert check_classifier(1, None) == (1, None)
    message = (
        "A softmax over one output unit is always 1.0: use classes=2 for two classes, or "
        "classifier_activation='sigmoid' (or None for a logit) for one unit. Received: "
        "classes=1, classifier_activation='softmax'"
    )
    with pytest.raises(ValueError, match=exactly(message)):
        check_classifier(1, "softmax")


@pytest.mark.parametrize("name", ["", "a/b", 3, b"net"])
def test_check_name(name):
    assert check_name(None) is None and check_name("net") == "net"
    message = (
        "`name` must be None (the default name) or a non-empty string without '/'. "
        f"Received: name={name!r}"
    )
    with pytest.raises(ValueError, match=exactly(message)):
        check_name(name)


def test_check_input_shape_returns_plain_ints():
    for shape in ([32, 32, 3], np.array([32, 32, 3]), (np.int64(32), 32, np.int32(3))):
        dims = check_input_shape("Net", shape, 32)
        assert dims == (32, 32, 3) and all(type(d) is int for d in dims)


@pytest.mark.parametrize(
    "shape, message",
    [
        (
            (None, None, 3),
            "Net needs a fixed input size, (height, width, channels) with no None: "
            "its layers are sized from it. Received: input_shape=(None, None, 3)",
        ),
        (
            (1, 32, 32, 3),
            "`input_shape` must be (height, width, channels), three positive "
            "integers (one image's shape, without the batch dimension). "
            "Received: input_shape=(1, 32, 32, 3)",
        ),
        (
            (32, 32),
            "`input_shape` must be (height, width, channels), three positive integers. "
            "Received: input_shape=(32, 32)",
        ),
        (
            32,
            "`input_shape` must be (height, width, channels), three positive integers. "
            "Received: input_shape=32",
        ),
        (
            (32.0, 32, 3),
            "`input_shape` must be (height, width, channels), three positive "
            "integers. Received: input_shape=(32.0, 32, 3)",
        ),
        (
            (32, 32, 0),
            "`input_shape` must be (height, width, channels), three positive "
            "integers. Received: input_shape=(32, 32, 0)",
        ),
        (
            (3, 32, 32),
            "Net needs an input of at least 32x32 pixels. The channels go last: "
            "(height, width, channels). Received: input_shape=(3, 32, 32)",
        ),
        (
            [16, 16, 3],
            "Net needs an input of at least 32x32 pixels. Received: input_shape=(16, 16, 3)",
        ),
    ],
)
def test_check_input_shape_refuses(shape, message):
    with pytest.raises(ValueError, match=exactly(message)):
        check_input_shape("Net", shape, 32)


# --- channels-last ------------------------------------------------------------------------------


@pytest.fixture
def channels_first():
    """Keras's global image format set to channels_first for one test, then put back."""
    keras.config.set_image_data_format("channels_first")
    try:
        yield
    finally:
        keras.config.set_image_data_format("channels_last")


def refusal(what):
    return exactly(
        f"{what} is channels-last, (height, width, channels), like every model of the course, "
        "but Keras's image data format is set to 'channels_first'. Switch back with "
        "`keras.config.set_image_data_format('channels_last')`. "
        "Received: keras.config.image_data_format()='channels_first'"
    )


@pytest.mark.parametrize(
    "build, what",
    [
        (lenet.lenet5, "LeNet-5"),
        (lenet.copied_lenet, "The copied LeNet"),
        (alexnet.alexnet, "AlexNet"),
        (alexnet.alexnet_cifar, "The CIFAR AlexNet"),
        (alexnet.copied_alexnet, "The copied AlexNet"),
        (vgg.vgg, "VGG"),
        (vgg.vgg_cifar, "The CIFAR VGG"),
        (vgg.copied_vgg16, "The copied VGG-16"),
        (googlenet.googlenet, "GoogLeNet"),
        (googlenet.googlenet_cifar, "The CIFAR GoogLeNet"),
        (lambda: resnet.resnet(50), "ResNet"),
        (lambda: resnet.resnet_cifar(20), "The CIFAR ResNet"),
        (lambda: resnet.copied_resnet(50), "ResNet"),
        (
            lambda: googlenet.inception_module(
                keras.Input((28, 28, 192)), 64, 96, 128, 16, 32, 32, name="inception_3a"
            ),
            "The inception module inception_3a",
        ),
    ],
)
def test_every_builder_refuses_channels_first(channels_first, build, what):
    with pytest.raises(ValueError, match=refusal(what)):
        build()


@pytest.mark.parametrize(
    "make, what",
    [
        (lambda: layers.Subsampling(2, name="S2"), "Subsampling 'S2'"),
        (lambda: layers.SparseConv2D(lenet.C3_CONNECTIONS, name="C3"), "SparseConv2D 'C3'"),
        (
            lambda: layers.LocalResponseNormalization(name="norm1"),
            "LocalResponseNormalization 'norm1'",
        ),
        (lambda: layers.SubsampleZeroPad(2, 32, name="pad"), "SubsampleZeroPad 'pad'"),
    ],
)
def test_every_image_layer_refuses_channels_first_unless_told(channels_first, make, what):
    with pytest.raises(ValueError, match=refusal(what)):
        make()


def test_saved_models_load_and_compute_the_same_under_channels_first(tmp_path):
    """The custom layers save data_format='channels_last' (as Keras's own layers do), so a
    model saved in the course loads and predicts identically whatever the global setting."""
    model = lenet.lenet5("paper")
    x = np.random.default_rng(0).uniform(size=(2, 32, 32, 1)).astype("float32")
    model.save(tmp_path / "lenet.keras")
    keras.config.set_image_data_format("channels_first")
    try:
        loaded = keras.models.load_model(tmp_path / "lenet.keras")
        got = np.asarray(loaded(x))
    finally:
        keras.config.set_image_data_format("channels_last")
    np.testing.assert_array_equal(got, np.asarray(model(x)))


def test_an_image_layer_refuses_another_data_format():
    message = (
        "SubsampleZeroPad 'pad' works on channels-last tensors only: `data_format` must be "
        "'channels_last' or None. Received: data_format='channels_first'"
    )
    with pytest.raises(ValueError, match=exactly(message)):
        layers.SubsampleZeroPad(2, data_format="channels_first", name="pad")
