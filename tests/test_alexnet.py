import re

import keras
import numpy as np
import pytest

from cnn_lessons import MODELS, references
from cnn_lessons.alexnet import alexnet, alexnet_cifar, copied_alexnet
from cnn_lessons.arithmetic import layer_table, totals
from cnn_lessons.layers import LocalResponseNormalization

CONVS = ["conv1", "conv2", "conv3", "conv4", "conv5"]
PAPER_NAMES = [
    "input", "conv1", "norm1", "pool1", "conv2", "norm2", "pool2", "conv3", "conv4", "conv5",
    "pool5", "flatten", "fc6", "drop6", "fc7", "drop7", "fc8",
]  # fmt: skip


# The independent oracle: the parameter formulas worked by hand from the paper's Figure 2.
def conv_params(kernel, maps_in, maps_out, groups=1):
    """Each filter sees kernel x kernel x (maps_in / groups) inputs, plus one bias."""
    return (kernel * kernel * maps_in // groups + 1) * maps_out


def dense_params(inputs, units):
    return (inputs + 1) * units


def paper_params(groups):
    return {
        "conv1": conv_params(11, 3, 96),
        "conv2": conv_params(5, 96, 256, groups),
        "conv3": conv_params(3, 256, 384),  # connects across both GPUs
        "conv4": conv_params(3, 384, 384, groups),
        "conv5": conv_params(3, 384, 256, groups),
        "fc6": dense_params(6 * 6 * 256, 4096),
        "fc7": dense_params(4096, 4096),
        "fc8": dense_params(4096, 1000),
    }


def counts(model):
    return {layer.name: layer.count_params() for layer in model.layers}


@pytest.fixture(scope="module")
def paper():
    """The three 61-million-parameter ImageNet models, built once for the whole module."""
    return {
        2: MODELS["alexnet"](),
        1: MODELS["alexnet_one_tower"](),
        "copied": copied_alexnet(),
    }


def test_per_layer_counts_two_towers(paper):
    got = {name: count for name, count in counts(paper[2]).items() if count}
    assert got == paper_params(groups=2)
    assert got == {
        "conv1": 34_944, "conv2": 307_456, "conv3": 885_120, "conv4": 663_936,
        "conv5": 442_624, "fc6": 37_752_832, "fc7": 16_781_312, "fc8": 4_097_000,
    }  # fmt: skip


def test_per_layer_counts_one_tower(paper):
    got = {name: count for name, count in counts(paper[1]).items() if count}
    assert got == paper_params(groups=1)
    assert got == {
        "conv1": 34_944, "conv2": 614_656, "conv3": 885_120, "conv4": 1_327_488,
        "conv5": 884_992, "fc6": 37_752_832, "fc7": 16_781_312, "fc8": 4_097_000,
    }  # fmt: skip


def test_totals_match_the_published_counts(paper):
    for groups, key in ((2, "params_two_towers"), (1, "params_one_tower")):
        model = paper[groups]
        assert model.count_params() == sum(paper_params(groups).values())
        assert model.count_params() == references.ALEXNET[key]
        assert totals(layer_table(model))["trainable"] == references.ALEXNET[key]
    assert references.ALEXNET["params_two_towers"] == 60_965_224
    assert references.ALEXNET["params_one_tower"] == 62_378_344
    # The two towers save half the weights of conv2, conv4 and conv5: 1,413,120 parameters.
    one, two = counts(paper[1]), counts(paper[2])
    saved = {name: one[name] - two[name] for name in CONVS}
    assert saved == {"conv1": 0, "conv2": 307_200, "conv3": 0, "conv4": 663_552, "conv5": 442_368}
    assert sum(saved.values()) == 62_378_344 - 60_965_224


def test_fc6_holds_about_62_percent_of_the_parameters(paper):
    fc6 = paper[2].get_layer("fc6").count_params()
    assert fc6 == references.ALEXNET["params_fc6"] == 37_752_832
    assert round(fc6 / paper[2].count_params(), 2) == round(references.ALEXNET["fc6_share"], 2)
    assert round(references.ALEXNET["fc6_share"], 2) == 0.62


def test_multiply_accumulates_live_in_the_convolutions(paper):
    table = layer_table(paper[2]).set_index("name")
    by_hand = {
        "conv1": 55 * 55 * 96 * 11 * 11 * 3,
        "conv2": 27 * 27 * 256 * 5 * 5 * 48,
        "conv3": 13 * 13 * 384 * 3 * 3 * 256,
        "conv4": 13 * 13 * 384 * 3 * 3 * 192,
        "conv5": 13 * 13 * 256 * 3 * 3 * 192,
        "fc6": 9216 * 4096,
        "fc7": 4096 * 4096,
        "fc8": 4096 * 1000,
    }
    assert {name: table.loc[name, "macs"] for name in by_hand} == by_hand
    assert totals(layer_table(paper[2]))["macs"] == sum(by_hand.values()) == 724_406_816
    # The five convolutions do 92% of the work with 3.8% of the parameters.
    conv_macs = sum(by_hand[name] for name in CONVS) / sum(by_hand.values())
    conv_weights = sum(table.loc[name, "params"] for name in CONVS) / paper[2].count_params()
    assert (round(conv_macs, 3), round(conv_weights, 3)) == (0.919, 0.038)


def test_output_shapes_at_227(paper):
    for model in (paper[1], paper[2]):
        shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}
        assert shapes == {
            "input": (227, 227, 3),
            "conv1": (55, 55, 96), "norm1": (55, 55, 96), "pool1": (27, 27, 96),  # (227-11)/4+1
            "conv2": (27, 27, 256), "norm2": (27, 27, 256), "pool2": (13, 13, 256),  # (27-3)/2+1
            "conv3": (13, 13, 384), "conv4": (13, 13, 384), "conv5": (13, 13, 256),
            "pool5": (6, 6, 256), "flatten": (9216,),
            "fc6": (4096,), "drop6": (4096,), "fc7": (4096,), "drop7": (4096,), "fc8": (1000,),
        }  # fmt: skip
    assert tuple(paper[2].get_layer("conv1").output.shape[1:]) == references.ALEXNET["conv1_output"]


