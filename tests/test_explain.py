"""The demonstrations of chapters 3 and 4, against independent oracles: the definitions they
illustrate, small models whose answers are known exactly, and their errors."""

import keras
import numpy as np
import pytest
from keras import layers

from cnn_lessons import explain

RNG = np.random.default_rng(0)


def batch_norm(channels=4, dtype=None):
    inputs = keras.Input((5, 5, channels))
    layer = layers.BatchNormalization(name="bn", dtype=dtype)
    keras.Model(inputs, layer(inputs))
    gamma, beta = RNG.uniform(0.5, 2, channels), RNG.normal(size=channels)
    mean, variance = RNG.normal(size=channels), RNG.uniform(0.5, 2, channels)
    layer.set_weights([gamma, beta, mean, variance])
    return layer


def test_batch_norm_by_hand_matches_keras_in_both_modes_and_leaves_the_statistics_alone():
    layer = batch_norm()
    x = RNG.normal(3.0, 2.0, size=(16, 5, 5, 4)).astype("float32")
    saved = [w.copy() for w in layer.get_weights()]
    table = explain.batch_norm_by_hand(layer, x)
    assert list(table.index) == ["training (batch statistics)", "inference (moving statistics)"]
    assert table["agree"].all(), table
    assert (table["max |by hand - Keras|"] < 1e-5 * table["largest |output|"]).all()
    for before, after in zip(saved, layer.get_weights()):  # a trained model is never changed
        np.testing.assert_array_equal(before, after)


def test_batch_norm_training_mode_is_the_definition():
    # In training mode each channel comes out with mean beta and standard deviation ~gamma,
    # whatever the input's scale: the oracle is the definition, not the formula again.
    layer = batch_norm(channels=3)
    x = RNG.normal(10.0, 7.0, size=(32, 5, 5, 3)).astype("float32")
    out = np.asarray(layer(x, training=True))
    gamma, beta = np.asarray(layer.gamma), np.asarray(layer.beta)
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), beta, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), gamma, rtol=1e-3)
    table = explain.batch_norm_by_hand(batch_norm(channels=3), x)
    assert table.loc["training (batch statistics)", "output std"] == pytest.approx(
        float(np.sqrt(np.mean(gamma**2))), rel=0.5
    )


def test_batch_norm_in_bfloat16_agrees_within_its_rounding():
    layer = batch_norm(dtype="mixed_bfloat16")
    x = RNG.normal(size=(8, 5, 5, 4)).astype("float32")
    table = explain.batch_norm_by_hand(layer, x)
    assert table["agree"].all(), table
    assert table["max |by hand - Keras|"].max() > 0  # rounded, so not exact


def test_batch_norm_parameters_two_trainable_two_not():
    layer = batch_norm(channels=6)
    x = RNG.normal(size=(4, 5, 5, 6)).astype("float32")
    table = explain.batch_norm_parameters(layer, x)
    assert table.shape == (6, 6)
    assert [c for c in table.columns if "(trainable)" in c] == [
        "gamma (trainable)",
        "beta (trainable)",
    ]
    np.testing.assert_allclose(table["batch mean"], x.mean(axis=(0, 1, 2)), rtol=1e-6)
    assert len(layer.trainable_weights) == 2 and len(layer.non_trainable_weights) == 2


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: explain.batch_norm_by_hand(layers.Dense(3), np.zeros((2, 3))), "Received: Dense"),
        (
            lambda: explain.batch_norm_by_hand(batch_norm(), np.zeros((2, 5, 5, 3))),
            r"shaped \(n, 5, 5, 4\) for layer 'bn'. Received: shape \(2, 5, 5, 3\)",
        ),
        (
            lambda: explain.pointwise_as_matmul(layers.Conv2D(2, 3), np.zeros((1, 4, 4, 3))),
            r"1x1 convolution with stride 1. Received: .* kernel_size=\(3, 3\)",
        ),
        (lambda: explain.forward_seconds({}, np.zeros(1)), "non-empty dict"),
        (
            lambda: explain.paired_difference([1, 0, 1], [1, 0]),
            "Received: lengths 3 and 2",
        ),
        (
            lambda: explain.occlusion_figure(np.zeros((2, 4, 4, 3)), np.zeros((1, 4, 4)), ["a"]),
            "Received: 2, 1 and 1",
        ),
    ],
)
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_1x1_convolution_is_a_matrix_multiply_at_every_pixel():
    inputs = keras.Input((6, 6, 5))
    conv = layers.Conv2D(3, 1, activation="relu", bias_initializer="random_normal")
    keras.Model(inputs, conv(inputs))
    x = RNG.normal(size=(2, 6, 6, 5)).astype("float32")
    by_conv, by_matmul = explain.pointwise_as_matmul(conv, x)
    assert by_conv.shape == by_matmul.shape == (2, 6, 6, 3)
    np.testing.assert_allclose(by_conv, by_matmul, atol=1e-5)
    # The oracle: one pixel by hand.
    kernel, bias = (np.asarray(w) for w in conv.weights)
    np.testing.assert_allclose(
        by_matmul[1, 2, 3], np.maximum(x[1, 2, 3] @ kernel[0, 0] + bias, 0), atol=1e-6
    )


