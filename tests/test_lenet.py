import re

import keras
import numpy as np
import pytest

from cnn_lessons import references
from cnn_lessons.arithmetic import layer_table, totals
from cnn_lessons.layers import SparseConv2D, Subsampling, lecun_tanh
from cnn_lessons.lenet import C3_CONNECTIONS, copied_lenet, lenet5, rbf_centers

PAPER_LAYERS = ["C1", "S2", "C3", "S4", "C5", "F6"]


def counts(model):
    return {layer.name: layer.count_params() for layer in model.layers}


def test_paper_variant_has_the_papers_counts_per_layer():
    model = lenet5("paper")
    got = counts(model)
    assert {name: got[name] for name in PAPER_LAYERS} == references.LENET5["params"]
    assert sum(got[name] for name in PAPER_LAYERS) == 60_000
    sums = totals(layer_table(model))
    assert sums == {"params": 60_840, "trainable": 60_000, "non_trainable": 840, "macs": 328_096}


def test_paper_variant_output_shapes_and_names():
    model = lenet5("paper")
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}
    assert shapes == {
        "input": (32, 32, 1), "normalize": (32, 32, 1), "C1": (28, 28, 6), "S2": (14, 14, 6),
        "C3": (10, 10, 16), "S4": (5, 5, 16), "C5": (1, 1, 120), "flatten": (120,),
        "F6": (84,), "output": (10,),
    }  # fmt: skip
    assert [type(model.get_layer(n)).__name__ for n in ("S2", "C3", "output")] == [
        "Subsampling",
        "SparseConv2D",
        "EuclideanRBF",
    ]


def test_rbf_output_is_fixed_and_softmax_output_is_offered():
    model = lenet5("paper")
    assert model.get_layer("output").trainable_weights == []
    np.testing.assert_array_equal(model.get_layer("output").get_weights()[0], rbf_centers())
    softmax = lenet5("paper", output="softmax")
    assert softmax.get_layer("output").count_params() == 850
    assert counts(softmax)["C3"] == 1_516


def test_modern_variant_counts():
    model = lenet5("modern")
    assert model.count_params() == 61_706
    assert counts(model) == {
        "input": 0, "normalize": 0, "C1": 156, "S2": 0, "C3": 2_416, "S4": 0, "C5": 48_120,
        "flatten": 0, "F6": 10_164, "output": 850,
    }  # fmt: skip


def test_copied_lenet_is_another_network():
    assert copied_lenet().count_params() == references.COPIED_LENET_PARAMS


def test_c3_connection_table_is_table_one():
    sizes = [len(inputs) for inputs in C3_CONNECTIONS]
    assert sizes == [3] * 6 + [4] * 9 + [6]
    assert sum(sizes) == 60
    assert all(len(set(inputs)) == len(inputs) for inputs in C3_CONNECTIONS)
    # maps 0-5 see 3 contiguous maps, 6-11 see 4 contiguous, 12-14 see 4 with a gap
    for j in range(12):
        start, width = j % 6, 3 if j < 6 else 4
        assert set(C3_CONNECTIONS[j]) == {(start + k) % 6 for k in range(width)}
    for j in range(12, 15):
        assert not any(set(C3_CONNECTIONS[j]) == {(s + k) % 6 for k in range(4)} for s in range(6))


def test_sparse_conv_equals_a_dense_conv_with_a_masked_kernel():
    layer = SparseConv2D(C3_CONNECTIONS, 5)
    x = np.random.default_rng(0).normal(size=(2, 14, 14, 6)).astype("float32")
    y = np.asarray(layer(x))
    kernel = np.asarray(layer.full_kernel())
    mask = np.zeros((6, 16), bool)
    for out_map, inputs in enumerate(C3_CONNECTIONS):
        mask[list(inputs), out_map] = True
    assert np.all(kernel[:, :, ~mask] == 0) and np.all(kernel[:, :, mask] != 0)
    dense = keras.layers.Conv2D(16, 5)
    dense.build((None, 14, 14, 6))
    dense.set_weights([kernel, np.asarray(layer.bias)])
    np.testing.assert_allclose(y, np.asarray(dense(x)), rtol=1e-5, atol=1e-5)


def test_subsampling_sums_each_2x2_window_then_scales_and_shifts():
    layer = Subsampling(2)
    x = np.random.default_rng(1).normal(size=(1, 4, 6, 3)).astype("float32")
    layer.build(x.shape)
    layer.set_weights([np.array([2.0, -1.0, 0.5], "float32"), np.array([0.1, 0.2, 0.3], "float32")])
    sums = x.reshape(1, 2, 2, 3, 2, 3).sum(axis=(2, 4))
    np.testing.assert_allclose(
        np.asarray(layer(x)), sums * [2.0, -1.0, 0.5] + [0.1, 0.2, 0.3], atol=1e-5
    )


def test_lecun_tanh_maps_plus_minus_one_to_itself():
    values = np.asarray(lecun_tanh(np.array([-1.0, 0.0, 1.0], "float32")))
    np.testing.assert_allclose(values, [-1.0, 0.0, 1.0], atol=1e-4)
    assert abs(float(lecun_tanh(np.float32(100.0))) - 1.7159) < 1e-4


@pytest.mark.parametrize("variant", ["paper", "modern"])
def test_save_and_load_gives_identical_predictions(tmp_path, variant):
    model = lenet5(variant)
    x = np.random.default_rng(2).uniform(size=(4, 32, 32, 1)).astype("float32")
    path = tmp_path / f"{variant}.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(np.asarray(model(x)), np.asarray(loaded(x)))
    assert counts(loaded) == counts(model)