def test_names_groups_and_model_names(paper):
    assert paper[2].name == "alexnet" and paper[1].name == "alexnet_one_tower"
    for groups in (1, 2):
        model = paper[groups]
        assert [layer.name for layer in model.layers] == PAPER_NAMES
        grouped = {name: model.get_layer(name).groups for name in CONVS}
        two = 2 if groups == 2 else 1
        assert grouped == {"conv1": 1, "conv2": two, "conv3": 1, "conv4": two, "conv5": two}
    # Each conv2 filter of the two-tower network sees 48 of pool1's 96 maps.
    assert tuple(paper[2].get_layer("conv2").kernel.shape) == (5, 5, 48, 256)
    assert tuple(paper[1].get_layer("conv2").kernel.shape) == (5, 5, 96, 256)


def test_a_grouped_layer_sees_only_its_own_towers_maps():
    conv2 = alexnet(input_shape=(67, 67, 3), classes=10).get_layer("conv2")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 7, 7, 96)).astype("float32")
    changed = x.copy()
    changed[..., 48:] = rng.normal(size=(1, 7, 7, 48))  # the second GPU's half of pool1
    before, after = np.asarray(conv2(x)), np.asarray(conv2(changed))
    np.testing.assert_array_equal(before[..., :128], after[..., :128])  # first tower unchanged
    assert np.abs(before[..., 128:] - after[..., 128:]).max() > 1e-3


def _source(model, name):
    """The name of the layer whose output feeds layer `name`."""
    tensor = model.get_layer(name).input
    return next(layer.name for layer in model.layers if layer.output is tensor)