def test_a_new_1x1_layer_is_built_by_the_demonstration():
    conv = layers.Conv2D(4, 1)
    by_conv, by_matmul = explain.pointwise_as_matmul(conv, RNG.normal(size=(1, 3, 3, 2)))
    np.testing.assert_allclose(by_conv, by_matmul, atol=1e-5)
    assert tuple(conv.kernel.shape) == (1, 1, 2, 4)


def test_forward_seconds_times_every_model():
    inputs = keras.Input((4,))
    models = {"a": keras.Model(inputs, layers.Dense(2)(inputs)), "b": keras.Model(inputs, inputs)}
    seconds = explain.forward_seconds(models, np.zeros((3, 4)), repeats=2)
    assert set(seconds) == {"a", "b"} and all(s > 0 for s in seconds.values())
    with pytest.raises(ValueError, match="`repeats` must be an integer >= 1. Received: repeats=0"):
        explain.forward_seconds(models, np.zeros((3, 4)), repeats=0)


class TopLeftModel:
    """Class 0's probability is the mean of the top-left 4x4 pixels of channel 0."""

    def predict(self, x, batch_size=None, verbose=None):
        p = x[:, :4, :4, 0].mean(axis=(1, 2))
        return np.stack([p, 1 - p], axis=1)


def test_occlusion_finds_the_region_the_model_uses():
    images = np.ones((2, 8, 8, 3), dtype="float32")
    maps, base = explain.occlusion(TopLeftModel(), images, patch=4, stride=4, fill=0.0)
    np.testing.assert_array_equal(base, [1.0, 1.0])  # predicted class 0 with probability 1
    expected = np.zeros((8, 8))
    expected[:4, :4] = 1.0  # hiding the top-left square removes all of class 0's probability
    np.testing.assert_allclose(maps, [expected, expected])
    # Explaining class 1 instead: hiding the top-left raises it, a negative drop.
    maps, base = explain.occlusion(
        TopLeftModel(), images, classes=[1, 1], patch=4, stride=4, fill=0
    )
    np.testing.assert_array_equal(base, [0.0, 0.0])
    np.testing.assert_allclose(maps[0], -expected)


def test_occlusion_averages_overlapping_squares_and_checks_its_arguments():
    images = np.ones((1, 8, 8, 1), dtype="float32")
    maps, _ = explain.occlusion(TopLeftModel(), images, patch=4, stride=2, fill=0.0)
    # Pixel (0, 0) is covered only by the square at (0, 0), which hides all 16 pixels: drop 1.
    assert maps[0, 0, 0] == pytest.approx(1.0)
    # Pixel (7, 7) is covered only by the square at (4, 4), which hides none of them: drop 0.
    assert maps[0, 7, 7] == pytest.approx(0.0)
    with pytest.raises(
        ValueError, match="`patch` must be an integer from 1 to 8. Received: patch=9"
    ):
        explain.occlusion(TopLeftModel(), images, patch=9)
    with pytest.raises(ValueError, match=r"one label per image \(1\). Received: \(2,\)"):
        explain.occlusion(TopLeftModel(), images, classes=[0, 1])
    with pytest.raises(ValueError, match=r"Received: shape \(8, 8, 1\)"):
        explain.occlusion(TopLeftModel(), images[0])


def test_occlusion_figure_shares_one_scale():
    maps = np.stack([np.full((4, 4), 0.5), np.full((4, 4), -0.25)])
    fig = explain.occlusion_figure(np.zeros((2, 4, 4, 3)), maps, ["a", "b"])
    heat = [image for ax in fig.axes[2:4] for image in ax.get_images()[1:]]
    assert [im.get_clim() for im in heat] == [(-0.5, 0.5), (-0.5, 0.5)]
    assert len(fig.axes) == 5  # 2 x 2 panels and the colour bar


def test_paired_difference_and_its_standard_error():
    difference, error = explain.paired_difference([1, 1, 0, 0], [1, 0, 0, 0])
    assert difference == 0.25
    assert error == pytest.approx(0.25)  # std of (0, 1, 0, 0) with ddof 1 is 0.5; / sqrt(4)