def test_larger_inputs_and_other_class_counts_build():
    model = lenet5("modern", input_shape=(36, 36, 3), classes=5)
    assert model.output.shape[-1] == 5
    assert tuple(model.get_layer("C5").output.shape[1:]) == (
        2,
        2,
        120,
    )  # 36 -> 32 -> 16 -> 12 -> 6 -> 2


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"input_shape": (28, 28, 1)}, "at least 32x32"),
        ({"input_shape": (32, 32)}, "(height, width, channels)"),
        ({"classes": 0}, "classes=0"),
        ({"classes": 2.5}, "classes=2.5"),
        ({"variant": "lenet4"}, "variant='lenet4'"),
        ({"variant": "modern", "output": "rbf"}, "output='rbf'"),
        ({"classes": 26}, "classes=26"),
    ],
)
def test_bad_arguments_raise_value_error_with_what_was_received(kwargs, message):
    with pytest.raises(ValueError, match="Received") as error:
        lenet5(**kwargs)
    assert message in str(error.value)


# --- Arguments a learner would pass ----------------------------------------------------------


def test_numpy_integers_build_the_same_networks():
    labels = np.array([3, 9, 0])  # classes = labels.max() + 1 is a NumPy integer
    modern = lenet5("modern", input_shape=np.array([32, 32, 1]), classes=labels.max() + 1)
    assert modern.count_params() == 61_706
    assert type(modern.get_layer("output").units) is int
    assert lenet5("paper", classes=np.int64(10)).count_params() == 60_840
    softmax = lenet5("paper", output="softmax", classes=np.int32(26))
    assert softmax.get_layer("output").count_params() == (84 + 1) * 26
    assert copied_lenet(input_shape=[32, 32, 1], classes=np.int64(10)).count_params() == (
        references.COPIED_LENET_PARAMS
    )


RBF_HAS_NO_ACTIVATION = (
    "The RBF output has no activation: its outputs are penalties, the smallest wins. Leave "
    "`classifier_activation` at its default, or use output='softmax' for a dense output with an "
    "activation. Received: classifier_activation="
)


@pytest.mark.parametrize("activation", ["softmx", None, "linear", "sigmoid"])
def test_the_rbf_output_refuses_a_classifier_activation(activation):
    with pytest.raises(ValueError, match=re.escape(f"{RBF_HAS_NO_ACTIVATION}{activation!r}")):
        lenet5("paper", classifier_activation=activation)
    with pytest.raises(ValueError, match=re.escape(f"{RBF_HAS_NO_ACTIVATION}{activation!r}")):
        lenet5("paper", output="rbf", classifier_activation=activation)


def test_a_dense_output_takes_the_classifier_activation():
    logits = lenet5("paper", output="softmax", classifier_activation=None)
    assert logits.get_layer("output").get_config()["activation"] == "linear"
    assert (
        lenet5("modern", classifier_activation="sigmoid")
        .get_layer("output")
        .get_config()["activation"]
        == "sigmoid"
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"variant": "modern", "classifier_activation": "softmx"},
            "Did you mean 'softmax' or 'log_softmax'? Received: classifier_activation='softmx'",
        ),
        (
            {"variant": "Paper"},
            "`variant` must be one of 'paper', 'modern'. Received: variant='Paper'",
        ),
        ({"output": ""}, "`output` must be one of 'rbf', 'softmax'. Received: output=''"),
        ({"output": "RBF"}, "`output` must be one of 'rbf', 'softmax'. Received: output='RBF'"),
        (
            {"variant": "modern", "output": "rbf"},
            "`output` must be one of 'softmax'. Received: output='rbf'",
        ),
        (
            {"classes": 26},
            "The RBF output has parameter vectors for the 10 digits only; use "
            "output='softmax' for another number of classes. Received: classes=26",
        ),
        ({"classes": 10.0}, "for another number of classes. Received: classes=10.0"),
        (
            {"variant": "modern", "classes": 1},
            "A softmax over one output unit is always 1.0: use classes=2 for two classes",
        ),
        (
            {"variant": "modern", "classes": "10"},
            "`classes` must be an integer >= 1. Received: classes='10'",
        ),
        (
            {"input_shape": [32, 32, None]},
            "LeNet-5 needs a fixed input size, (height, width, "
            "channels) with no None: its layers are sized from it. Received: input_shape=[32, 32, None]",
        ),
        (
            {"input_shape": (1, 32, 32)},
            "LeNet-5 needs an input of at least 32x32 pixels. The "
            "channels go last: (height, width, channels). Received: input_shape=(1, 32, 32)",
        ),
        (
            {"input_shape": (1, 32, 32, 1)},
            "three positive integers (one image's shape, without the "
            "batch dimension). Received: input_shape=(1, 32, 32, 1)",
        ),
        (
            {"name": ""},
            "`name` must be None (the default name) or a non-empty string without '/'. "
            "Received: name=''",
        ),
    ],
)
def test_wrong_values_get_the_packages_error(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        lenet5(**kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"classes": 1}, "A softmax over one output unit is always 1.0"),
        (
            {"classes": np.float64(10)},
            # repr(np.float64(10)) is "np.float64(10.0)" from numpy 2, "10.0" before (the floor)
            f"`classes` must be an integer >= 1. Received: classes={np.float64(10)!r}",
        ),
        ({"input_shape": (3, 3, 1)}, "The copied LeNet needs an input of at least 4x4 pixels."),
    ],
)
def test_the_copied_lenets_wrong_values(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        copied_lenet(**kwargs)