def test_lrn_follows_the_relu_of_conv1_and_conv2_and_pools_follow(paper):
    model = paper[2]
    activations = {name: model.get_layer(name).get_config()["activation"] for name in CONVS}
    assert activations == dict.fromkeys(CONVS, "relu")
    followers = ("norm1", "pool1", "norm2", "pool2", "pool5", "fc6", "fc8")
    sources = {name: _source(model, name) for name in followers}
    assert sources == {
        "norm1": "conv1", "pool1": "norm1", "norm2": "conv2", "pool2": "norm2", "pool5": "conv5",
        "fc6": "flatten", "fc8": "drop7",
    }  # fmt: skip
    for name in ("norm1", "norm2"):
        layer = model.get_layer(name)
        assert isinstance(layer, LocalResponseNormalization)
        constants = {"k": layer.k, "n": layer.size, "alpha": layer.alpha, "beta": layer.beta}
        assert constants == references.ALEXNET["lrn"]
    for name in ("pool1", "pool2", "pool5"):
        config = model.get_layer(name).get_config()
        window = (config["pool_size"], config["strides"], config["padding"])
        assert window == ((3, 3), (2, 2), "valid")
    rates = [model.get_layer(name).rate for name in ("drop6", "drop7")]
    assert rates == [references.ALEXNET["dropout"]] * 2


def test_without_lrn_the_norm_layers_are_gone_and_the_count_is_the_same():
    model = alexnet(lrn=False, input_shape=(67, 67, 3), classes=10)
    with_lrn = alexnet(input_shape=(67, 67, 3), classes=10)
    assert not any(isinstance(layer, LocalResponseNormalization) for layer in model.layers)
    assert _source(model, "pool1") == "conv1" and _source(model, "pool2") == "conv2"
    assert model.count_params() == with_lrn.count_params()


def test_67_is_the_smallest_input_and_224_breaks_the_arithmetic():
    smallest = alexnet(input_shape=(67, 67, 3), classes=10)
    # (67 - 11)/4 + 1 = 15, then the pools: 15 -> 7 -> 3 -> 1
    sizes = [smallest.get_layer(n).output.shape[1] for n in ("conv1", "pool1", "pool2", "pool5")]
    assert sizes == [15, 7, 3, 1]
    assert smallest.get_layer("fc6").count_params() == dense_params(256, 4096)
    # The paper's stated 224: (224 - 11)/4 + 1 = 54.25, Keras rounds down, fc6 gets 5x5x256.
    stated = alexnet(input_shape=(224, 224, 3), classes=10)
    assert tuple(stated.get_layer("conv1").output.shape[1:]) == (54, 54, 96)
    assert tuple(stated.get_layer("pool5").output.shape[1:]) == (5, 5, 256)
    assert stated.get_layer("fc6").count_params() == dense_params(5 * 5 * 256, 4096) != 37_752_832


def test_the_paper_networks_configuration_round_trips(paper):
    for model in (paper[1], paper[2]):
        rebuilt = keras.Model.from_config(model.get_config())
        configs = [layer.get_config() for layer in model.layers]
        assert [layer.get_config() for layer in rebuilt.layers] == configs
        assert counts(rebuilt) == counts(model)


@pytest.mark.parametrize("kwargs", [{"groups": 2}, {"lrn": False, "activation": "tanh"}])
def test_save_and_load_gives_identical_predictions(tmp_path, kwargs):
    model = alexnet_cifar(**kwargs)
    x = np.random.default_rng(1).uniform(size=(4, 32, 32, 3)).astype("float32")
    model.save(tmp_path / "alexnet_cifar.keras")
    loaded = keras.models.load_model(tmp_path / "alexnet_cifar.keras")
    np.testing.assert_array_equal(np.asarray(model(x)), np.asarray(loaded(x)))
    assert counts(loaded) == counts(model)


def test_save_and_load_of_the_small_paper_network(tmp_path):
    model = alexnet(input_shape=(67, 67, 3), classes=10)
    x = np.random.default_rng(2).normal(scale=60.0, size=(2, 67, 67, 3)).astype("float32")
    model.save(tmp_path / "alexnet67.keras")
    loaded = keras.models.load_model(tmp_path / "alexnet67.keras")
    np.testing.assert_array_equal(np.asarray(model(x)), np.asarray(loaded(x)))
    assert loaded.get_layer("conv4").groups == 2


