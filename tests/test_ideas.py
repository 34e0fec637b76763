"""The ideas' small computations, each against an independent oracle: Keras's own shapes, the
receptive fields of `arithmetic.layer_table`, Keras's optimizers and the LRN layer."""

import numpy as np
import pytest

from cnn_lessons import alexnet, ideas, lenet
from cnn_lessons.arithmetic import layer_table


def test_conv_output_size_is_the_formula():
    assert ideas.conv_output_size(32, 5) == 28  # LeNet-5's C1
    assert ideas.conv_output_size(227, 11, 4) == 55  # AlexNet's conv1
    assert ideas.conv_output_size(224, 11, 4) == 54  # rounded down: 54.25
    assert ideas.conv_output_size(32, 5, 1, 4) == 32  # "same" at stride 1
    assert ideas.conv_output_size(np.int64(14), 2, 2) == 7


@pytest.mark.parametrize(
    "arguments, message",
    [
        ((4, 5), r"kernel must be at most size \+ padding. Received: size=4, kernel=5, padding=0"),
        ((32, 0), r"Received: kernel=0"),
        ((32, 5, 1, -1), r"Received: padding=-1"),
        ((32.0, 5), r"Received: size=32.0"),
    ],
)
def test_conv_output_size_refuses_bad_input(arguments, message):
    with pytest.raises(ValueError, match=message):
        ideas.conv_output_size(*arguments)


@pytest.mark.parametrize(
    "build", [lambda: lenet.lenet5(), lambda: lenet.lenet5("modern"), alexnet.alexnet_cifar,
              lambda: alexnet.alexnet(input_shape=(224, 224, 3)), lenet.copied_lenet],
)  # fmt: skip
def test_output_sizes_match_keras_and_the_receptive_fields_match_layer_table(build):
    model = build()
    table = layer_table(model).set_index("name")
    sizes = ideas.output_sizes(model)
    assert len(sizes) >= 4
    for row in sizes.itertuples():
        assert table.loc[row.name, "output_shape"][0] == row.output
        assert row.formula.endswith(f"= {row.output}")
    fields = ideas.receptive_fields(model)
    for row in fields.itertuples():
        assert table.loc[row.name, "receptive_field"] == str(row.field)


def test_lenet_sizes_and_fields_step_by_step():
    model = lenet.lenet5()
    sizes = ideas.output_sizes(model)
    assert list(sizes["formula"]) == [
        "(32 + 0 - 5)/1 + 1 = 28", "(28 + 0 - 2)/2 + 1 = 14", "(14 + 0 - 5)/1 + 1 = 10",
        "(10 + 0 - 2)/2 + 1 = 5", "(5 + 0 - 5)/1 + 1 = 1",
    ]  # fmt: skip
    fields = ideas.receptive_fields(model)
    assert list(fields["field"]) == [5, 6, 14, 16, 32, 32]
    assert fields["formula"].iloc[2] == "6 + (5 - 1)*2 = 14"


def test_alexnet_at_224_shows_the_rounding_and_the_cifar_field_exceeds_the_image():
    sizes = ideas.output_sizes(alexnet.alexnet(input_shape=(224, 224, 3))).set_index("name")
    assert sizes.loc["conv1", "formula"] == "floor((224 + 0 - 11)/4) + 1 = 54"
    fields = ideas.receptive_fields(alexnet.alexnet_cifar()).set_index("name")
    assert sizes.loc["conv2", "padding"] == 4  # "same", 5x5
    assert fields.loc["pool5", "field"] == 47 and fields.loc["flatten", "field"] == 63


def _keras_path(optimizer, steps, learning_rate, weight_decay):
    import keras

    w = keras.Variable(np.array([-2.0, -1.5]), dtype="float64")
    if optimizer == "adam":
        opt = keras.optimizers.Adam(learning_rate, weight_decay=weight_decay or None)
    else:
        momentum = 0.9 if optimizer == "momentum" else 0.0
        opt = keras.optimizers.SGD(learning_rate, momentum, weight_decay=weight_decay or None)
    path = [np.array(w.numpy())]
    curvature, target = np.array(ideas.BOWL_CURVATURE), np.array(ideas.BOWL_TARGET)
    for _ in range(steps):
        gradient = curvature * (np.array(w.numpy()) - target)
        opt.apply_gradients([(keras.ops.convert_to_tensor(gradient, "float64"), w)])
        path.append(np.array(w.numpy()))
    return np.array(path)


@pytest.mark.parametrize("optimizer", ideas.OPTIMIZERS)
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_descend_follows_keras_optimizers_step_by_step(optimizer, weight_decay):
    ours = ideas.descend(optimizer, 12, 0.05, weight_decay=weight_decay)
    assert ours.shape == (13, 2)
    # Keras keeps its hyperparameters in float32: agreement to about 1e-6.
    np.testing.assert_allclose(ours, _keras_path(optimizer, 12, 0.05, weight_decay), atol=1e-5)


def test_momentum_gets_closer_than_plain_descent_and_weight_decay_pulls_towards_zero():
    losses = {name: ideas.bowl_loss(ideas.descend(name, 40, 0.02)[-1]) for name in ideas.OPTIMIZERS}
    assert losses["momentum"] < 0.02 < 0.8 < losses["sgd"]
    # The minimum is at (1, 1); with decay the steps settle where decay and gradient balance:
    # lr * wd * w = lr * c * (1 - w) / (1 - momentum), i.e. w = c / (c + wd * (1 - momentum)).
    end = ideas.descend("momentum", 400, 0.05, weight_decay=0.5)[-1]
    curvature = np.array(ideas.BOWL_CURVATURE)
    np.testing.assert_allclose(end, curvature / (curvature + 0.5 * 0.1), rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"optimizer": "rmsprop"}, r"one of \('sgd', 'momentum', 'adam'\). Received: 'rmsprop'"),
        ({"steps": 0}, r"Received: steps=0"),
        ({"learning_rate": 0}, r"Received: learning_rate=0"),
        ({"momentum": 1.0}, r"Received: momentum=1.0"),
    ],
)
def test_descend_refuses_bad_settings(kwargs, message):
    arguments = {"optimizer": "sgd", "steps": 5, "learning_rate": 0.1, **kwargs}
    with pytest.raises(ValueError, match=message):
        ideas.descend(**arguments)


def test_lrn_by_hand_is_the_layer():
    from cnn_lessons.layers import LocalResponseNormalization

    rng = np.random.default_rng(0)
    activations = rng.uniform(0, 60, size=(2, 3, 3, 8)).astype("float32")
    layer = LocalResponseNormalization(**alexnet.LRN)
    np.testing.assert_allclose(ideas.lrn(activations, **alexnet.LRN), layer(activations), rtol=1e-5)
    # Channel 0's window is clipped to channels 0..2: 2 + 1e-4 * (10^2 + 20^2 + 30^2) = 2.14.
    by_hand = 10 / (2 + 1e-4 * (100 + 400 + 900)) ** 0.75
    assert ideas.lrn([10.0, 20.0, 30.0, 40.0])[0] == pytest.approx(by_hand)
    with pytest.raises(ValueError, match="Received: 4"):
        ideas.lrn([1.0], size=4)