def test_copied_alexnet_is_the_one_tower_network_without_conv4(paper):
    copied, one = counts(paper["copied"]), counts(paper[1])
    assert paper["copied"].count_params() == references.COPIED_ALEXNET_PARAMS == 61_050_856
    assert {name: n for name, n in copied.items() if n} == {
        "conv1": conv_params(11, 3, 96), "conv2": conv_params(5, 96, 256),
        "conv3": conv_params(3, 256, 384), "conv4": conv_params(3, 384, 256),
        "fc1": 37_752_832, "fc2": 16_781_312, "output": 4_097_000,
    }  # fmt: skip
    # Its conv4 is the paper's conv5; the paper's second 384-filter layer is what is missing.
    assert copied["conv4"] == one["conv5"]
    assert paper[1].count_params() - paper["copied"].count_params() == one["conv4"] == 1_327_488
    types = {type(layer).__name__ for layer in paper["copied"].layers}
    assert "LocalResponseNormalization" not in types
    assert tuple(paper["copied"].get_layer("pool3").output.shape[1:]) == (6, 6, 256)


def test_cifar_variant_shapes_counts_and_macs():
    model = alexnet_cifar()
    assert model.name == "alexnet_cifar"
    assert tuple(model.output.shape) == (None, 10)
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}
    assert shapes == {
        "input": (32, 32, 3), "scale": (32, 32, 3),
        "conv1": (32, 32, 24), "norm1": (32, 32, 24), "pool1": (15, 15, 24),
        "conv2": (15, 15, 64), "norm2": (15, 15, 64), "pool2": (7, 7, 64),
        "conv3": (7, 7, 96), "conv4": (7, 7, 96), "conv5": (7, 7, 64), "pool5": (3, 3, 64),
        "flatten": (576,), "fc6": (1024,), "drop6": (1024,), "fc7": (1024,), "drop7": (1024,),
        "fc8": (10,),
    }  # fmt: skip
    params = {
        "conv1": conv_params(5, 3, 24), "conv2": conv_params(3, 24, 64),
        "conv3": conv_params(3, 64, 96), "conv4": conv_params(3, 96, 96),
        "conv5": conv_params(3, 96, 64), "fc6": dense_params(576, 1024),
        "fc7": dense_params(1024, 1024), "fc8": dense_params(1024, 10),
    }  # fmt: skip
    assert {name: n for name, n in counts(model).items() if n} == params
    assert model.count_params() == 1_860_202
    # As in the paper, the fully connected layers hold most parameters, convolutions most MACs.
    assert (params["fc6"] + params["fc7"]) / model.count_params() > 0.85
    macs = {
        "conv1": 32 * 32 * 24 * 5 * 5 * 3, "conv2": 15 * 15 * 64 * 3 * 3 * 24,
        "conv3": 7 * 7 * 96 * 3 * 3 * 64, "conv4": 7 * 7 * 96 * 3 * 3 * 96,
        "conv5": 7 * 7 * 64 * 3 * 3 * 96, "fc6": 576 * 1024, "fc7": 1024 * 1024, "fc8": 1024 * 10,
    }  # fmt: skip
    assert totals(layer_table(model))["macs"] == sum(macs.values()) == 16_085_504
    # [0, 1] pixels go back to the paper's scale: 0..255, centred.
    scale = model.get_layer("scale")
    np.testing.assert_allclose(np.asarray(scale(np.array([0.0, 1.0], "float32"))), [-128.0, 127.0])


def test_cifar_variant_switches():
    grouped = alexnet_cifar(groups=2)
    assert [grouped.get_layer(n).groups for n in CONVS] == [1, 2, 1, 2, 2]
    assert grouped.get_layer("conv2").count_params() == conv_params(3, 24, 64, groups=2)
    tanh = alexnet_cifar(activation="tanh", dropout=0.0, lrn=False, classes=3)
    assert tanh.get_layer("conv3").get_config()["activation"] == "tanh"
    assert tanh.get_layer("drop6").rate == 0.0
    assert "norm1" not in [layer.name for layer in tanh.layers]
    assert tuple(tanh.output.shape) == (None, 3)
    smallest = alexnet_cifar(input_shape=(15, 15, 3))
    assert tuple(smallest.get_layer("pool5").output.shape[1:3]) == (1, 1)


def test_registered_builders():
    assert MODELS["alexnet_cifar"]().count_params() == 1_860_202


def test_reference_results_of_the_paper():
    assert references.ALEXNET["ilsvrc2012_top5_error"] == {"alexnet": 0.153, "runner_up": 0.262}
    assert references.ALEXNET["stated_input"] == (224, 224, 3)


@pytest.mark.parametrize(
    "builder, kwargs, message",
    [
        (alexnet, {"input_shape": (66, 66, 3)}, "at least 67x67"),
        (alexnet, {"input_shape": (227, 64, 3)}, "input_shape=(227, 64, 3)"),
        (alexnet, {"input_shape": (227, 227)}, "(height, width, channels)"),
        (alexnet, {"groups": 3}, "groups=3"),
        (alexnet, {"groups": 0}, "groups=0"),
        (alexnet, {"classes": 0}, "classes=0"),
        (alexnet_cifar, {"input_shape": (14, 14, 3)}, "at least 15x15"),
        (alexnet_cifar, {"groups": 4}, "groups=4"),
        (alexnet_cifar, {"classes": -1}, "classes=-1"),
        (alexnet_cifar, {"dropout": 1.0}, "dropout=1.0"),
        (copied_alexnet, {"input_shape": (60, 60, 3)}, "at least 67x67"),
        (copied_alexnet, {"classes": 0}, "classes=0"),
    ],
)
def test_bad_arguments_raise_value_error_with_what_was_received(builder, kwargs, message):
    with pytest.raises(ValueError, match="Received") as error:
        builder(**kwargs)
    assert message in str(error.value)


# --- Arguments a learner would pass ----------------------------------------------------------


def test_numpy_integers_build_the_same_networks():
    labels = np.arange(10)
    model = alexnet_cifar(
        groups=np.int64(2), input_shape=np.array([32, 32, 3]), classes=labels.max() + 1
    )
    assert model.count_params() == alexnet_cifar(groups=2).count_params() == 1_784_170
    assert type(model.get_layer("fc8").units) is int and model.get_layer("conv2").groups == 2
    assert type(model.get_layer("conv2").groups) is int


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"dropout": "0.3"}, "`dropout` must be a number in [0, 1). Received: dropout='0.3'"),
        ({"dropout": None}, "`dropout` must be a number in [0, 1). Received: dropout=None"),
        ({"dropout": 1.5}, "`dropout` must be a number in [0, 1). Received: dropout=1.5"),
        ({"groups": 2.0}, "`groups` must be one of 1, 2. Received: groups=2.0"),
        ({"groups": True}, "`groups` must be one of 1, 2. Received: groups=True"),
        ({"lrn": "yes"}, "`lrn` must be True or False. Received: lrn='yes'"),
        ({"lrn": 0}, "`lrn` must be True or False. Received: lrn=0"),
        (
            {"activation": 3},
            "`activation` must be an activation Keras knows: a name such as 'relu' or 'softmax', "
            "a callable, or None (linear). Received: activation=3",
        ),
        ({"activation": "rleu"}, "Did you mean 'relu' or 'relu6'? Received: activation='rleu'"),
        ({"classifier_activation": "softmx"}, "Received: classifier_activation='softmx'"),
        ({"classes": 1}, "A softmax over one output unit is always 1.0"),
        ({"classes": 10.0}, "`classes` must be an integer >= 1. Received: classes=10.0"),
        ({"input_shape": (None, None, 3)}, "The CIFAR AlexNet needs a fixed input size"),
        ({"input_shape": (3, 32, 32)}, "The channels go last: (height, width, channels)."),
        ({"name": ""}, "Received: name=''"),
    ],
)
def test_wrong_values_get_the_packages_error(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        alexnet_cifar(**kwargs)


@pytest.mark.parametrize(
    "builder, kwargs, message",
    [
        (alexnet, {"groups": "2"}, "`groups` must be one of 1, 2. Received: groups='2'"),
        (alexnet, {"lrn": None}, "`lrn` must be True or False. Received: lrn=None"),
        (alexnet, {"classifier_activation": "sofmax"}, "Received: classifier_activation='sofmax'"),
        (alexnet, {"name": "alex/net"}, "Received: name='alex/net'"),
        (alexnet, {"input_shape": (1, 227, 227, 3)}, "without the batch dimension"),
        (copied_alexnet, {"classes": 1}, "A softmax over one output unit is always 1.0"),
        (copied_alexnet, {"input_shape": [227, 227, None]}, "The copied AlexNet needs a fixed"),
    ],
)
def test_the_paper_builders_wrong_values(builder, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        builder(**kwargs)
